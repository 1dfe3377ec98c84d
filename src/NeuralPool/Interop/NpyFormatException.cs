namespace NeuralPool.Interop;

/// <summary>
/// Thrown when a NumPy <c>.npy</c> file or stream is malformed or uses a feature this reader does not
/// support. The message names the specific problem (bad magic, unsupported version or dtype, truncated data, ...).
/// </summary>
public sealed class NpyFormatException : FormatException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public NpyFormatException()
        : base("The data is not a valid .npy array.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">A description of the problem.</param>
    public NpyFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and inner exception.</summary>
    /// <param name="message">A description of the problem.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public NpyFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
