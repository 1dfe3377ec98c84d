using System.Diagnostics.CodeAnalysis;

namespace NeuralPool.Training;

/// <summary>Throw sites kept out of the hot paths; every message names the parameter and the offending values.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    public static string Format(ReadOnlySpan<int> values) => "(" + string.Join(", ", values.ToArray()) + ")";

    /// <summary>Checks that <paramref name="shape"/> is (N, <paramref name="channels"/>, H, W); channels -1 accepts any.</summary>
    public static void CheckImageBatch(string layer, ReadOnlySpan<int> shape, int channels)
    {
        if (shape.Length != 4)
        {
            Argument("input", $"{layer} takes a 4-D (N, C, H, W) input, got shape {Format(shape)}.");
        }

        if (channels >= 0 && shape[1] != channels)
        {
            Argument("input", $"{layer} expects {channels} input channels, got shape {Format(shape)}.");
        }
    }

    /// <summary>Checks that a gradient has the shape of the tensor it is the gradient of.</summary>
    public static void CheckSameShape(string paramName, ReadOnlySpan<int> actual, ReadOnlySpan<int> expected, string layer)
    {
        if (!actual.SequenceEqual(expected))
        {
            Argument(paramName, $"{layer}: {paramName} has shape {Format(actual)} but the last forward produced {Format(expected)}.");
        }
    }
}
