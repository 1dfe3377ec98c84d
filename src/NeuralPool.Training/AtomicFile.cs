namespace NeuralPool.Training;

/// <summary>Writes a file all at once: to a temporary file beside the target, then renamed over it.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/>: to a temporary file in the same folder (flushed to
    /// disk), then renamed to the target, so a failure never leaves a partial file under the target's name. The
    /// temporary file is removed when anything fails.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="bytes">Its whole content.</param>
    /// <param name="overwrite">Replace an existing file; without it an existing file is left as it is and an <see cref="IOException"/> is thrown.</param>
    /// <exception cref="IOException">The file cannot be written, or exists and <paramref name="overwrite"/> is false.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes, bool overwrite)
    {
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
