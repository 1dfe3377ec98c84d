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
        // Vectors first: v in [-1, plane) exactly when (ulong)(v + 1) < (ulong)(plane + 1); the scalar loop finds the culprit.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<long>.One;
            var limit = new Vector<ulong>((ulong)plane + 1);
            for (; i + Vector<long>.Count <= indices.Length; i += Vector<long>.Count)
            {
                if (!Vector.LessThanAll(Vector.AsVectorUInt64(new Vector<long>(indices[i..]) + one), limit))
                {
                    break;
                }
            }
        }

        for (; i < indices.Length; i++)
        {
            long v = indices[i];
            if (v < -1 || v >= plane)
            {
                ThrowHelper.Argument(name, $"index {v} at position {i} is outside the spatial plane of {plane} elements.");
            }
        }
    }
}
