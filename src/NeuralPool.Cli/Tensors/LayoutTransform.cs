using NeuralPool.Interop;

namespace NeuralPool.Cli.Tensors;

/// <summary>Moves the channel axis of an activation tensor between channels-first and channels-last order.</summary>
internal static class LayoutTransform
{
    /// <summary>N, C, spatial → N, spatial, C (the axis <paramref name="channelAxis"/> moves to the end).</summary>
    public static NpyArray ToChannelsLast(NpyArray a, int channelAxis = 1)
    {
        int rank = a.Shape.Length;
        var perm = new int[rank];
        for (int i = 0, j = 0; i < rank; i++)
        {
            if (i != channelAxis)
            {
                perm[j++] = i;
            }
        }

        perm[^1] = channelAxis;
        return Permute(a, perm);
    }

    /// <summary>N, spatial, C → N, C, spatial (the last axis moves to <paramref name="channelAxis"/>).</summary>
    public static NpyArray ToChannelsFirst(NpyArray a, int channelAxis = 1)
    {
        int rank = a.Shape.Length;
        var perm = new int[rank];
        for (int i = 0, j = 0; i < rank; i++)
        {
            perm[i] = i == channelAxis ? rank - 1 : j++;
        }

        return Permute(a, perm);
    }

    /// <summary>Result axis i is source axis perm[i].</summary>
    public static NpyArray Permute(NpyArray a, int[] perm) => a.DType switch
    {
        NpyDType.Float32 => Permute<float>(a, perm),
        NpyDType.Float64 => Permute<double>(a, perm),
        NpyDType.UInt8 => Permute<byte>(a, perm),
        NpyDType.Int8 => Permute<sbyte>(a, perm),
        NpyDType.Int64 => Permute<long>(a, perm),
        _ => throw new NotSupportedException($"dtype {a.DType} cannot be transposed."),
    };

    private static NpyArray Permute<T>(NpyArray a, int[] perm)
        where T : unmanaged
    {
        int[] shape = a.Shape;
        int rank = shape.Length;
        var srcStrides = new long[rank];
        long stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            srcStrides[i] = stride;
            stride *= shape[i];
        }

        var newShape = new int[rank];
        var strides = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            newShape[i] = shape[perm[i]];
            strides[i] = srcStrides[perm[i]];
        }

        T[] src = a.GetData<T>();
        var dst = new T[src.Length];
        var index = new int[rank];
        long offset = 0;
        for (int k = 0; k < dst.Length; k++)
        {
            dst[k] = src[offset];
            for (int d = rank - 1; d >= 0; d--)
            {
                offset += strides[d];
                if (++index[d] < newShape[d])
                {
                    break;
                }

                offset -= strides[d] * newShape[d];
                index[d] = 0;
            }
        }

        return NpyArray.Create(dst, newShape);
    }
}
