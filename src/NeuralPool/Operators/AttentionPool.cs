using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>
/// Attention pooling over the time steps of sequences (as in Yang et al., "Hierarchical Attention Networks for
/// Document Classification", NAACL 2016, with the context vector as the query): with a learnable query q of D
/// features, step t of sequence b scores <c>s_t = x_t · q</c>, the valid steps are weighted by
/// <c>α = softmax(s)</c> (computed with the largest score subtracted; padding steps get weight 0) and
/// <c>y = Σ α_t x_t</c>. An empty sequence gives 0. Gradients: with <c>δ_t = α_t (g·x_t − g·y)</c>,
/// <c>∂L/∂x_t = α_t g + δ_t q</c> and <c>∂L/∂q = Σ_t δ_t x_t</c> (summed over the batch). Padded batch (B, T, D)
/// with a mask (B × T) or lengths; Backward overwrites <c>gradInput</c> and <c>gradQuery</c>.
/// </summary>
public static class AttentionPool
{
    /// <summary>Forward.</summary>
    /// <param name="input">(B, T, D), row-major.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="features">D.</param>
    /// <param name="mask">B × T, true where the step is part of the sequence.</param>
    /// <param name="query">The query q, D values.</param>
    /// <param name="output">Receives B × D values.</param>
    /// <param name="weights">Empty, or receives the B × T attention weights (0 on padding).</param>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Forward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<bool> mask, ReadOnlySpan<T> query,
        Span<T> output, Span<T> weights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(input.Length, batch, steps, features, mask.Length, query.Length);
        ThrowHelper.CheckLength(nameof(output), output.Length, (long)batch * features, "output");
        if (!weights.IsEmpty)
        {
            ThrowHelper.CheckLength(nameof(weights), weights.Length, (long)batch * steps, "weights");
        }

