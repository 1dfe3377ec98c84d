using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Fractional max pooling 2d/3d (Graham, "Fractional Max-Pooling", 2014), with PyTorch's interval formula and
/// an explicit <c>_random_samples</c> tensor of shape (N, C, rank), so results are reproducible. For each
/// (n, c) plane and spatial axis with sample u, the window starts are
/// <c>start[i] = (int)((i + u)·α) − (int)(u·α)</c> for i &lt; out − 1, with <c>α = (in − k) / (out − 1)</c>
/// computed in the element type, and <c>start[out − 1] = in − k</c>; each output is the maximum of its
/// k-wide window with PyTorch's rule (first maximum wins, NaN propagates, last NaN indexed) and its
/// plane-local index. The sample that drives each axis follows ATen: 2-D width ← u[0], height ← u[1];
/// 3-D depth ← u[0], height ← u[1], width ← u[2]. Gradient: <c>gradInput[plane + index] += gradOutput</c>;
/// Backward overwrites <c>gradInput</c>.
/// </summary>
public static class FractionalMaxPool
{
    /// <summary>PyTorch's output size from <c>output_ratio</c>: <c>(int)(input · ratio)</c> per axis.</summary>
    /// <exception cref="ArgumentException">A ratio is not in (0, 1) or the lengths differ.</exception>
    public static int[] OutputSize(ReadOnlySpan<int> inputSpatial, ReadOnlySpan<double> outputRatio)
    {
        if (outputRatio.Length != inputSpatial.Length)
        {
            ThrowHelper.Argument(nameof(outputRatio), $"output ratio has {outputRatio.Length} values for {inputSpatial.Length} spatial axes.");
        }

        var size = new int[inputSpatial.Length];
        for (int i = 0; i < size.Length; i++)
        {
            if (!(outputRatio[i] > 0 && outputRatio[i] < 1))
            {
                ThrowHelper.Argument(nameof(outputRatio), $"output ratio {outputRatio[i]} on spatial axis {i} must be between 0 and 1 (exclusive).");
            }

            size[i] = (int)(inputSpatial[i] * outputRatio[i]);
        }

        return size;
    }

    /// <summary>Forward: the window maxima and, when <paramref name="indices"/> is not empty, their plane-local positions.</summary>
    /// <param name="layout">Layout of input and output.</param>
    /// <param name="inputShape">(N, C, H, W) / (N, C, D, H, W), or channels-last.</param>
    /// <param name="kernelSize">One value for all axes or one per axis.</param>
    /// <param name="outputSize">One value per spatial axis.</param>
    /// <param name="randomSamples">N × C × rank samples in [0, 1).</param>
    /// <param name="input">The input.</param>
    /// <param name="output">Receives N × C × outputs values.</param>
    /// <param name="indices">Empty, or receives the plane-local index of each maximum.</param>
    /// <exception cref="ArgumentException">A shape, size, length or sample is invalid; nothing is written then.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> kernelSize, ReadOnlySpan<int> outputSize,
        ReadOnlySpan<T> randomSamples, ReadOnlySpan<T> input, Span<T> output, Span<long> indices = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Plan.Create(layout, inputShape, kernelSize, outputSize, randomSamples);
        ThrowHelper.CheckLength(nameof(input), input.Length, p.InputLength, "input", inputShape);
        ThrowHelper.CheckLength(nameof(output), output.Length, p.OutputLength, "output");
        if (!indices.IsEmpty)
        {
            ThrowHelper.CheckLength(nameof(indices), indices.Length, p.OutputLength, "indices");
        }

