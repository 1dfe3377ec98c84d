using System.Numerics;
using NeuralPool.Geometry;

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
    public static void ForwardTrain<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ulong seed, Span<T> output, Span<long> indices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(geometry, input, output.Length, nameof(output));
        ThrowHelper.CheckLength(nameof(indices), indices.Length, geometry.OutputLength, "indices");
        Span<long> taps = geometry.KernelVolume <= 256 ? stackalloc long[(int)Math.Max(1, geometry.KernelVolume)] : new long[geometry.KernelVolume];
        var walk = new WindowTaps.Walk(geometry, taps);
        while (walk.Next(out long o, out int count))
        {
            T sum = T.Zero;
            for (int t = 0; t < count; t++)
            {
                sum += input[(int)taps[t]];
            }

            // u uniform in [0, 1): the first tap whose cumulative probability exceeds u.
            T u = T.CreateChecked(Uniform(seed, (ulong)o)) * sum;
            int pick = count == 0 ? -1 : 0;
            T cumulative = T.Zero;
            for (int t = 0; t < count; t++)
            {
                cumulative += input[(int)taps[t]];
                if (u < cumulative)
                {
                    pick = t;
                    break;
                }
            }

            output[(int)o] = pick < 0 ? T.Zero : input[(int)taps[pick]];
            indices[(int)o] = pick < 0 ? -1 : PlaneIndex(geometry, taps[pick]);
        }
    }

    /// <summary>Evaluation forward: the probability-weighted mean of each window.</summary>
    /// <exception cref="ArgumentException">A length is invalid or an activation is negative or not finite; nothing is written then.</exception>
    public static void ForwardEval<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(geometry, input, output.Length, nameof(output));
        Eval(geometry, input, output, default, default);
    }

    /// <summary>Training backward: the gradient goes to the chosen taps (overwriting <paramref name="gradInput"/>).</summary>
    /// <exception cref="ArgumentException">A length or an index is invalid; nothing is written then.</exception>
    public static void BackwardTrain<T>(in PoolGeometry geometry, ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> indices, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T> => MaxPool.Backward(geometry, gradOutput, indices, gradInput);

    /// <summary>Evaluation backward, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A length is invalid or an activation is negative or not finite; nothing is written then.</exception>
    public static void BackwardEval<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(geometry, input, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        gradInput.Clear();
        Eval(geometry, input, default, gradOutput, gradInput);
    }

    private static void Eval<T>(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<long> taps = g.KernelVolume <= 256 ? stackalloc long[(int)Math.Max(1, g.KernelVolume)] : new long[g.KernelVolume];
        var walk = new WindowTaps.Walk(g, taps);
        while (walk.Next(out long o, out int count))
        {
            T sum = T.Zero, squares = T.Zero;
            for (int t = 0; t < count; t++)
            {
                T v = x[(int)taps[t]];
                sum += v;
                squares += v * v;
            }

            T y = sum == T.Zero ? T.Zero : squares / sum;
            if (gradInput.IsEmpty)
            {
                output[(int)o] = y;
                continue;
            }

            for (int t = 0; t < count && sum != T.Zero; t++)
            {
                gradInput[(int)taps[t]] += gradOutput[(int)o] * ((T.CreateChecked(2) * x[(int)taps[t]]) - y) / sum;
            }
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
        for (int i = 0; i < input.Length; i++)
        {
            if (!(input[i] >= T.Zero) || !T.IsFinite(input[i]))
            {
                ThrowHelper.Argument(nameof(input), $"stochastic pooling takes non-negative activations; element {i} is {input[i]}.");
            }
        }
    }
}
