namespace NeuralPool.Cli;

/// <summary>A wrong argument or unusable input: reported as one <c>error: ...</c> line, exit code 2.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CliException()
    {
    }
}
