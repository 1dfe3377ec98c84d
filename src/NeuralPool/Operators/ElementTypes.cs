using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>Checks shared by every operator's public entry points; nothing is written before they pass.</summary>
internal static class Check
{
    public static void MaxType<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(byte) && typeof(T) != typeof(sbyte))
        {
            ThrowHelper.NotSupported($"element type {typeof(T).Name} is not supported by max pooling; use float, double, byte or sbyte.");
        }
    }

    public static void FloatType<T>(string op)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowHelper.NotSupported($"element type {typeof(T).Name} is not supported by {op}; use float or double.");
        }
    }

    public static void Lengths<T>(in PoolGeometry g, ReadOnlySpan<T> input, int outputLength, string inputName = "input", string outputName = "output")
    {
        if (g.N == 0 && g.C == 0 && g.InputLength == 0 && g.OutputLength == 0 && input.IsEmpty && outputLength == 0)
        {
            return;
        }

        ThrowHelper.CheckLength(inputName, input.Length, g.InputLength, inputName, g, output: false);
        ThrowHelper.CheckLength(outputName, outputLength, g.OutputLength, outputName, g, output: true);
    }

    /// <summary>Every index must address its own plane (or be -1 where a window was empty).</summary>
    public static void PlaneIndices(ReadOnlySpan<long> indices, long plane, string name)
    {
        // The workers check the range; only when they find a culprit does the scalar loop look for the first one.
        if (Kernels.IndexRange.AllWithin(indices, plane))
        {
            return;
        }

        for (int i = 0; i < indices.Length; i++)
        {
            long v = indices[i];
            if (v < -1 || v >= plane)
            {
                ThrowHelper.Argument(name, $"index {v} at position {i} is outside the spatial plane of {plane} elements.");
            }
        }
    }
}
