using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>How <see cref="FusionPool"/> combines the per-modality embeddings of a sample.</summary>
public enum FusionMode
{
    /// <summary>Mean of the present modalities (none present: 0).</summary>
    Mean,

    /// <summary>Per-feature maximum of the present modalities (none present: −∞).</summary>
    Max,
}

/// <summary>
/// Pools a set of per-modality embeddings (B samples × M modalities × D features) into one vector per sample,
/// tolerating missing modalities through a mask (B × M, true where the modality is present): mean or max
/// (<see cref="Forward{T}"/>, the sequence pooling rules with modalities as steps), or gated attention
/// (Ilse, Tomczak, Welling, "Attention-based Deep Multiple Instance Learning", ICML 2018):
/// <c>s_m = wᵀ(tanh(V h_m) ⊙ σ(U h_m))</c>, <c>α = softmax(s)</c> over the present modalities,
/// <c>z = Σ α_m h_m</c>, with learnable V, U (L × D) and w (L). A sample with no modality present gives 0 for
/// the gated attention and the mean, −∞ for the max. Backward overwrites every gradient it writes.
/// </summary>
public static class FusionPool
{
    /// <summary>Mean or max over the present modalities.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Forward<T>(ReadOnlySpan<T> embeddings, int batch, int modalities, int features, ReadOnlySpan<bool> present, FusionMode mode, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SequencePool.Forward(embeddings, batch, modalities, features, present, Reduction(mode), output);

