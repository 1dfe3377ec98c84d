using System.Numerics;
using System.Numerics.Tensors;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Stochastic pooling (Zeiler, Fergus, "Stochastic Pooling for Regularization of Deep Convolutional Neural
/// Networks", ICLR 2013) for non-negative activations (e.g. after ReLU). A window with valid taps a_i has
/// probabilities <c>p_i = a_i / Σ a_j</c>. Training (<see cref="ForwardTrain{T}"/>) picks one tap per window from
/// that distribution, with a generator seeded by the given seed and the output's position (so a result
/// depends only on the seed, not on threads or batch order), and returns its plane-local index for the
/// backward; an all-zero window gives 0 and the index of its first tap. Evaluation
/// (<see cref="ForwardEval{T}"/>) uses the paper's probabilistic weighting, <c>y = Σ p_i a_i = Σ a_i² / Σ a_i</c>,
/// the expectation of the training output (0 for an all-zero window). Backward: training sends g to the chosen
/// tap; evaluation has <c>∂y/∂a_i = (2a_i − y) / Σ a</c>. Negative or non-finite activations are refused.
/// </summary>
public static class StochasticPool
{
    /// <summary>Training forward: one sampled tap per window.</summary>
    /// <exception cref="ArgumentException">A length is invalid or an activation is negative or not finite; nothing is written then.</exception>
    public static unsafe void ForwardTrain<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ulong seed, Span<T> output, Span<long> indices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(geometry, input, output.Length, nameof(output));
        ThrowHelper.CheckLength(nameof(indices), indices.Length, geometry.OutputLength, "indices");
        fixed (T* px = input)
        fixed (T* py = output)
        fixed (long* pi = indices)
        {
            var math = new Sampling<T> { G = geometry, X = px, Y = py, Indices = pi, Seed = seed };
            WindowLanes.Run(geometry, input, default, math);
        }
    }

    /// <summary>Evaluation forward: the probability-weighted mean of each window.</summary>
    /// <exception cref="ArgumentException">A length is invalid or an activation is negative or not finite; nothing is written then.</exception>
    public static unsafe void ForwardEval<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(geometry, input, output.Length, nameof(output));
        fixed (T* px = input)
        fixed (T* py = output)
        {
            WindowLanes.Run(geometry, input, default, new ResultPerWindow<T, Weighting<T>> { X = px, Y = py });
        }
    }

    /// <summary>Training backward: the gradient goes to the chosen taps (overwriting <paramref name="gradInput"/>).</summary>
    /// <exception cref="ArgumentException">A length or an index is invalid; nothing is written then.</exception>
    public static void BackwardTrain<T>(in PoolGeometry geometry, ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> indices, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T> => MaxPool.Backward(geometry, gradOutput, indices, gradInput);

    /// <summary>Evaluation backward, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A length is invalid or an activation is negative or not finite; nothing is written then.</exception>
    public static unsafe void BackwardEval<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(geometry, input, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        fixed (T* px = input)
        fixed (T* pgy = gradOutput)
        fixed (T* pgx = gradInput)
        {
            WindowLanes.Run(geometry, input, gradInput, new ResultPerWindow<T, Weighting<T>> { X = px, GradOutput = pgy, GradInput = pgx, Backward = true });
        }
    }

    /// <summary>One tap per window, drawn with probability a_i / Σ a.</summary>
    private unsafe struct Sampling<T> : IWindowMath<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public PoolGeometry G;
        public T* X, Y;
        public long* Indices;
        public ulong Seed;

        public readonly bool Backward => false;

        /// <summary>Per lane u and the picked tap; the taps' plane-local offsets (a 64-bit value per tap).</summary>
        public static int ScratchRows(int taps) => 2 + (2 * taps);

        public readonly void Block(in LaneBlock<T> b)
        {
            int k = b.Taps, width = b.Width;
            T* uRow = b.Scratch, pickRow = uRow + width;
            long* positions = (long*)(pickRow + width);
            long es = G.Layout == TensorLayout.ChannelsFirst ? 1 : G.C;
            for (int t = 0; t < k; t++)
            {
                positions[t] = b.Offsets[t] / es;
            }

            // Each window's uniform draw, from the seed and its output index.
            for (int s = 0; s < b.SegmentCount; s++)
            {
                Segment seg = b.Segments[s];
                long o = seg.Output;
                for (int i = 0; i < seg.Count; i++, o += b.OutputStep)
                {
                    uRow[seg.Lane + i] = T.CreateChecked(Uniform(Seed, (ulong)o));
                }
            }

            new Span<T>(uRow + b.Count, width - b.Count).Clear();

            // The first tap whose cumulative sum exceeds u·Σa is the number of taps whose cumulative sum does not
            // (the sums never decrease), or tap 0 when every one is at most u·Σa.
            var kT = new Vector<T>(T.CreateTruncating(k));
            for (int j = 0; j < width; j += Vector<T>.Count)
            {
                T* x0 = b.Values + j;
                var sum = Vector<T>.Zero;
                for (int t = 0; t < k; t++)
                {
                    sum += Vector.Load(x0 + ((long)t * width));
                }

                var u = Vector.Load(uRow + j) * sum;
                Vector<T> cumulative = Vector<T>.Zero, pick = Vector<T>.Zero;
                for (int t = 0; t < k; t++)
                {
                    cumulative += Vector.Load(x0 + ((long)t * width));
                    pick += Vector.ConditionalSelect(Vector.LessThanOrEqual(cumulative, u), Vector<T>.One, Vector<T>.Zero);
                }

                pick = Vector.ConditionalSelect(Vector.Equals(pick, kT), Vector<T>.Zero, pick);
                var y = Vector.Load(x0);
                for (int t = 1; t < k; t++)
                {
                    y = Vector.ConditionalSelect(Vector.Equals(pick, new Vector<T>(T.CreateTruncating(t))), Vector.Load(x0 + ((long)t * width)), y);
                }

                y.Store(uRow + j);
                pick.Store(pickRow + j);
            }

            WindowLanes.StoreLanes(b, uRow, Y);
            for (int s = 0; s < b.SegmentCount; s++)
            {
                Segment seg = b.Segments[s];
                long o = seg.Output, tap0 = PlaneIndex(G, seg.Input), step = b.Step / es;
                for (int i = 0; i < seg.Count; i++, o += b.OutputStep, tap0 += step)
                {
                    Indices[o] = tap0 + positions[int.CreateTruncating(pickRow[seg.Lane + i])];
                }
            }
        }

        public readonly void Window(in OneWindow w)
        {
            int count = w.Count;
            T sum = T.Zero;
            for (int t = 0; t < count; t++)
            {
                sum += X[w.Taps[t]];
            }

            if (count == 0)
            {
                Y[w.Output] = T.Zero;
                Indices[w.Output] = -1;
                return;
            }

            T u = T.CreateChecked(Uniform(Seed, (ulong)w.Output)) * sum, cumulative = T.Zero;
            int pick = 0;
            for (int t = 0; t < count; t++)
            {
                cumulative += X[w.Taps[t]];
                if (u < cumulative)
                {
                    pick = t;
                    break;
                }
            }

            Y[w.Output] = X[w.Taps[pick]];
            Indices[w.Output] = PlaneIndex(G, w.Taps[pick]);
        }
    }

    /// <summary>The probability-weighted mean <c>Σ a² / Σ a</c> of each window and its gradient <c>(2a_i − y) / Σ a</c>.</summary>
    private readonly unsafe struct Weighting<T> : IWindowResult<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Vector<T> Lanes(in LaneBlock<T> b, int j, Vector<T> g, bool backward)
        {
            int k = b.Taps, width = b.Width;
            T* x0 = b.Values + j;
            Vector<T> sum = Vector<T>.Zero, squares = Vector<T>.Zero;
            for (int t = 0; t < k; t++)
            {
                var v = Vector.Load(x0 + ((long)t * width));
                sum += v;
                squares += v * v;
            }

            var empty = Vector.Equals(sum, Vector<T>.Zero);
            var y = Vector.ConditionalSelect(empty, Vector<T>.Zero, squares / sum);
            if (!backward)
            {
                return y;
            }

            var two = new Vector<T>(T.CreateTruncating(2));
            for (int t = 0; t < k; t++)
            {
                var v = Vector.Load(x0 + ((long)t * width));
                Vector.ConditionalSelect(empty, Vector<T>.Zero, g * ((two * v) - y) / sum).Store(b.Grad + ((long)t * width) + j);
            }

            return y;
        }

        public static T Window(T* x, in OneWindow w, T g, T* gradInput, bool backward)
        {
            int count = w.Count;
            long* taps = w.Taps;
            T sum = T.Zero, squares = T.Zero;
            for (int t = 0; t < count; t++)
            {
                T v = x[taps[t]];
                sum += v;
                squares += v * v;
            }

            T y = sum == T.Zero ? T.Zero : squares / sum;
            if (!backward)
            {
                return y;
            }

            for (int t = 0; t < count && sum != T.Zero; t++)
            {
                gradInput[taps[t]] += g * ((T.CreateChecked(2) * x[taps[t]]) - y) / sum;
            }

            return y;
        }
    }

    /// <summary>A uniform number in [0, 1) from the seed and the output position (SplitMix64 of both, 53 bits).</summary>
    private static double Uniform(ulong seed, ulong position)
    {
        ulong z = seed + ((position + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    private static long PlaneIndex(in PoolGeometry g, long physical) => g.Layout == TensorLayout.ChannelsFirst
        ? physical % g.InputPlane
        : physical / g.C % g.InputPlane;

    private static void CheckArguments<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, int outputLength, string outputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("stochastic pooling");
        ThrowHelper.CheckLength(nameof(input), input.Length, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);

        // The smallest element propagates NaN and the largest shows infinity: one vectorized pass each when all is well.
        if (input.IsEmpty || (TensorPrimitives.Min(input) >= T.Zero && T.IsFinite(TensorPrimitives.Max(input))))
        {
            return;
        }

        for (int i = 0; i < input.Length; i++)
        {
            if (!(input[i] >= T.Zero) || !T.IsFinite(input[i]))
            {
                ThrowHelper.Argument(nameof(input), $"stochastic pooling takes non-negative activations; element {i} is {input[i]}.");
            }
        }
    }
}
