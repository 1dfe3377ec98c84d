using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Max unpooling (PyTorch <c>max_unpool1d/2d/3d</c>, ONNX MaxUnpool): the output is zero except
/// <c>y[plane(i) + idx[i]] = x[i]</c>; with duplicate indices the last element in memory order of each
/// plane wins. Indices are read as flat positions in the <em>output</em> plane (PyTorch, ONNX Runtime);
/// ONNX indices are flat over the whole output tensor.
/// Gradient: <c>dx[i] = dy[plane(i) + idx[i]]</c> (a gather). Backward overwrites <c>gradInput</c>.
/// </summary>
public static class MaxUnpool
{
    /// <summary>PyTorch's default output extent of one axis: <c>(in - 1)·stride + kernel - 2·padding</c>.</summary>
    public static int DefaultSize(int input, int kernel, int stride, int padding) => ((input - 1) * stride) + kernel - (2 * padding);

    /// <summary>
    /// The output spatial size PyTorch's <c>max_unpool</c> uses: the default per axis, or
    /// <paramref name="outputSize"/> (the spatial sizes, or N, C and the spatial sizes) when it lies strictly
    /// within one stride of the default.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter or the requested size is out of range.</exception>
    public static int[] TorchOutputSize(ReadOnlySpan<int> inputSpatial, ReadOnlySpan<int> kernelSize, ReadOnlySpan<int> stride,
        ReadOnlySpan<int> padding, ReadOnlySpan<int> outputSize)
    {
        int rank = inputSpatial.Length;
        var result = new int[rank];
        if (!outputSize.IsEmpty && outputSize.Length != rank && outputSize.Length != rank + 2)
        {
            ThrowHelper.Argument(nameof(outputSize), $"output size {ThrowHelper.Format(outputSize)} must have {rank} or {rank + 2} values.");
        }

        ReadOnlySpan<int> requested = outputSize.Length == rank + 2 ? outputSize[2..] : outputSize;
        for (int i = 0; i < rank; i++)
        {
            int k = Pick(kernelSize, i, rank, 0, nameof(kernelSize));
            int s = stride.IsEmpty ? k : Pick(stride, i, rank, 0, nameof(stride));
            int p = Pick(padding, i, rank, 0, nameof(padding));
            if (k <= 0 || s <= 0 || p < 0)
            {
                ThrowHelper.Argument(nameof(kernelSize), $"kernel {k} and stride {s} must be positive and padding {p} non-negative on spatial axis {i}.");
            }

            int def = DefaultSize(inputSpatial[i], k, s, p);
            if (requested.IsEmpty)
            {
                result[i] = def;
            }
            else
            {
                int r = requested[i];
                if (r <= def - s || r >= def + s)
                {
                    ThrowHelper.Argument(nameof(outputSize), $"output size {ThrowHelper.Format(requested)} is invalid: on spatial axis {i} it must lie strictly between {def - s} and {def + s}.");
                }

                result[i] = r;
            }

            if (result[i] < 0)
            {
                ThrowHelper.Argument(nameof(outputSize), $"output size {result[i]} on spatial axis {i} is negative (input {ThrowHelper.Format(inputSpatial)}, kernel {k}, stride {s}, padding {p}).");
            }
        }

        return result;
    }

