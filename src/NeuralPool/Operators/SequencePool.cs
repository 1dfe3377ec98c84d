using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>How <see cref="SequencePool"/> reduces the valid steps of a sequence.</summary>
public enum SequenceReduction
{
    /// <summary>Mean of the valid steps (an empty sequence gives 0).</summary>
    Mean,

    /// <summary>Maximum of the valid steps per feature, with max pooling's NaN and tie rules (an empty sequence gives −∞ and index −1).</summary>
    Max,
}

/// <summary>
/// Pooling over the time steps of sequences (NLP): a padded batch (B, T, D) with a mask (B × T, true where a
/// step is real) or with lengths (the first L_b steps are real), or a ragged batch without padding (the rows of
/// all sequences stacked, (Σ L_b, D), with B + 1 offsets). Output (B, D). Mean divides by the number of valid
/// steps and gives 0 for an empty sequence (as <c>sum / clamp(count, min=1)</c>); max takes, per feature, the
/// first maximum (NaN propagates, the last NaN wins) and reports the step it came from (−1 for an empty
/// sequence, whose value is −∞, as <c>masked_fill(~mask, -inf).max(1)</c> gives). Backward: mean spreads
/// <c>g / count</c> over the valid steps, max sends <c>g</c> to the step of the maximum; padding steps get 0.
/// Backward overwrites <c>gradInput</c>.
/// </summary>
public static class SequencePool
{
    /// <summary>Padded batch with a mask.</summary>
    /// <param name="input">(B, T, D), row-major.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="features">D.</param>
    /// <param name="mask">B × T, true where the step is part of the sequence.</param>
    /// <param name="reduction">Mean or max.</param>
    /// <param name="output">Receives B × D values.</param>
    /// <param name="argmax">Empty, or (max) receives the step of each maximum (−1 for an empty sequence).</param>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Forward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<bool> mask, SequenceReduction reduction,
        Span<T> output, Span<long> argmax = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPadded(input.Length, batch, steps, features);
        ThrowHelper.CheckLength(nameof(mask), mask.Length, (long)batch * steps, "mask");
        CheckOutputs(output.Length, argmax.Length, batch, features, reduction);
        Span<int> rows = steps <= 1024 ? stackalloc int[steps] : new int[steps];
        for (int b = 0; b < batch; b++)
        {
            int count = 0;
            for (int t = 0; t < steps; t++)
            {
                if (mask[(b * steps) + t])
                {
                    rows[count++] = (b * steps) + t;
                }
            }

            Reduce(input, features, rows[..count], b * steps, reduction, output.Slice(b * features, features), argmax.IsEmpty ? default : argmax.Slice(b * features, features));
        }
    }

    /// <summary>Padded batch with lengths: the first <c>lengths[b]</c> steps of sequence b are real.</summary>
    /// <exception cref="ArgumentException">A size, length or sequence length is invalid; nothing is written then.</exception>
    public static void Forward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<int> lengths, SequenceReduction reduction,
        Span<T> output, Span<long> argmax = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var mask = MaskOf(lengths, batch, steps);
        Forward(input, batch, steps, features, mask, reduction, output, argmax);
    }

    /// <summary>Ragged batch: sequence b is rows <c>[offsets[b], offsets[b + 1])</c> of the (Σ L, D) input; argmax is the step within the sequence.</summary>
    /// <exception cref="ArgumentException">The offsets are not non-decreasing from 0 to the row count, or a length is invalid; nothing is written then.</exception>
    public static void ForwardRagged<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, int features, SequenceReduction reduction,
        Span<T> output, Span<long> argmax = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = CheckOffsets(offsets, input.Length, features);
        CheckOutputs(output.Length, argmax.Length, batch, features, reduction);
        int longest = 0;
        for (int b = 0; b < batch; b++)
        {
            longest = Math.Max(longest, offsets[b + 1] - offsets[b]);
        }

        Span<int> rows = longest <= 1024 ? stackalloc int[longest] : new int[longest];
        for (int b = 0; b < batch; b++)
        {
            int count = offsets[b + 1] - offsets[b];
            for (int t = 0; t < count; t++)
            {
                rows[t] = offsets[b] + t;
            }

            Reduce(input, features, rows[..count], offsets[b], reduction, output.Slice(b * features, features), argmax.IsEmpty ? default : argmax.Slice(b * features, features));
        }
    }

    /// <summary>Gradient for a padded batch with a mask (max recomputes its steps from <paramref name="input"/>), overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Backward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<bool> mask, SequenceReduction reduction,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPadded(input.Length, batch, steps, features);
        ThrowHelper.CheckLength(nameof(mask), mask.Length, (long)batch * steps, "mask");
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, (long)batch * features, "gradOutput");
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        var values = new T[batch * features];
        var argmax = new long[batch * features];
        Forward(input, batch, steps, features, mask, reduction, values, reduction == SequenceReduction.Max ? argmax : default);
        gradInput.Clear();
        for (int b = 0; b < batch; b++)
        {
            int count = 0;
            for (int t = 0; t < steps; t++)
            {
                count += mask[(b * steps) + t] ? 1 : 0;
            }

            for (int f = 0; f < features; f++)
            {
                T g = gradOutput[(b * features) + f];
                if (reduction == SequenceReduction.Max)
                {
                    long t = argmax[(b * features) + f];
                    if (t >= 0)
                    {
                        gradInput[(int)((((b * steps) + t) * features) + f)] += g;
                    }

                    continue;
                }

                for (int t = 0; t < steps; t++)
                {
                    if (mask[(b * steps) + t])
                    {
                        gradInput[(((b * steps) + t) * features) + f] += g / T.CreateChecked(count);
                    }
                }
            }
        }
    }

    /// <summary>Gradient for a padded batch with lengths, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A size, length or sequence length is invalid; nothing is written then.</exception>
    public static void Backward<T>(ReadOnlySpan<T> input, int batch, int steps, int features, ReadOnlySpan<int> lengths, SequenceReduction reduction,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(input, batch, steps, features, MaskOf(lengths, batch, steps), reduction, gradOutput, gradInput);

    /// <summary>Gradient for a ragged batch (max recomputes its steps from <paramref name="input"/>), overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">The offsets or a length are invalid; nothing is written then.</exception>
    public static void BackwardRagged<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, int features, SequenceReduction reduction,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = CheckOffsets(offsets, input.Length, features);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, (long)batch * features, "gradOutput");
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        var values = new T[batch * features];
        var argmax = new long[batch * features];
        ForwardRagged(input, offsets, features, reduction, values, reduction == SequenceReduction.Max ? argmax : default);
        gradInput.Clear();
        for (int b = 0; b < batch; b++)
        {
            int first = offsets[b], count = offsets[b + 1] - first;
            for (int f = 0; f < features; f++)
            {
                T g = gradOutput[(b * features) + f];
                if (reduction == SequenceReduction.Max)
                {
                    long t = argmax[(b * features) + f];
                    if (t >= 0)
                    {
                        gradInput[(int)(((first + t) * features) + f)] += g;
                    }

                    continue;
                }

                for (int t = 0; t < count; t++)
                {
                    gradInput[((first + t) * features) + f] += g / T.CreateChecked(count);
                }
            }
        }
    }

    /// <summary>One sequence: its valid rows (in step order) reduced feature by feature.</summary>
    private static void Reduce<T>(ReadOnlySpan<T> input, int features, ReadOnlySpan<int> rows, int firstRow, SequenceReduction reduction, Span<T> output, Span<long> argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int f = 0; f < features; f++)
        {
            if (reduction == SequenceReduction.Mean)
            {
                T sum = T.Zero;
                foreach (int r in rows)
                {
                    sum += input[(r * features) + f];
                }

                output[f] = rows.IsEmpty ? T.Zero : sum / T.CreateChecked(rows.Length);
                continue;
            }

            T best = T.NegativeInfinity;
            long at = -1;
            foreach (int r in rows)
            {
                T v = input[(r * features) + f];
                if (at < 0 || v > best || T.IsNaN(v))
                {
                    best = v;
                    at = r - firstRow;
                }
            }

            output[f] = best;
            if (!argmax.IsEmpty)
            {
                argmax[f] = at;
            }
        }
    }

    internal static bool[] MaskOf(ReadOnlySpan<int> lengths, int batch, int steps)
    {
        ThrowHelper.CheckLength(nameof(lengths), lengths.Length, batch, "lengths");
        var mask = new bool[batch * steps];
        for (int b = 0; b < batch; b++)
        {
            if (lengths[b] < 0 || lengths[b] > steps)
            {
                ThrowHelper.Argument(nameof(lengths), $"length {lengths[b]} of sequence {b} is outside [0, {steps}].");
            }

            mask.AsSpan(b * steps, lengths[b]).Fill(true);
        }

        return mask;
    }

    private static void CheckPadded(int inputLength, int batch, int steps, int features)
    {
        if (batch < 0 || steps < 0 || features <= 0)
        {
            ThrowHelper.Argument(nameof(features), $"batch {batch}, steps {steps} and features {features} must be non-negative (features positive).");
        }

        ThrowHelper.CheckLength("input", inputLength, (long)batch * steps * features, "input");
    }

    private static void CheckOutputs(int outputLength, int argmaxLength, int batch, int features, SequenceReduction reduction)
    {
        ThrowHelper.CheckLength("output", outputLength, (long)batch * features, "output");
        if (argmaxLength != 0)
        {
            if (reduction != SequenceReduction.Max)
            {
                ThrowHelper.Argument("argmax", "argmax is defined for max pooling only.");
            }

            ThrowHelper.CheckLength("argmax", argmaxLength, (long)batch * features, "argmax");
        }
    }

    internal static int CheckOffsets(ReadOnlySpan<int> offsets, int inputLength, int features)
    {
        if (features <= 0 || inputLength % features != 0)
        {
            ThrowHelper.Argument(nameof(features), $"input of {inputLength} values is not a whole number of rows of {features} features.");
        }

        int rows = inputLength / features;
        if (offsets.IsEmpty || offsets[0] != 0 || offsets[^1] != rows)
        {
            ThrowHelper.Argument(nameof(offsets), $"offsets must start at 0 and end at the row count {rows}.");
        }

        for (int b = 1; b < offsets.Length; b++)
        {
            if (offsets[b] < offsets[b - 1])
            {
                ThrowHelper.Argument(nameof(offsets), $"offsets decrease at sequence {b - 1} ({offsets[b - 1]} then {offsets[b]}).");
            }
        }

        return offsets.Length - 1;
    }
}