    /// <summary>Gradient of <see cref="Forward{T}"/>, overwriting <paramref name="gradEmbeddings"/>.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void Backward<T>(ReadOnlySpan<T> embeddings, int batch, int modalities, int features, ReadOnlySpan<bool> present, FusionMode mode,
        ReadOnlySpan<T> gradOutput, Span<T> gradEmbeddings)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SequencePool.Backward(embeddings, batch, modalities, features, present, Reduction(mode), gradOutput, gradEmbeddings);

    /// <summary>Gated attention fusion.</summary>
    /// <param name="embeddings">(B, M, D).</param>
    /// <param name="batch">B.</param>
    /// <param name="modalities">M.</param>
    /// <param name="features">D.</param>
    /// <param name="present">B × M.</param>
    /// <param name="v">V, L × D row-major.</param>
    /// <param name="u">U, L × D row-major.</param>
    /// <param name="w">w, L values.</param>
    /// <param name="output">Receives B × D values.</param>
    /// <param name="weights">Empty, or receives the B × M attention weights (0 for missing modalities).</param>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void GatedForward<T>(ReadOnlySpan<T> embeddings, int batch, int modalities, int features, ReadOnlySpan<bool> present,
        ReadOnlySpan<T> v, ReadOnlySpan<T> u, ReadOnlySpan<T> w, Span<T> output, Span<T> weights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = Check(embeddings.Length, batch, modalities, features, present.Length, v.Length, u.Length, w.Length);
        ThrowHelper.CheckLength(nameof(output), output.Length, (long)batch * features, "output");
        if (!weights.IsEmpty)
        {
            ThrowHelper.CheckLength(nameof(weights), weights.Length, (long)batch * modalities, "weights");
        }

        var alpha = new T[modalities];
        for (int b = 0; b < batch; b++)
        {
            Attention(embeddings, b, modalities, features, present, v, u, w, hidden, alpha, default);
            MaskedSoftmax.WeightedSum(Sample(embeddings, b, modalities, features), features, present.Slice(b * modalities, modalities), alpha, output.Slice(b * features, features));

            if (!weights.IsEmpty)
            {
                alpha.CopyTo(weights.Slice(b * modalities, modalities));
            }
        }
    }

    /// <summary>Gradients of gated attention fusion with respect to the embeddings, V, U and w, overwriting all four.</summary>
    /// <exception cref="ArgumentException">A size or length is invalid; nothing is written then.</exception>
    public static void GatedBackward<T>(ReadOnlySpan<T> embeddings, int batch, int modalities, int features, ReadOnlySpan<bool> present,
        ReadOnlySpan<T> v, ReadOnlySpan<T> u, ReadOnlySpan<T> w, ReadOnlySpan<T> gradOutput,
        Span<T> gradEmbeddings, Span<T> gradV, Span<T> gradU, Span<T> gradW)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = Check(embeddings.Length, batch, modalities, features, present.Length, v.Length, u.Length, w.Length);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, (long)batch * features, "gradOutput");
        ThrowHelper.CheckLength(nameof(gradEmbeddings), gradEmbeddings.Length, embeddings.Length, "gradEmbeddings");
        ThrowHelper.CheckLength(nameof(gradV), gradV.Length, v.Length, "gradV");
        ThrowHelper.CheckLength(nameof(gradU), gradU.Length, u.Length, "gradU");
        ThrowHelper.CheckLength(nameof(gradW), gradW.Length, w.Length, "gradW");
        gradEmbeddings.Clear();
        gradV.Clear();
        gradU.Clear();
        gradW.Clear();
        var alpha = new T[modalities];
        var gates = new T[modalities * 2 * hidden];
        var z = new T[features];
        for (int b = 0; b < batch; b++)
        {
            Attention(embeddings, b, modalities, features, present, v, u, w, hidden, alpha, gates);
            MaskedSoftmax.WeightedSum(Sample(embeddings, b, modalities, features), features, present.Slice(b * modalities, modalities), alpha, z);

            ReadOnlySpan<T> g = gradOutput.Slice(b * features, features);
            T gz = Dot(g, z);
            for (int m = 0; m < modalities; m++)
            {
                if (!present[(b * modalities) + m])
                {
                    continue;
                }

                ReadOnlySpan<T> h = embeddings.Slice(((b * modalities) + m) * features, features);
                Span<T> gh = gradEmbeddings.Slice(((b * modalities) + m) * features, features);
                T delta = alpha[m] * (Dot(g, h) - gz);
                for (int f = 0; f < features; f++)
                {
                    gh[f] = alpha[m] * g[f];
                }

                ReadOnlySpan<T> a = gates.AsSpan(m * 2 * hidden, hidden), s = gates.AsSpan((m * 2 * hidden) + hidden, hidden);
                for (int l = 0; l < hidden; l++)
                {
                    gradW[l] += delta * a[l] * s[l];
                    T dp = delta * w[l] * s[l] * (T.One - (a[l] * a[l])); // through tanh
                    T dq = delta * w[l] * a[l] * s[l] * (T.One - s[l]);  // through the sigmoid
                    for (int f = 0; f < features; f++)
                    {
                        gradV[(l * features) + f] += dp * h[f];
                        gradU[(l * features) + f] += dq * h[f];
                        gh[f] += (dp * v[(l * features) + f]) + (dq * u[(l * features) + f]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Attention weights of sample b into <paramref name="alpha"/> (0 for missing modalities), and, when
    /// <paramref name="gates"/> holds M·2L values, each present modality's tanh and sigmoid activations.
    /// </summary>
    private static void Attention<T>(ReadOnlySpan<T> x, int b, int modalities, int features, ReadOnlySpan<bool> present,
        ReadOnlySpan<T> v, ReadOnlySpan<T> u, ReadOnlySpan<T> w, int hidden, Span<T> alpha, Span<T> gates)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool keep = gates.Length >= modalities * 2 * hidden;
        for (int m = 0; m < modalities; m++)
        {
            alpha[m] = T.Zero;
            if (!present[(b * modalities) + m])
            {
                continue;
            }

            ReadOnlySpan<T> h = x.Slice(((b * modalities) + m) * features, features);
            T score = T.Zero;
            for (int l = 0; l < hidden; l++)
            {
                T a = T.Tanh(Dot(v.Slice(l * features, features), h));
                T s = T.One / (T.One + T.Exp(-Dot(u.Slice(l * features, features), h)));
                score += w[l] * a * s;
                if (keep)
                {
                    gates[(m * 2 * hidden) + l] = a;
                    gates[(m * 2 * hidden) + hidden + l] = s;
                }
            }

            alpha[m] = score;
        }

        MaskedSoftmax.Normalize(alpha, present.Slice(b * modalities, modalities));
    }

    private static ReadOnlySpan<T> Sample<T>(ReadOnlySpan<T> x, int b, int modalities, int features) =>
        x.Slice(b * modalities * features, modalities * features);

    private static SequenceReduction Reduction(FusionMode mode) => mode == FusionMode.Max ? SequenceReduction.Max : SequenceReduction.Mean;

    private static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> => MaskedSoftmax.Dot(a, b);

    private static int Check(int length, int batch, int modalities, int features, int presentLength, int vLength, int uLength, int wLength)
    {
        if (batch < 0 || modalities < 0 || features <= 0 || wLength <= 0)
        {
            ThrowHelper.Argument(nameof(features), $"batch {batch}, modalities {modalities}, features {features} and hidden size {wLength} must be non-negative (features and hidden size positive).");
        }

        ThrowHelper.CheckLength("embeddings", length, (long)batch * modalities * features, "embeddings");
        ThrowHelper.CheckLength("present", presentLength, (long)batch * modalities, "present");
        ThrowHelper.CheckLength("v", vLength, (long)wLength * features, "v");
        ThrowHelper.CheckLength("u", uLength, (long)wLength * features, "u");
        return wLength;
    }
}