    /// <summary>Scatters <paramref name="input"/> to the positions <paramref name="indices"/> of a zeroed output.</summary>
    /// <param name="layout">Memory layout of input, indices and output.</param>
    /// <param name="inputShape">Shape of input and indices (N, C, spatial or N, spatial, C).</param>
    /// <param name="input">Pooled values.</param>
    /// <param name="indices">Where each value goes: plane-local (<see cref="IndexEncoding.Plane"/>) or flat over the whole output tensor (<see cref="IndexEncoding.OnnxRowMajor"/>).</param>
    /// <param name="outputSpatial">Output spatial extents.</param>
    /// <param name="output">Receives the unpooled tensor.</param>
    /// <param name="encoding">How <paramref name="indices"/> are encoded.</param>
    /// <exception cref="ArgumentException">A length does not match or an index lies outside its output plane.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> input, ReadOnlySpan<long> indices,
        ReadOnlySpan<int> outputSpatial, Span<T> output, IndexEncoding encoding = IndexEncoding.Plane)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        Check.MaxType<T>();
        var (n, c, inPlane, outPlane) = Validate(layout, inputShape, outputSpatial, input.Length, output.Length, nameof(input), nameof(output));
        ThrowHelper.CheckLength(nameof(indices), indices.Length, input.Length, "indices");
        if (output.IsEmpty)
        {
            return; // PyTorch returns an empty tensor without reading the indices.
        }
        var local = Localize(layout, c, inPlane, outPlane, indices, encoding, out long[]? rented);
        try
        {
            Scatter.ByIndex(layout, n, c, inPlane, outPlane, input, local, output, add: false);
        }
        finally
        {
            Release(rented);
        }
    }

    /// <summary>Gradient with respect to the input: <c>gradInput[i] = gradOutput[plane(i) + idx[i]]</c>.</summary>
    /// <exception cref="ArgumentException">A length does not match or an index lies outside its output plane.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<long> indices,
        ReadOnlySpan<int> outputSpatial, ReadOnlySpan<T> gradOutput, Span<T> gradInput, IndexEncoding encoding = IndexEncoding.Plane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("max unpooling backward");
        var (n, c, inPlane, outPlane) = Validate(layout, inputShape, outputSpatial, gradInput.Length, gradOutput.Length, nameof(gradInput), nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(indices), indices.Length, gradInput.Length, "indices");
        if (gradOutput.IsEmpty)
        {
            gradInput.Clear();
            return;
        }
        var local = Localize(layout, c, inPlane, outPlane, indices, encoding, out long[]? rented);
        try
        {
            Scatter.Gather(layout, n, c, inPlane, outPlane, gradOutput, local, gradInput);
        }
        finally
        {
            Release(rented);
        }
    }

    /// <summary>Checks the indices and returns them plane-local (decoded into a rented buffer for ONNX indices).</summary>
    private static ReadOnlySpan<long> Localize(TensorLayout layout, int c, long inPlane, long outPlane, ReadOnlySpan<long> indices, IndexEncoding encoding, out long[]? rented)
    {
        rented = null;
        if (encoding == IndexEncoding.Plane)
        {
            CheckLocal(indices, outPlane);
            return indices;
        }

        if (encoding != IndexEncoding.OnnxRowMajor)
        {
            ThrowHelper.Argument(nameof(encoding), "max unpooling reads plane-local or row-major flat indices.");
        }

        long[] buffer = ArrayPool<long>.Shared.Rent(indices.Length);
        Span<long> local = buffer.AsSpan(0, indices.Length);
        for (int i = 0; i < indices.Length; i++)
        {
            long plane = layout == TensorLayout.ChannelsFirst ? i / inPlane : ((i / (c * inPlane)) * c) + (i % c);
            long v = indices[i] - (plane * outPlane);
            if (v < 0 || v >= outPlane)
            {
                ArrayPool<long>.Shared.Return(buffer);
                ThrowHelper.Argument(nameof(indices), $"index {indices[i]} at position {i} does not address the output plane of its batch and channel ({plane * outPlane} to {((plane + 1) * outPlane) - 1}).");
            }

            local[i] = v;
        }

        rented = buffer;
        return local;
    }

    private static void Release(long[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<long>.Shared.Return(rented);
        }
    }

    private static void CheckLocal(ReadOnlySpan<long> indices, long outPlane)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)outPlane)
            {
                ThrowHelper.Argument(nameof(indices), $"invalid max index {indices[i]} at position {i}: the output plane has {outPlane} elements.");
            }
        }
    }

    private static (int N, int C, long InPlane, long OutPlane) Validate(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> outputSpatial,
        int inputLength, int outputLength, string inputName, string outputName)
    {
        int rank = inputShape.Length - 2;
        if (rank < 1 || rank > 3)
        {
            ThrowHelper.Argument(nameof(inputShape), $"input shape {ThrowHelper.Format(inputShape)} must have 3 to 5 dimensions (N, C and 1 to 3 spatial axes).");
        }

        var (n, c, sizes) = PoolGeometry.SplitShape(inputShape, layout, rank);
        if (outputSpatial.Length != rank)
        {
            ThrowHelper.Argument(nameof(outputSpatial), $"output size {ThrowHelper.Format(outputSpatial)} must have {rank} spatial values.");
        }

        long inPlane = 1, outPlane = 1;
        for (int i = 0; i < rank; i++)
        {
            if (outputSpatial[i] < 0)
            {
                ThrowHelper.Argument(nameof(outputSpatial), $"output size {ThrowHelper.Format(outputSpatial)} must be non-negative.");
            }

            inPlane *= sizes[i];
            outPlane *= outputSpatial[i];
        }

        if ((long)n * c * outPlane > int.MaxValue)
        {
            ThrowHelper.Argument(nameof(outputSpatial), $"output of {(long)n * c * outPlane} elements exceeds the span limit.");
        }

        ThrowHelper.CheckLength(inputName, inputLength, (long)n * c * inPlane, inputName, inputShape);
        ThrowHelper.CheckLength(outputName, outputLength, (long)n * c * outPlane, outputName);
        return (n, c, inPlane, outPlane);
    }

    private static int Pick(ReadOnlySpan<int> values, int i, int rank, int fallback, string name)
    {
        if (values.IsEmpty)
        {
            return fallback;
        }

        if (values.Length != 1 && values.Length != rank)
        {
            ThrowHelper.Argument(name, $"{name} {ThrowHelper.Format(values)} must have 1 or {rank} values.");
        }

        return values[values.Length == 1 ? 0 : i];
    }
}