        Span<T> alpha = steps <= 1024 ? stackalloc T[steps] : new T[steps];
        for (int b = 0; b < batch; b++)
        {
            Softmax(input, b, steps, features, mask, query, alpha);
            MaskedSoftmax.WeightedSum(input.Slice(b * steps * features, steps * features), features, mask.Slice(b * steps, steps), alpha,
                output.Slice(b * features, features));

            if (!weights.IsEmpty)
            {
                alpha.CopyTo(weights.Slice(b * steps, steps));
            }
        }
    }

    /// <summary>Forward for a padded batch with lengths (the first <c>lengths[b]</c> steps are real).</summary>
    /// <exception cref="ArgumentException">A size, length or sequence length is invalid; nothing is written then.</exception>
    public static void Forward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<int> lengths, ReadOnlySpan<T> query,
        Span<T> output, Span<T> weights = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(input, batch, steps, features, SequencePool.MaskOf(lengths, batch, steps), query, output, weights);

    /// <summary>Gradients with respect to the input and the query, overwriting both.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Backward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<bool> mask, ReadOnlySpan<T> query,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput, Span<T> gradQuery)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(input.Length, batch, steps, features, mask.Length, query.Length);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, (long)batch * features, "gradOutput");
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        ThrowHelper.CheckLength(nameof(gradQuery), gradQuery.Length, features, "gradQuery");
        gradInput.Clear();
        gradQuery.Clear();
        Span<T> alpha = steps <= 1024 ? stackalloc T[steps] : new T[steps];
        Span<T> y = features <= 1024 ? stackalloc T[features] : new T[features];
        for (int b = 0; b < batch; b++)
        {
            Softmax(input, b, steps, features, mask, query, alpha);
            MaskedSoftmax.WeightedSum(input.Slice(b * steps * features, steps * features), features, mask.Slice(b * steps, steps), alpha, y);

            ReadOnlySpan<T> g = gradOutput.Slice(b * features, features);
            T gy = Dot(g, y);
            for (int t = 0; t < steps; t++)
            {
                if (!mask[(b * steps) + t])
                {
                    continue;
                }

                ReadOnlySpan<T> xt = input.Slice(((b * steps) + t) * features, features);
                T delta = alpha[t] * (Dot(g, xt) - gy);
                Span<T> gx = gradInput.Slice(((b * steps) + t) * features, features);
                for (int f = 0; f < features; f++)
                {
                    gx[f] = (alpha[t] * g[f]) + (delta * query[f]);
                    gradQuery[f] += delta * xt[f];
                }
            }
        }
    }

    /// <summary>Gradients for a padded batch with lengths, overwriting both.</summary>
    /// <exception cref="ArgumentException">A size, length or sequence length is invalid; nothing is written then.</exception>
    public static void Backward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<int> lengths, ReadOnlySpan<T> query,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput, Span<T> gradQuery)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(input, batch, steps, features, SequencePool.MaskOf(lengths, batch, steps), query, gradOutput, gradInput, gradQuery);

    /// <summary>Forward for a ragged batch: sequence b is rows <c>[offsets[b], offsets[b + 1])</c> of the (Σ L, D) input; weights (Σ L) follow the rows.</summary>
    /// <exception cref="ArgumentException">The offsets or a length are invalid; nothing is written then.</exception>
    public static void ForwardRagged<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, int features, ReadOnlySpan<T> query, Span<T> output, Span<T> weights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = SequencePool.CheckOffsets(offsets, input.Length, features);
        ThrowHelper.CheckLength(nameof(output), output.Length, (long)batch * features, "output");
        if (!weights.IsEmpty)
        {
            ThrowHelper.CheckLength(nameof(weights), weights.Length, input.Length / features, "weights");
        }

        var (padded, mask, steps) = Pad(input, offsets, features);
        var paddedWeights = new T[batch * steps];
        Forward<T>(padded, batch, steps, features, mask, query, output, paddedWeights);
        for (int b = 0; b < batch && !weights.IsEmpty; b++)
        {
            paddedWeights.AsSpan(b * steps, offsets[b + 1] - offsets[b]).CopyTo(weights[offsets[b]..]);
        }
    }

    /// <summary>Gradients for a ragged batch, overwriting both.</summary>
    /// <exception cref="ArgumentException">The offsets or a length are invalid; nothing is written then.</exception>
    public static void BackwardRagged<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, int features, ReadOnlySpan<T> query,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput, Span<T> gradQuery)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = SequencePool.CheckOffsets(offsets, input.Length, features);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        var (padded, mask, steps) = Pad(input, offsets, features);
        var paddedGrad = new T[padded.Length];
        Backward<T>(padded, batch, steps, features, mask, query, gradOutput, paddedGrad, gradQuery);
        for (int b = 0; b < batch; b++)
        {
            int rows = offsets[b + 1] - offsets[b];
            paddedGrad.AsSpan(b * steps * features, rows * features).CopyTo(gradInput[(offsets[b] * features)..]);
        }
    }

    /// <summary>The ragged rows laid out as a padded (B, T_max, D) batch with its mask.</summary>
    private static (T[] Padded, bool[] Mask, int Steps) Pad<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, int features)
        where T : unmanaged
    {
        int batch = offsets.Length - 1, steps = 0;
        for (int b = 0; b < batch; b++)
        {
            steps = Math.Max(steps, offsets[b + 1] - offsets[b]);
        }

        var padded = new T[batch * steps * features];
        var mask = new bool[batch * steps];
        for (int b = 0; b < batch; b++)
        {
            int rows = offsets[b + 1] - offsets[b];
            input.Slice(offsets[b] * features, rows * features).CopyTo(padded.AsSpan(b * steps * features));
            mask.AsSpan(b * steps, rows).Fill(true);
        }

        return (padded, mask, steps);
    }

    /// <summary>The attention weights of sequence b into <paramref name="alpha"/> (0 on padding; all 0 for an empty sequence).</summary>
    private static void Softmax<T>(ReadOnlySpan<T> x, int b, int steps, int features, ReadOnlySpan<bool> mask, ReadOnlySpan<T> q, Span<T> alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int t = 0; t < steps; t++)
        {
            alpha[t] = mask[(b * steps) + t] ? Dot(x.Slice(((b * steps) + t) * features, features), q) : T.Zero;
        }

        MaskedSoftmax.Normalize(alpha, mask.Slice(b * steps, steps));
    }

    private static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> => MaskedSoftmax.Dot(a, b);

    private static void Check(int inputLength, int batch, int steps, int features, int maskLength, int queryLength)
    {
        if (batch < 0 || steps < 0 || features <= 0)
        {
            ThrowHelper.Argument(nameof(features), $"batch {batch}, steps {steps} and features {features} must be non-negative (features positive).");
        }

        ThrowHelper.CheckLength("input", inputLength, (long)batch * steps * features, "input");
        ThrowHelper.CheckLength("mask", maskLength, (long)batch * steps, "mask");
        ThrowHelper.CheckLength("query", queryLength, features, "query");
    }
}
