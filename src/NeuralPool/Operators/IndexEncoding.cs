using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>How max pooling reports where each maximum came from.</summary>
public enum IndexEncoding
{
    /// <summary>PyTorch: flat position within the element's own (n, c) spatial plane, row-major: <c>(d * H + h) * W + w</c>.</summary>
    Plane,

    /// <summary>ONNX MaxPool, storage_order 0: flat position in the whole N·C·spatial tensor, row-major.</summary>
    OnnxRowMajor,

    /// <summary>ONNX MaxPool, storage_order 1: <c>(n·C + c)·plane + h + w·H + d·H·W</c>, as the ONNX reference computes it.</summary>
    OnnxColumnMajor,
}

/// <summary>Conversions between the plane-local indices the kernels produce and the ONNX encodings.</summary>
internal static class IndexCodec
{
    public static void Encode(in PoolGeometry g, Span<long> indices, IndexEncoding encoding)
    {
        if (encoding == IndexEncoding.Plane)
        {
            return;
        }

        long plane = g.InputPlane, outPlane = g.OutputPlane;
        int hIn = g.H.In, wIn = g.W.In;
        for (int i = 0; i < indices.Length; i++)
        {
            long local = indices[i];
            if (local < 0)
            {
                continue;
            }

            long planeIndex = PlaneOf(g, i, outPlane);
            indices[i] = (planeIndex * plane) + (encoding == IndexEncoding.OnnxRowMajor ? local : ColumnMajor(local, hIn, wIn));
        }
    }

    public static void Decode(in PoolGeometry g, Span<long> indices, IndexEncoding encoding, string name)
    {
        if (encoding == IndexEncoding.Plane)
        {
            return;
        }

        long plane = g.InputPlane, outPlane = g.OutputPlane;
        int hIn = g.H.In, wIn = g.W.In;
        for (int i = 0; i < indices.Length; i++)
        {
            long flat = indices[i];
            if (flat == -1)
            {
                continue; // a window with no valid tap
            }

            long planeIndex = PlaneOf(g, i, outPlane);
            long local = flat - (planeIndex * plane);
            if (local < 0 || local >= plane)
            {
                ThrowHelper.Argument(name, $"index {flat} at position {i} does not address the input plane of its batch and channel ({planeIndex * plane} to {((planeIndex + 1) * plane) - 1}).");
            }

            indices[i] = encoding == IndexEncoding.OnnxRowMajor ? local : FromColumnMajor(local, g.D.In, hIn, wIn);
        }
    }

    /// <summary>The (n·C + c) plane of output element <paramref name="i"/>.</summary>
    private static long PlaneOf(in PoolGeometry g, long i, long outPlane) =>
        g.Layout == TensorLayout.ChannelsFirst ? i / outPlane : ((i / ((long)g.C * outPlane)) * g.C) + (i % g.C);

    private static long ColumnMajor(long local, int hIn, int wIn)
    {
        long hw = (long)hIn * wIn;
        long d = local / hw, h = local / wIn % hIn, w = local % wIn;
        return h + (w * hIn) + (d * hw);
    }

    private static long FromColumnMajor(long code, int dIn, int hIn, int wIn)
    {
        long hw = (long)hIn * wIn;
        long d = code / hw, rest = code % hw;
        long w = rest / hIn, h = rest % hIn;
        _ = dIn;
        return (((d * hIn) + h) * wIn) + w;
    }
}
