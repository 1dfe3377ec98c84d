using System.Runtime.CompilerServices;
using NeuralPool.Interop;

namespace NeuralPool.Tests.Cli;

/// <summary>Runs the <c>neuralpool</c> command in-process and finds the repository's folders.</summary>
internal static class CliHarness
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = NeuralPool.Cli.Program.Run(args, stdout, stderr);
        return (code, stdout.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), stderr.ToString());
    }

    /// <summary>
    /// The folder holding NeuralPool.slnx, found by walking up from the test binaries; when they are built outside
    /// the repository (dotnet test --artifacts-path), from the current folder or this source file's compile-time path.
    /// </summary>
    public static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        string[] starts = [AppContext.BaseDirectory, Directory.GetCurrentDirectory(), Path.GetDirectoryName(sourceFile) ?? string.Empty];
        foreach (string start in starts.Where(s => s.Length > 0))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NeuralPool.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"NeuralPool.slnx not found above {string.Join(" or ", starts)}.");
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A temporary folder deleted at the end of a test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "neuralpool-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public string Write<T>(string name, T[] data, params int[] shape)
        where T : unmanaged
    {
        string file = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        Npy.Write(file, NpyArray.Create(data, shape));
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
