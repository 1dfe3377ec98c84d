using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Max pooling (PyTorch <c>max_pool1d/2d/3d</c>, <c>adaptive_max_pool*</c>, global max; ONNX MaxPool,
/// GlobalMaxPool): <c>y[o] = max over the valid taps of window o</c>. Padding is never read.
/// Reducer: <c>x &gt; acc || isnan(x)</c> in D, H, W scan order, so the first maximum wins on ties and a NaN
/// propagates, the last NaN's index being reported. A window with no valid tap yields -∞ (the type's
/// minimum for integers) and index -1.
/// Gradient: <c>dx[idx[o]] += dy[o]</c>; overlapping windows accumulate. Backward overwrites <c>gradInput</c>.
/// </summary>
public static class MaxPool
{
    /// <summary>Max over every window of <paramref name="geometry"/>, without indices.</summary>
    /// <exception cref="ArgumentException">A span's length does not match the geometry.</exception>
    /// <exception cref="NotSupportedException">T is not float, double, byte or sbyte.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        Check.MaxType<T>();
        Check.Lengths(geometry, input, output.Length);
        WindowReduce.Forward<T, MaxReducer<T>>(geometry, input, output, Divisor.None);
    }

    /// <summary>Max over every window and where it came from, in <paramref name="encoding"/>.</summary>
    /// <exception cref="ArgumentException">A span's length does not match the geometry.</exception>
    /// <exception cref="NotSupportedException">T is not float, double, byte or sbyte.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, Span<T> output, Span<long> indices,
        IndexEncoding encoding = IndexEncoding.Plane)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        Check.MaxType<T>();
        Check.Lengths(geometry, input, output.Length);
        ThrowHelper.CheckLength(nameof(indices), indices.Length, geometry.OutputLength, "indices");
        WindowReduce.MaxWithIndices(geometry, input, output, indices);
        IndexCodec.Encode(geometry, indices, encoding);
    }

    /// <summary>Gradient with respect to the input from the forward indices: <c>gradInput</c> is cleared, then <c>gradInput[idx[o]] += gradOutput[o]</c>.</summary>
    /// <exception cref="ArgumentException">A length does not match, or an index lies outside its plane.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> indices, Span<T> gradInput,
        IndexEncoding encoding = IndexEncoding.Plane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("max pooling backward");
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, geometry.OutputLength, "gradOutput", geometry, output: true);
        ThrowHelper.CheckLength(nameof(indices), indices.Length, geometry.OutputLength, "indices");
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        long[]? rented = null;
        try
        {
            ReadOnlySpan<long> local = indices;
            if (encoding != IndexEncoding.Plane)
            {
                rented = ArrayPool<long>.Shared.Rent(indices.Length);
                Span<long> decoded = rented.AsSpan(0, indices.Length);
                indices.CopyTo(decoded);
                IndexCodec.Decode(geometry, decoded, encoding, nameof(indices));
                local = decoded;
            }

            // 2-D: one pass checks the range and the row bands together; only when it fails does the plain range check
            // run (it names the culprit of an invalid index; valid indices outside their band scatter unbanded).
            RowBands? bands = RowBands.Of(geometry);
            long run = geometry.Layout == TensorLayout.ChannelsLast ? (long)geometry.W.Out * geometry.C : geometry.W.Out;
            if (bands is { } b && IndexRange.WithinRowBands(local, b, run))
            {
                Scatter.ByIndex(geometry.Layout, geometry.N, geometry.C, geometry.OutputPlane, geometry.InputPlane, gradOutput, local, gradInput, add: true, bands);
                return;
            }

            if (encoding == IndexEncoding.Plane)
            {
                Check.PlaneIndices(indices, geometry.InputPlane, nameof(indices));
            }

            Scatter.ByIndex(geometry.Layout, geometry.N, geometry.C, geometry.OutputPlane, geometry.InputPlane, gradOutput, local, gradInput, add: true);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<long>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Gradient with respect to the input, recomputing the forward indices from <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        Check.FloatType<T>("max pooling backward");
        ThrowHelper.CheckLength(nameof(input), input.Length, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, geometry.OutputLength, "gradOutput", geometry, output: true);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        int n = (int)geometry.OutputLength;
        long[] idx = ArrayPool<long>.Shared.Rent(n);
        T[] values = ArrayPool<T>.Shared.Rent(n);
        try
        {
            WindowReduce.MaxWithIndices(geometry, input, values.AsSpan(0, n), idx.AsSpan(0, n));
            Scatter.ByIndex(geometry.Layout, geometry.N, geometry.C, geometry.OutputPlane, geometry.InputPlane, gradOutput, idx.AsSpan(0, n), gradInput, add: true);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(idx);
            ArrayPool<T>.Shared.Return(values);
        }
    }
}
