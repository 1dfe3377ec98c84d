using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// BlurPool and anti-aliased max pooling (Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML
/// 2019), as the reference <c>antialiased-cnns</c> package computes them. BlurPool low-pass filters every
/// channel with the normalized binomial filter of size f (f = 1..7: [1], [1 1], [1 2 1], [1 3 3 1], ...; outer
/// product for 2-D) and then subsamples with the stride: the input is reflect-padded by
/// <c>floor((f − 1)/2)</c> before and <c>ceil((f − 1)/2)</c> after on each axis, then a depthwise convolution runs
/// at the stride (f = 1: plain subsampling). Output size per axis <c>floor((in − 1)/stride) + 1</c>. Anti-aliased
/// max pooling (<see cref="MaxForward{T}"/>) is the reference MaxBlurPool: max pooling with the kernel at stride
/// 1, then BlurPool with the stride. Backward is the adjoint (reflected positions fold back onto the input).
/// Backward overwrites <c>gradInput</c>.
/// </summary>
public static class BlurPool
{
    /// <summary>BlurPool output size on an axis of <paramref name="input"/> elements.</summary>
    public static int OutputSize(int input, int stride) => ((input - 1) / stride) + 1;

    /// <summary>BlurPool forward.</summary>
    /// <param name="layout">Layout of input and output.</param>
    /// <param name="inputShape">(N, C, H, W) or (N, H, W, C).</param>
    /// <param name="filterSize">1 to 7.</param>
    /// <param name="stride">Subsampling stride, positive.</param>
    /// <param name="input">The input.</param>
    /// <param name="output">Receives (N, C, OutputSize(H), OutputSize(W)) values in the same layout.</param>
    /// <exception cref="ArgumentException">A size or length is invalid (reflection needs more than the padding on each axis); nothing is written then.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int filterSize, int stride, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Plan.Create(layout, inputShape, filterSize, stride, input.Length, output.Length, nameof(output));
        p.Run(input, output, default, default);
    }

    /// <summary>BlurPool backward, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int filterSize, int stride, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Plan.Create(layout, inputShape, filterSize, stride, gradInput.Length, gradOutput.Length, nameof(gradOutput));
        gradInput.Clear();
        p.Run(default, default, gradOutput, gradInput);
    }

    /// <summary>Anti-aliased max pooling: max pooling with <paramref name="kernelSize"/> at stride 1 (no padding), then BlurPool.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void MaxForward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int kernelSize, int filterSize, int stride, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var g = PoolGeometry.Torch(inputShape, layout, 2, [kernelSize], [1], [], [], false, TorchPoolKind.Max);
        int[] pooledShape = g.OutputShape;
        Plan.Create(layout, pooledShape, filterSize, stride, (int)g.OutputLength, output.Length, nameof(output));
        var pooled = new T[g.OutputLength];
        MaxPool.Forward(g, input, pooled);
        Forward(layout, pooledShape, filterSize, stride, pooled, output);
    }

    /// <summary>Anti-aliased max pooling backward (the max pooling step recomputed from <paramref name="input"/>), overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void MaxBackward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int kernelSize, int filterSize, int stride, ReadOnlySpan<T> input,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var g = PoolGeometry.Torch(inputShape, layout, 2, [kernelSize], [1], [], [], false, TorchPoolKind.Max);
        int[] pooledShape = g.OutputShape;
        Plan.Create(layout, pooledShape, filterSize, stride, (int)g.OutputLength, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, g.InputLength, "gradInput", g, output: false);
        var pooledGrad = new T[g.OutputLength];
        Backward(layout, pooledShape, filterSize, stride, gradOutput, pooledGrad);
        MaxPool.Backward(g, input, pooledGrad, gradInput);
    }

    /// <summary>The binomial filter of size f, normalized (1-D; the 2-D filter is its outer product).</summary>
    internal static double[] Binomial(int f)
    {
        var a = new double[f];
        a[0] = 1;
        for (int i = 1; i < f; i++)
        {
            for (int j = i; j > 0; j--)
            {
                a[j] += a[j - 1];
            }
        }

        double sum = a.Sum();
        return [.. a.Select(v => v / sum)];
    }

    private sealed class Plan
    {
        public required TensorLayout Layout { get; init; }
        public int N { get; private init; }
        public int C { get; private init; }
        public int H { get; private init; }
        public int W { get; private init; }
        public int OH { get; private init; }
        public int OW { get; private init; }
        public int Stride { get; private init; }
        public int Before { get; private init; }
        public required double[] Filter { get; init; }

        public static Plan Create(TensorLayout layout, ReadOnlySpan<int> inputShape, int filterSize, int stride, int inputLength, int outputLength, string outputName)
        {
            var (n, c, sizes) = PoolGeometry.SplitShape(inputShape, layout, 2);
            if (filterSize is < 1 or > 7)
            {
                ThrowHelper.Argument(nameof(filterSize), $"filter size {filterSize} must be between 1 and 7.");
            }

            if (stride <= 0)
            {
                ThrowHelper.Argument(nameof(stride), $"stride {stride} must be positive.");
            }

            int before = (filterSize - 1) / 2, after = filterSize / 2;
            for (int a = 0; a < 2; a++)
            {
                if (sizes[a] <= Math.Max(before, after))
                {
                    ThrowHelper.Argument(nameof(inputShape), $"reflection padding of {Math.Max(before, after)} needs more than that many elements on spatial axis {a}, got {sizes[a]}.");
                }
            }

            int oh = OutputSize(sizes[0], stride), ow = OutputSize(sizes[1], stride);
            ThrowHelper.CheckLength("input", inputLength, (long)n * c * sizes[0] * sizes[1], "input", inputShape);
            ThrowHelper.CheckLength(outputName, outputLength, (long)n * c * oh * ow, outputName);
            return new Plan { Layout = layout, N = n, C = c, H = sizes[0], W = sizes[1], OH = oh, OW = ow, Stride = stride, Before = before, Filter = Binomial(filterSize) };
        }

        /// <summary>
        /// Forward (x to y) or, with gradients, the adjoint (gy added into gx). The 2-D weights and the reflected rows
        /// and columns of every output are tabulated once; planes are split over the workers (no two share an element),
        /// and within a plane outputs and taps run in the same order whatever the split.
        /// </summary>
        public unsafe void Run<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> gy, Span<T> gx)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int f = Filter.Length;
            T* weights = stackalloc T[f * f];
            for (int a = 0; a < f; a++)
            {
                for (int b = 0; b < f; b++)
                {
                    weights[(a * f) + b] = T.CreateChecked(Filter[a] * Filter[b]);
                }
            }

            int[] tables = ArrayPool<int>.Shared.Rent((OH + OW) * f);
            try
            {
                for (int i = 0; i < OH; i++)
                {
                    for (int a = 0; a < f; a++)
                    {
                        tables[(i * f) + a] = Reflect((i * Stride) - Before + a, H);
                    }
                }

                for (int j = 0; j < OW; j++)
                {
                    for (int b = 0; b < f; b++)
                    {
                        tables[(OH * f) + (j * f) + b] = Reflect((j * Stride) - Before + b, W);
                    }
                }

                fixed (T* px = x)
                fixed (T* py = y)
                fixed (T* pgy = gy)
                fixed (T* pgx = gx)
                fixed (int* pt = tables)
                {
                    var job = new Job
                    {
                        X = px, Y = py, GradOutput = pgy, GradInput = pgx, Weights = weights, Rows = pt, Columns = pt + (OH * f),
                        F = f, C = C, H = H, W = W, OH = OH, OW = OW, First = Layout == TensorLayout.ChannelsFirst, Backward = !gx.IsEmpty,
                    };
                    long work = 4L * f * f * N * C * OH * OW;
                    Workers.For(N * C, work, &Planes<T>, &job);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(tables);
            }
        }

        private unsafe struct Job
        {
            public void* X, Y, GradOutput, GradInput, Weights;
            public int* Rows, Columns;
            public int F, C, H, W, OH, OW;
            public bool First, Backward;
        }

        private static unsafe void Planes<T>(int p0, int p1, void* state)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            ref Job job = ref System.Runtime.CompilerServices.Unsafe.AsRef<Job>(state);
            int f = job.F, c = job.C, w = job.W, oh = job.OH, ow = job.OW;
            T* weights = (T*)job.Weights;
            int* rows = job.Rows, cols = job.Columns;
            long es = job.First ? 1 : c;
            for (int p = p0; p < p1; p++)
            {
                int n = p / c, ch = p % c;
                long inBase = job.First ? (long)p * job.H * w : ((long)n * job.H * w * c) + ch;
                long outBase = job.First ? (long)p * oh * ow : ((long)n * oh * ow * c) + ch;
                T* xp = (T*)job.X + inBase, gxp = (T*)job.GradInput + inBase;
                T* yp = (T*)job.Y + outBase, gyp = (T*)job.GradOutput + outBase;
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        long o = ((long)(i * ow) + j) * es;
                        if (job.Backward)
                        {
                            T g = gyp[o];
                            for (int a = 0; a < f; a++)
                            {
                                long row = (long)rows[(i * f) + a] * w;
                                for (int b = 0; b < f; b++)
                                {
                                    gxp[(row + cols[(j * f) + b]) * es] += g * weights[(a * f) + b];
                                }
                            }

                            continue;
                        }

                        T acc = T.Zero;
                        for (int a = 0; a < f; a++)
                        {
                            long row = (long)rows[(i * f) + a] * w;
                            for (int b = 0; b < f; b++)
                            {
                                acc += weights[(a * f) + b] * xp[(row + cols[(j * f) + b]) * es];
                            }
                        }

                        yp[o] = acc;
                    }
                }
            }
        }

        private static int Reflect(int i, int size) => i < 0 ? -i : i >= size ? (2 * (size - 1)) - i : i;
    }
}
