using System.Numerics;

namespace NeuralPool.Operators;

/// <summary>The softmax over the present entries that attention pooling and fusion share.</summary>
internal static class MaskedSoftmax
{
    /// <summary>
    /// <c>z = Σ α_m h_m</c> over the present rows of one set (rows of <paramref name="features"/> values starting at
    /// <paramref name="rows"/>): an absent row is skipped, not weighted by 0, so whatever it holds (NaN,
    /// infinities) never reaches the result.
    /// </summary>
    public static void WeightedSum<T>(ReadOnlySpan<T> rows, int features, ReadOnlySpan<bool> present, ReadOnlySpan<T> alpha, Span<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        z.Clear();
        for (int m = 0; m < present.Length; m++)
        {
            if (!present[m])
            {
                continue;
            }

            ReadOnlySpan<T> h = rows.Slice(m * features, features);
            for (int f = 0; f < features; f++)
            {
                z[f] += alpha[m] * h[f];
            }
        }
    }

    /// <summary>Turns <paramref name="scores"/> into weights in place: <c>e^{s−max}</c> normalized over the present entries, 0 elsewhere (all 0 when none is present).</summary>
    public static void Normalize<T>(Span<T> scores, ReadOnlySpan<bool> present)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T top = T.NegativeInfinity;
        bool any = false;
        for (int i = 0; i < scores.Length; i++)
        {
            if (present[i])
            {
                top = any ? T.Max(top, scores[i]) : scores[i];
                any = true;
            }
        }

        T sum = T.Zero;
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = present[i] ? T.Exp(scores[i] - top) : T.Zero;
            sum += scores[i];
        }

        for (int i = 0; i < scores.Length && any; i++)
        {
            scores[i] /= sum;
        }
    }

    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = T.Zero;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }
}
