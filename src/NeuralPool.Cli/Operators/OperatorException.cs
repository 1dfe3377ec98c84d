namespace NeuralPool.Cli.Operators;

/// <summary>The operator request is malformed: a bad attribute value, wrong input count or shape (a conformance FAIL).</summary>
internal sealed class OperatorException : Exception
{
    public OperatorException(string message)
        : base(message)
    {
    }

    public OperatorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public OperatorException()
    {
    }
}

/// <summary>The request is well formed but names an operator, attribute or element type the library does not support (a conformance SKIP).</summary>
internal sealed class UnsupportedOperatorException : Exception
{
    public UnsupportedOperatorException(string message)
        : base(message)
    {
    }

    public UnsupportedOperatorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UnsupportedOperatorException()
    {
    }
}
