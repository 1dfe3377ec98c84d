namespace NeuralPool.Cli;

/// <summary>Entry point of the <c>neuralpool</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command with the console's streams.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command in-process, writing to the given streams; returns the exit code (0 ok, 1 conformance failures or a picture that cannot be read, pooled or written, 2 usage or input errors).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => CliApplication.Run(args, stdout, stderr);
}
