using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>How a detail-preserving pool rewards a tap's deviation from the window's guide value.</summary>
public enum DppVariant
{
    /// <summary>Deviations in both directions raise a tap's weight (<c>d = x − t</c>).</summary>
    Symmetric,

    /// <summary>Only taps above the guide gain weight (<c>d = max(0, x − t)</c>).</summary>
    Asymmetric,
}

/// <summary>
/// Detail-preserving pooling (Saeedan, Weber, Goesele, Roth, "Detail-Preserving Pooling in Deep Networks",
/// CVPR 2018), computed as the authors' reference (visinf/dpp, <c>DPP_{sym,asym}_{lite,full}</c>) computes it, for
/// any pooling geometry; with 2×2 windows of stride 2 it is the reference exactly. For each window with valid
/// taps x_q (padding and dilation gaps are not taps) and a guide value t:
/// <code>
/// d_q = x_q − t            (asymmetric: max(0, x_q − t))
/// e_q = d_q² + ε            (ε = 1e-3 in the reference)
/// r_q = e_q / mean_q(e)
/// w_q = r_q^λ + β           λ = e^{lambda[c]} / 2,  β = e^{min(alpha[c], 10)}
/// y   = Σ w_q·x_q / Σ w_q
/// </code>
/// The guide is the window mean ("lite") unless the caller passes one value per window ("full": in the paper
/// a learned depthwise 3×3 stride-2 convolution of the input, which the caller computes and differentiates).
/// lambda and alpha are per-channel parameters. Backward overwrites the gradients with respect to the input,
/// lambda, alpha and (when given) the guide. As in the reference, alpha is capped at 10 in the forward pass
/// and its gradient is the one at the capped value (the reference clamps the stored parameter in place).
/// A window without a valid tap yields 0. See docs/operators/dpp.md.
/// </summary>
public static class DetailPreservingPool
{
    /// <summary>The reference's ε, added to the squared deviation.</summary>
    public const double DefaultEpsilon = 1e-3;

    /// <summary>The reference's cap on alpha.</summary>
    public const double AlphaCap = 10;

