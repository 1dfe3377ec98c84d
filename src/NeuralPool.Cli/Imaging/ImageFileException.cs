namespace NeuralPool.Cli.Imaging;

/// <summary>
/// An image file that cannot be read or written: missing, empty, truncated, corrupt or of a kind the decoder does
/// not know. The message names the file and the problem; the command reports it as one <c>error: ...</c> line
/// with exit code 1.
/// </summary>
internal sealed class ImageFileException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public ImageFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the decoder's or file system's exception.</summary>
    public ImageFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ImageFileException()
    {
    }
}
