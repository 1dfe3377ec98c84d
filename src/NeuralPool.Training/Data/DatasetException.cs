namespace NeuralPool.Training.Data;

/// <summary>
/// A data set file that is missing, unreadable or not what its name promises (wrong magic number, dimensions, counts,
/// truncated or damaged compression). The message names the file and what is wrong; for the files of a Debian
/// package it also says which package to install.
/// </summary>
public sealed class DatasetException : IOException
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public DatasetException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    public DatasetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with the default message.</summary>
    public DatasetException()
    {
    }
}