    /// <summary>Forward.</summary>
    /// <param name="geometry">The windows (the reference: kernel 2, stride 2).</param>
    /// <param name="input">The input.</param>
    /// <param name="lambda">Per-channel log-exponent: the weights use r^(e^lambda / 2).</param>
    /// <param name="alpha">Per-channel log-bias: the weights add e^min(alpha, 10).</param>
    /// <param name="output">Receives one value per window.</param>
    /// <param name="variant">Symmetric or asymmetric deviations.</param>
    /// <param name="guide">One guide value per window ("full"), or empty for the window mean ("lite").</param>
    /// <param name="epsilon">ε added to the squared deviation, positive (<see cref="DefaultEpsilon"/> when 0).</param>
    /// <exception cref="ArgumentException">A length or a parameter is invalid; nothing is written then.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> lambda, ReadOnlySpan<T> alpha,
        Span<T> output, DppVariant variant = DppVariant.Symmetric, ReadOnlySpan<T> guide = default, double epsilon = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("detail-preserving pooling");
        T eps = CheckArguments(geometry, input.Length, lambda, alpha, variant, guide.Length, output.Length, nameof(output), epsilon);
        Run(geometry, new Inputs<T>(input, lambda, alpha, guide, variant == DppVariant.Asymmetric, eps), backward: false, default, output, default);
    }

    /// <summary>Gradients with respect to the input, lambda, alpha and the guide, each overwritten.</summary>
    /// <param name="geometry">The windows.</param>
    /// <param name="input">The forward input.</param>
    /// <param name="lambda">The forward lambda.</param>
    /// <param name="alpha">The forward alpha.</param>
    /// <param name="gradOutput">Gradient of the loss with respect to the output.</param>
    /// <param name="gradInput">Receives the gradient with respect to the input.</param>
    /// <param name="gradLambda">Receives the gradient with respect to lambda (one per channel).</param>
    /// <param name="gradAlpha">Receives the gradient with respect to alpha (one per channel).</param>
    /// <param name="variant">The forward variant.</param>
    /// <param name="guide">The forward guide, or empty ("lite").</param>
    /// <param name="gradGuide">Receives the gradient with respect to the guide; empty exactly when the guide is.</param>
    /// <param name="epsilon">The forward ε.</param>
    /// <exception cref="ArgumentException">A length or a parameter is invalid; nothing is written then.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> lambda, ReadOnlySpan<T> alpha,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput, Span<T> gradLambda, Span<T> gradAlpha,
        DppVariant variant = DppVariant.Symmetric, ReadOnlySpan<T> guide = default, Span<T> gradGuide = default, double epsilon = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("detail-preserving pooling backward");
        T eps = CheckArguments(geometry, input.Length, lambda, alpha, variant, guide.Length, gradOutput.Length, nameof(gradOutput), epsilon);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        ThrowHelper.CheckLength(nameof(gradLambda), gradLambda.Length, geometry.C, "gradLambda (one per channel)");
        ThrowHelper.CheckLength(nameof(gradAlpha), gradAlpha.Length, geometry.C, "gradAlpha (one per channel)");
        ThrowHelper.CheckLength(nameof(gradGuide), gradGuide.Length, guide.Length, "gradGuide (as long as guide)");
        gradInput.Clear();
        gradLambda.Clear();
        gradAlpha.Clear();
        Run(geometry, new Inputs<T>(input, lambda, alpha, guide, variant == DppVariant.Asymmetric, eps),
            backward: true, gradOutput, default, new Gradients<T>(gradInput, gradLambda, gradAlpha, gradGuide));
    }

    private readonly ref struct Inputs<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> lambda, ReadOnlySpan<T> alpha, ReadOnlySpan<T> guide, bool asymmetric, T eps)
    {
        public readonly ReadOnlySpan<T> X = x, Lambda = lambda, Alpha = alpha, Guide = guide;
        public readonly bool Asymmetric = asymmetric;
        public readonly T Eps = eps;
    }

    private readonly ref struct Gradients<T>(Span<T> x, Span<T> lambda, Span<T> alpha, Span<T> guide)
    {
        public readonly Span<T> X = x, Lambda = lambda, Alpha = alpha, Guide = guide;
    }

    /// <summary>Every window: forward into <paramref name="output"/>, or (<paramref name="backward"/>) its gradients added into <paramref name="grad"/>.</summary>
    private static void Run<T>(in PoolGeometry g, Inputs<T> a, bool backward, ReadOnlySpan<T> gradOutput, Span<T> output, Gradients<T> grad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int volume = (int)Math.Max(1, g.KernelVolume);
        Span<long> taps = volume <= 256 ? stackalloc long[volume] : new long[volume];

        // Per tap: deviation d, ratio r, power r^λ.
        T[] scratch = new T[3 * volume];
        Span<T> d = scratch.AsSpan(0, volume), r = scratch.AsSpan(volume, volume), pw = scratch.AsSpan(2 * volume, volume);
        T half = T.CreateTruncating(0.5), two = T.CreateTruncating(2), cap = T.CreateTruncating(AlphaCap);
        var walk = new WindowTaps.Walk(g, taps);
        while (walk.Next(out long o, out int k))
        {
            if (k == 0)
            {
                if (!backward)
                {
                    output[(int)o] = T.Zero;
                }
                else if (!grad.Guide.IsEmpty)
                {
                    grad.Guide[(int)o] = T.Zero;
                }

                continue;
            }

            int c = walk.Channel;
            T kT = T.CreateTruncating(k);
            T t = T.Zero;
            if (a.Guide.IsEmpty)
            {
                for (int q = 0; q < k; q++)
                {
                    t += a.X[(int)taps[q]];
                }

                t /= kT;
            }
            else
            {
                t = a.Guide[(int)o];
            }

            T meanE = T.Zero;
            for (int q = 0; q < k; q++)
            {
                T dev = a.X[(int)taps[q]] - t;
                d[q] = a.Asymmetric ? (dev > T.Zero ? dev : T.IsNaN(dev) ? dev : T.Zero) : dev;
                r[q] = (d[q] * d[q]) + a.Eps;
                meanE += r[q];
            }

            meanE /= kT;
            T lam = T.Exp(a.Lambda[c]) * half, beta = T.Exp(T.Min(a.Alpha[c], cap));
            T sumW = T.Zero, sumWx = T.Zero;
            for (int q = 0; q < k; q++)
            {
                r[q] /= meanE;
                pw[q] = T.Pow(r[q], lam);
                T w = pw[q] + beta;
                sumW += w;
                sumWx += w * a.X[(int)taps[q]];
            }

            T y = sumWx / sumW;
            if (!backward)
            {
                output[(int)o] = y;
                continue;
            }

            // Through y = Σ w x / Σ w, then w = r^λ + β, r = e / mean(e), e = d² + ε, d = x − t, t = mean(x) or the guide.
            T gy = gradOutput[(int)o];
            T gLam = T.Zero, gBeta = T.Zero, rgr = T.Zero;
            for (int q = 0; q < k; q++)
            {
                int i = (int)taps[q];
                T x = a.X[i];
                T gw = gy * (x - y) / sumW;
                grad.X[i] += gy * (pw[q] + beta) / sumW;
                gBeta += gw;
                gLam += gw * pw[q] * T.Log(r[q]);
                T gr = gw * lam * pw[q] / r[q];
                pw[q] = gr; // pw now holds dL/dr
                rgr += gr * r[q];
            }

            grad.Lambda[c] += gLam * lam;
            grad.Alpha[c] += gBeta * beta;
            T gt = T.Zero;
            for (int q = 0; q < k; q++)
            {
                T ge = (pw[q] - (rgr / kT)) / meanE;
                T gd = two * d[q] * ge;
                grad.X[(int)taps[q]] += gd;
                gt -= gd;
            }

            if (a.Guide.IsEmpty)
            {
                for (int q = 0; q < k; q++)
                {
                    grad.X[(int)taps[q]] += gt / kT;
                }
            }
            else
            {
                grad.Guide[(int)o] = gt;
            }
        }
    }

    private static T CheckArguments<T>(in PoolGeometry geometry, int inputLength, ReadOnlySpan<T> lambda, ReadOnlySpan<T> alpha,
        DppVariant variant, int guideLength, int outputLength, string outputName, double epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (variant is not (DppVariant.Symmetric or DppVariant.Asymmetric))
        {
            ThrowHelper.Argument(nameof(variant), $"unknown detail-preserving pooling variant {(int)variant}.");
        }

        if (!(epsilon >= 0 && double.IsFinite(epsilon)))
        {
            ThrowHelper.Argument(nameof(epsilon), $"epsilon must be positive and finite (0 selects the default {DefaultEpsilon}), got {epsilon}.");
        }

        ThrowHelper.CheckLength("input", inputLength, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(nameof(lambda), lambda.Length, geometry.C, "lambda (one per channel)");
        ThrowHelper.CheckLength(nameof(alpha), alpha.Length, geometry.C, "alpha (one per channel)");
        for (int c = 0; c < lambda.Length; c++)
        {
            if (!T.IsFinite(lambda[c]) || !T.IsFinite(alpha[c]))
            {
                ThrowHelper.Argument(T.IsFinite(lambda[c]) ? nameof(alpha) : nameof(lambda),
                    $"the parameters of channel {c} must be finite, got lambda {lambda[c]} and alpha {alpha[c]}.");
            }
        }

        if (guideLength != 0)
        {
            ThrowHelper.CheckLength("guide", guideLength, geometry.OutputLength, "guide (one per window)");
        }

        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);
        return T.CreateChecked(epsilon == 0 ? DefaultEpsilon : epsilon);
    }
}
