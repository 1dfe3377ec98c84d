using System.Diagnostics.CodeAnalysis;

namespace NeuralPool.Geometry;

/// <summary>Throw sites kept out of the hot paths; every message names the parameter and the offending values.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void OutOfRange(string paramName, string message) => throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void NotSupported(string message) => throw new NotSupportedException(message);

    /// <summary>Checks a span length; <paramref name="what"/> names the buffer (no formatting happens unless the check fails).</summary>
    public static void CheckLength(string paramName, int actual, long expected, string what)
    {
        if (actual != expected)
        {
            Argument(paramName, $"{what} has {actual} elements but the shape needs {expected}.");
        }
    }

    /// <summary>Checks a span length against a shape, which is formatted only when the check fails.</summary>
    public static void CheckLength(string paramName, int actual, long expected, string name, ReadOnlySpan<int> shape)
    {
        if (actual != expected)
        {
            Argument(paramName, $"{name} of shape {Format(shape)} has {actual} elements but the shape needs {expected}.");
        }
    }

    /// <summary>Checks a span length against the input (or output) shape of a geometry, formatted only when the check fails.</summary>
    public static void CheckLength(string paramName, int actual, long expected, string name, in PoolGeometry g, bool output)
    {
        if (actual != expected)
        {
            Argument(paramName, $"{name} of shape {Format(output ? g.OutputShape : g.InputShape)} has {actual} elements but the shape needs {expected}.");
        }
    }

    public static void CheckAtLeast(string paramName, int actual, long expected, string what)
    {
        if (actual < expected)
        {
            Argument(paramName, $"{what} has {actual} elements but needs at least {expected}.");
        }
    }

    public static string Format(ReadOnlySpan<int> values) => "(" + string.Join(", ", values.ToArray()) + ")";

    public static string Format(ReadOnlySpan<long> values) => "(" + string.Join(", ", values.ToArray()) + ")";
}
