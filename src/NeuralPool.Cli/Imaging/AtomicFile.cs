namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Writes a file all at once or not at all: the bytes go to a hidden temporary file in the target's folder, which is
/// then renamed to the target. A failure at any point removes the temporary file, so the target is never left half
/// written. Without <c>overwrite</c> the rename itself refuses an existing target, so two writers racing for one
/// name cannot replace each other's file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create (or replace, with <paramref name="overwrite"/>).</param>
    /// <param name="content">The whole file.</param>
    /// <param name="overwrite">Replace an existing file; without it an existing file is an error and stays as it was.</param>
    /// <exception cref="ImageFileException">The file exists (without <paramref name="overwrite"/>), is a folder, or cannot be written.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content, bool overwrite)
    {
        CheckTarget(path, overwrite);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";

        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw !overwrite && File.Exists(full) ? Exists(path) : new ImageFileException($"cannot write '{path}': {ex.Message}", ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Throws unless <paramref name="path"/> can be written: not a folder, and not an existing file without <paramref name="overwrite"/>.</summary>
    /// <exception cref="ImageFileException">The path is a folder, or a file that exists while <paramref name="overwrite"/> is false.</exception>
    public static void CheckTarget(string path, bool overwrite)
    {
        if (Directory.Exists(path))
        {
            throw new ImageFileException($"cannot write '{path}': it is a folder.");
        }

        if (!overwrite && File.Exists(path))
        {
            throw Exists(path);
        }
    }

    private static ImageFileException Exists(string path) => new($"'{path}' already exists; give --overwrite to replace it.");

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The write's own failure is the one to report.
        }
    }
}