        Span<int> starts = stackalloc int[p.Out[0] + p.Out[1] + p.Out[2]];
        for (int n = 0; n < p.N; n++)
        {
            for (int c = 0; c < p.C; c++)
            {
                p.Starts(randomSamples, n, c, starts);
                ReadOnlySpan<int> sd = starts[..p.Out[0]], sh = starts.Slice(p.Out[0], p.Out[1]), sw = starts[(p.Out[0] + p.Out[1])..];
                for (int od = 0; od < p.Out[0]; od++)
                {
                    for (int oh = 0; oh < p.Out[1]; oh++)
                    {
                        for (int ow = 0; ow < p.Out[2]; ow++)
                        {
                            // PyTorch's rule: the first maximum wins, NaN propagates and the last NaN is indexed.
                            long at = (((long)sd[od] * p.In[1]) + sh[oh]) * p.In[2] + sw[ow];
                            T best = T.NegativeInfinity;
                            for (int d = sd[od]; d < sd[od] + p.K[0]; d++)
                            {
                                for (int h = sh[oh]; h < sh[oh] + p.K[1]; h++)
                                {
                                    for (int w = sw[ow]; w < sw[ow] + p.K[2]; w++)
                                    {
                                        long pos = (((long)d * p.In[1]) + h) * p.In[2] + w;
                                        T v = input[(int)p.InputIndex(n, c, pos)];
                                        if (v > best || T.IsNaN(v))
                                        {
                                            best = v;
                                            at = pos;
                                        }
                                    }
                                }
                            }

                            long o = p.OutputIndex(n, c, (((long)od * p.Out[1]) + oh) * p.Out[2] + ow);
                            output[(int)o] = best;
                            if (!indices.IsEmpty)
                            {
                                indices[(int)o] = at;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Gradient with respect to the input from the forward indices (plane-local, checked to lie in the plane); overwrites <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A shape, size, length or index is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> outputSize,
        ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> indices, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("fractional max pooling backward");
        var (n, c, sizes) = PoolGeometry.SplitShape(inputShape, layout, inputShape.Length - 2);
        long inPlane = 1, outPlane = 1;
        foreach (int s in sizes)
        {
            inPlane *= s;
        }

        if (outputSize.Length != sizes.Length)
        {
            ThrowHelper.Argument(nameof(outputSize), $"output size has {outputSize.Length} values for {sizes.Length} spatial axes.");
        }

        foreach (int s in outputSize)
        {
            outPlane *= s;
        }

        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, (long)n * c * inPlane, "gradInput", inputShape);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, (long)n * c * outPlane, "gradOutput");
        ThrowHelper.CheckLength(nameof(indices), indices.Length, gradOutput.Length, "indices");
        Check.PlaneIndices(indices, inPlane, nameof(indices));
        Scatter.ByIndex(layout, n, c, outPlane, inPlane, gradOutput, indices, gradInput, add: true);
    }

    /// <summary>Gradient with respect to the input, recomputing the indices from <paramref name="input"/>; overwrites <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A shape, size, length or sample is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> kernelSize, ReadOnlySpan<int> outputSize,
        ReadOnlySpan<T> randomSamples, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Plan.Create(layout, inputShape, kernelSize, outputSize, randomSamples);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, p.OutputLength, "gradOutput");
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, p.InputLength, "gradInput", inputShape);
        var values = new T[p.OutputLength];
        var indices = new long[p.OutputLength];
        Forward(layout, inputShape, kernelSize, outputSize, randomSamples, input, values, indices);
        Backward(layout, inputShape, outputSize, gradOutput, indices, gradInput);
    }

    /// <summary>Sizes normalized to three axes (D, H, W; a unit D for 2-D) and the checks PyTorch makes.</summary>
    private sealed class Plan
    {
        public int N { get; private init; }
        public int C { get; private init; }
        public int Rank { get; private init; }
        public required int[] In { get; init; }
        public required int[] Out { get; init; }
        public required int[] K { get; init; }
        public TensorLayout Layout { get; private init; }

        public long InputLength => (long)N * C * In[0] * In[1] * In[2];

        public long OutputLength => (long)N * C * Out[0] * Out[1] * Out[2];

        public static Plan Create<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> kernelSize, ReadOnlySpan<int> outputSize, ReadOnlySpan<T> samples)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.FloatType<T>("fractional max pooling");
            int rank = inputShape.Length - 2;
            if (rank is not (2 or 3))
            {
                ThrowHelper.Argument(nameof(inputShape), $"fractional max pooling takes a 4-D or 5-D input, got {inputShape.Length} dimensions.");
            }

