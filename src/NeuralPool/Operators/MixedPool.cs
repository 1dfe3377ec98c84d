using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Mixed max-average pooling (Lee, Gallagher, Tu, "Generalizing Pooling Functions in Convolutional Neural
/// Networks: Mixed, Gated, and Tree", AISTATS 2016): <c>y = a·max(window) + (1 − a)·avg(window)</c> with a learned
/// scalar a (the paper keeps it in [0, 1]; any value is accepted here). Max and average follow PyTorch's
/// max_pool and avg_pool (count_include_pad as given) over the same geometry. Backward gives the input gradient
/// (overwriting) and returns <c>∂L/∂a = Σ g·(max − avg)</c>. See docs/operators/mixed-gated.md.
/// </summary>
public static class MixedPool
{
    /// <summary>Forward.</summary>
    /// <exception cref="ArgumentException">A length or a is invalid; nothing is written then.</exception>
    public static unsafe void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T a, Span<T> output, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        CheckArguments(geometry, input.Length, output.Length, nameof(output), a);
        fixed (T* px = input)
        fixed (T* py = output)
        {
            var math = new MaxAverageMix<T> { G = geometry, X = px, Y = py, A = a, CountIncludePad = countIncludePad };
            WindowLanes.Run(geometry, input, default, math);
        }
    }

    /// <summary>Gradient with respect to the input (overwriting <paramref name="gradInput"/>); returns the gradient with respect to a.</summary>
    /// <exception cref="ArgumentException">A length or a is invalid; nothing is written then.</exception>
    public static unsafe T Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T a, ReadOnlySpan<T> gradOutput, Span<T> gradInput, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        CheckArguments(geometry, input.Length, gradOutput.Length, nameof(gradOutput), a);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        var partials = UnitPartials<T>.For<MaxAverageMix<T>>(geometry);
        fixed (T* px = input)
        fixed (T* pgy = gradOutput)
        fixed (T* pgx = gradInput)
        {
            var math = new MaxAverageMix<T>
            {
                G = geometry, X = px, GradOutput = pgy, GradInput = pgx, A = a, CountIncludePad = countIncludePad, PartialA = partials.Values, Backward = true,
            };
            WindowLanes.Run(geometry, input, gradInput, math);
        }

        // dL/da = Σ g·(max − avg), summed per work unit, then over the units in order.
        return partials.Sum();
    }

    private static void CheckArguments<T>(in PoolGeometry geometry, int inputLength, int outputLength, string outputName, T a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("mixed pooling");
        if (!T.IsFinite(a))
        {
            ThrowHelper.Argument(nameof(a), $"the mixing weight a must be finite, got {a}.");
        }

        ThrowHelper.CheckLength("input", inputLength, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);
    }

    /// <summary>
    /// <c>y = s·max + (1 − s)·avg</c> of each window with a fixed s (mixed pooling) or <c>s = σ(ωᵀx)</c> (gated pooling,
    /// <see cref="Gate"/> set), and the gradients: the max part goes to the window's maximum (the first, or the last NaN,
    /// as max pooling picks it), the average part to every valid tap, and the gate part <c>d·ω_t</c> with
    /// <c>d = g·(max − avg)·s(1 − s)</c> to tap t. Per work unit it sums <c>g·(max − avg)</c> (dL/da) or <c>d·x_t</c> (dL/dω_t).
    /// </summary>
    internal unsafe struct MaxAverageMix<T> : IWindowMath<T>
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        public PoolGeometry G;
        public T* X, Y, GradOutput, GradInput;

        /// <summary>The gate weights ω, one per kernel tap, or null for the fixed weight <see cref="A"/>.</summary>
        public T* Gate;

        /// <summary>Per unit: dL/da (one value) or dL/dω (one per kernel tap).</summary>
        public T* PartialA, PartialGate;

        public T A;
        public bool CountIncludePad;

        public bool Backward { get; init; }

        /// <summary>Per lane: the output gradient and d (or g·(max − avg)).</summary>
        public static int ScratchRows(int taps) => 2;

        public readonly void Block(in LaneBlock<T> b)
        {
            int k = b.Taps, width = b.Width;
            T* gy = b.ScratchRow(0), dRow = b.ScratchRow(1); // forward: y in the first row
            if (Backward)
            {
                WindowLanes.LoadLanes(b, GradOutput, gy);
            }

            // A full window has every tap inside the input: both divisors are the kernel volume.
            var kT = new Vector<T>(T.CreateTruncating(k));
            for (int j = 0; j < width; j += Vector<T>.Count)
            {
                // Lanes j.. hold consecutive windows: maximum (and the tap it came from), sum, and the gate's dot product.
                T* x0 = b.Values + j;
                var max = Vector.Load(x0);
                var sum = max;
                var at = Vector<T>.Zero;
                var dot = Gate != null ? new Vector<T>(Gate[0]) * max : Vector<T>.Zero;
                for (int t = 1; t < k; t++)
                {
                    var v = Vector.Load(x0 + ((long)t * width));
                    var takes = Vector.GreaterThan(v, max) | VectorMath.IsNaN(v);
                    max = Vector.ConditionalSelect(takes, v, max);
                    at = Vector.ConditionalSelect(takes, new Vector<T>(T.CreateTruncating(t)), at);
                    sum += v;
                    if (Gate != null)
                    {
                        dot += new Vector<T>(Gate[t]) * v;
                    }
                }

                var avg = k == 1 ? sum : sum / kT;
                var s = Gate != null ? Vector<T>.One / (Vector<T>.One + VectorMath.Exp(-dot)) : new Vector<T>(A);
                var oneMinus = Vector<T>.One - s;
                if (!Backward)
                {
                    ((s * max) + (oneMinus * avg)).Store(gy + j);
                    continue;
                }

                var g = Vector.Load(gy + j);
                var toMax = s * g;
                var share = k == 1 ? oneMinus * g : oneMinus * g / kT;
                var d = Gate != null ? g * (max - avg) * s * oneMinus : g * (max - avg);
                d.Store(dRow + j);
                for (int t = 0; t < k; t++)
                {
                    var grad = Vector.ConditionalSelect(Vector.Equals(at, new Vector<T>(T.CreateTruncating(t))), toMax, Vector<T>.Zero) + share;
                    if (Gate != null)
                    {
                        grad += d * new Vector<T>(Gate[t]);
                    }

                    grad.Store(b.Grad + ((long)t * width) + j);
                }
            }

            if (!Backward)
            {
                WindowLanes.StoreLanes(b, gy, Y);
                return;
            }

            if (Gate != null)
            {
                T* partial = PartialGate + ((long)b.Unit * k);
                for (int t = 0; t < k; t++)
                {
                    T* xt = b.Values + ((long)t * width);
                    T acc = partial[t];
                    for (int j = 0; j < b.Count; j++)
                    {
                        acc += dRow[j] * xt[j];
                    }

                    partial[t] = acc;
                }
            }
            else
            {
                WindowLanes.AddLanes(b, dRow, PartialA + b.Unit);
            }
        }

        public readonly void Window(in OneWindow w)
        {
            int count = w.Count;
            long* taps = w.Taps;
            T max = MaxReducer<T>.Empty, sum = T.Zero, dot = T.Zero;
            int at = -1;
            for (int t = 0; t < count; t++)
            {
                T v = X[taps[t]];
                if (t == 0 || v > max || T.IsNaN(v))
                {
                    max = v;
                    at = t;
                }

                sum += v;
                if (Gate != null)
                {
                    dot += Gate[w.Kernel[t]] * v;
                }
            }

            long divisor = CountIncludePad
                ? (long)G.D.PaddedCount(w.Od) * G.H.PaddedCount(w.Oh) * G.W.PaddedCount(w.Ow)
                : (long)G.D.ValidCount(w.Od) * G.H.ValidCount(w.Oh) * G.W.ValidCount(w.Ow);
            T avg = count == 0 ? T.Zero : divisor == 1 ? sum : sum / T.CreateChecked(divisor);
            T s = Gate != null ? T.One / (T.One + T.Exp(-dot)) : A;
            if (!Backward)
            {
                Y[w.Output] = (s * max) + ((T.One - s) * avg);
                return;
            }

            T g = GradOutput[w.Output];
            if (at >= 0)
            {
                GradInput[taps[at]] += s * g;
            }

            T share = (T.One - s) * g;
            share = divisor == 1 ? share : share / T.CreateChecked(divisor);
            T d = Gate != null ? g * (max - avg) * s * (T.One - s) : g * (max - avg);
            for (int t = 0; t < count; t++)
            {
                GradInput[taps[t]] += share;
                if (Gate != null)
                {
                    GradInput[taps[t]] += d * Gate[w.Kernel[t]];
                    PartialGate[((long)w.Unit * G.KernelVolume) + w.Kernel[t]] += d * X[taps[t]];
                }
            }

            if (Gate == null)
            {
                PartialA[w.Unit] += d;
            }
        }
    }
}