            var (n, c, sizes) = PoolGeometry.SplitShape(inputShape, layout, rank);
            if (kernelSize.Length != 1 && kernelSize.Length != rank)
            {
                ThrowHelper.Argument(nameof(kernelSize), $"kernel size has {kernelSize.Length} values; give 1 or {rank}.");
            }

            if (outputSize.Length != rank)
            {
                ThrowHelper.Argument(nameof(outputSize), $"output size has {outputSize.Length} values for {rank} spatial axes.");
            }

            int[] inn = [1, 1, 1], outt = [1, 1, 1], k = [1, 1, 1];
            for (int i = 0; i < rank; i++)
            {
                int a = 3 - rank + i;
                inn[a] = sizes[i];
                outt[a] = outputSize[i];
                k[a] = kernelSize[kernelSize.Length == 1 ? 0 : i];
                if (k[a] <= 0 || outt[a] <= 0)
                {
                    ThrowHelper.Argument(k[a] <= 0 ? nameof(kernelSize) : nameof(outputSize), $"kernel size and output size must be positive, got kernel {k[a]} and output {outt[a]} on spatial axis {i}.");
                }

                // PyTorch: out + k - 1 <= in for 2-D, and strictly less for 3-D (fractional_max_pool3d rejects equality).
                int needed = outt[a] + k[a] - 1 + (rank == 3 ? 1 : 0);
                if (needed > inn[a])
                {
                    ThrowHelper.Argument(nameof(outputSize), $"output size {outt[a]} with kernel {k[a]} needs an input of at least {needed} on spatial axis {i}, got {inn[a]}.");
                }
            }

            ThrowHelper.CheckLength("randomSamples", samples.Length, (long)n * c * rank, "randomSamples");
            for (int i = 0; i < samples.Length; i++)
            {
                if (!(samples[i] >= T.Zero && samples[i] < T.One))
                {
                    ThrowHelper.Argument("randomSamples", $"sample {samples[i]} at position {i} must lie in [0, 1).");
                }
            }

            return new Plan { N = n, C = c, Rank = rank, In = inn, Out = outt, K = k, Layout = layout };
        }

        /// <summary>Window starts of plane (n, c): D, then H, then W.</summary>
        public void Starts<T>(ReadOnlySpan<T> samples, int n, int c, Span<int> into)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            ReadOnlySpan<T> u = samples.Slice(((n * C) + c) * Rank, Rank);

            // ATen's sample order: 2-D (width, height); 3-D (depth, height, width).
            T sd = Rank == 3 ? u[0] : T.Zero, sh = u[1], sw = Rank == 3 ? u[2] : u[0];
            Intervals(sd, In[0], Out[0], K[0], into[..Out[0]]);
            Intervals(sh, In[1], Out[1], K[1], into.Slice(Out[0], Out[1]));
            Intervals(sw, In[2], Out[2], K[2], into.Slice(Out[0] + Out[1], Out[2]));
        }

        private static void Intervals<T>(T sample, int input, int output, int pool, Span<int> into)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (output > 1)
            {
                T alpha = T.CreateChecked(input - pool) / T.CreateChecked(output - 1);
                for (int i = 0; i < output - 1; i++)
                {
                    into[i] = int.CreateTruncating((T.CreateChecked(i) + sample) * alpha) - int.CreateTruncating(sample * alpha);
                }
            }

            into[output - 1] = input - pool;
        }

        public long InputIndex(int n, int c, long pos) => Layout == TensorLayout.ChannelsFirst
            ? ((((long)n * C) + c) * In[0] * In[1] * In[2]) + pos
            : ((((long)n * In[0] * In[1] * In[2]) + pos) * C) + c;

        public long OutputIndex(int n, int c, long pos) => Layout == TensorLayout.ChannelsFirst
            ? ((((long)n * C) + c) * Out[0] * Out[1] * Out[2]) + pos
            : ((((long)n * Out[0] * Out[1] * Out[2]) + pos) * C) + c;
    }
}
