using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

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

    /// <summary>
    /// Every window: forward into <paramref name="output"/>, or (<paramref name="backward"/>) its gradients into
    /// <paramref name="grad"/>, overwriting them. λ and β are computed once per channel; the parameter gradients are
    /// summed per (n, c) plane and then over the planes in order, so they do not depend on the thread count.
    /// </summary>
    private static unsafe void Run<T>(in PoolGeometry g, Inputs<T> a, bool backward, ReadOnlySpan<T> gradOutput, Span<T> output, Gradients<T> grad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = g.C;
        long planes = backward ? (long)g.N * c : 0;

        // Per channel λ = e^lambda / 2 and β = e^min(alpha, cap); per plane the partial parameter gradients.
        T* table = WindowLanes.Partials<T>((2 * c) + (2 * planes), out T[]? large);
        T half = T.CreateTruncating(0.5), cap = T.CreateTruncating(AlphaCap);
        for (int ch = 0; ch < c; ch++)
        {
            table[ch] = T.Exp(a.Lambda[ch]) * half;
            table[c + ch] = T.Exp(T.Min(a.Alpha[ch], cap));
        }

        T* partialLambda = table + (2 * c), partialAlpha = partialLambda + planes;
        fixed (T* px = a.X)
        fixed (T* pt = a.Guide)
        fixed (T* py = output)
        fixed (T* pgy = gradOutput)
        fixed (T* pgx = grad.X)
        fixed (T* pgt = grad.Guide)
        {
            var math = new Weighting<T>
            {
                X = px, Guide = a.Guide.IsEmpty ? null : pt, Y = py, GradOutput = pgy, GradInput = pgx, GradGuide = pgt,
                Lambda = table, Beta = table + c, PartialLambda = partialLambda, PartialAlpha = partialAlpha,
                Asymmetric = a.Asymmetric, Eps = a.Eps, Backward = backward,
            };
            WindowLanes.Run(g, a.X, grad.X, math);
        }

        // The per-plane partials, summed in plane order: dL/dlambda = Σ gLam·λ, dL/dalpha = Σ gBeta·β.
        for (long p = 0; p < planes; p++)
        {
            grad.Lambda[(int)(p % c)] += partialLambda[p];
            grad.Alpha[(int)(p % c)] += partialAlpha[p];
        }

        GC.KeepAlive(large);
    }

    /// <summary>The weighted window mean of detail-preserving pooling and its gradients.</summary>
    private unsafe struct Weighting<T> : IWindowMath<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Guide, Y, GradOutput, GradInput, GradGuide;
        public T* Lambda, Beta, PartialLambda, PartialAlpha;
        public bool Asymmetric;
        public T Eps;

        public bool Backward { get; init; }

        /// <summary>Per tap: deviation d, ratio r, ln r, r^λ; per lane: λ, β, the guide (then its gradient), the output gradient (forward: y), and the two parameter gradients.</summary>
        public static int ScratchRows(int taps) => (4 * taps) + 6;

        public readonly void Block(in LaneBlock<T> b)
        {
            int k = b.Taps, width = b.Width;
            T* d = b.ScratchRow(0), r = b.ScratchRow(k), lr = b.ScratchRow(2 * k), pw = b.ScratchRow(3 * k);
            T* lam = b.ScratchRow(4 * k), beta = b.ScratchRow((4 * k) + 1), guide = b.ScratchRow((4 * k) + 2);
            T* gy = b.ScratchRow((4 * k) + 3), gLamRow = b.ScratchRow((4 * k) + 4), gAlphaRow = b.ScratchRow((4 * k) + 5);
            WindowLanes.ChannelLanes(b, Lambda, lam);
            WindowLanes.ChannelLanes(b, Beta, beta);
            if (Guide != null)
            {
                WindowLanes.LoadLanes(b, Guide, guide);
            }

            if (Backward)
            {
                WindowLanes.LoadLanes(b, GradOutput, gy);
            }

            var kT = new Vector<T>(T.CreateTruncating(k));
            var eps = new Vector<T>(Eps);
            var two = new Vector<T>(T.CreateTruncating(2));
            for (int j = 0; j < width; j += Vector<T>.Count)
            {
                // Lanes j.. hold consecutive windows; row q of each per-tap table holds tap q.
                T* x0 = b.Values + j;
                Vector<T> t;
                if (Guide == null)
                {
                    t = Vector<T>.Zero;
                    for (int q = 0; q < k; q++)
                    {
                        t += Vector.Load(x0 + (q * width));
                    }

                    t /= kT;
                }
                else
                {
                    t = Vector.Load(guide + j);
                }

                var meanE = Vector<T>.Zero;
                for (int q = 0; q < k; q++)
                {
                    var dev = Vector.Load(x0 + (q * width)) - t;
                    var dq = Asymmetric ? Vector.ConditionalSelect(Vector.GreaterThan(dev, Vector<T>.Zero) | VectorMath.IsNaN(dev), dev, Vector<T>.Zero) : dev;
                    var e = (dq * dq) + eps;
                    if (Backward)
                    {
                        dq.Store(d + (q * width) + j);
                    }

                    e.Store(r + (q * width) + j);
                    meanE += e;
                }

                meanE /= kT;
                var lamV = Vector.Load(lam + j);
                var betaV = Vector.Load(beta + j);
                Vector<T> sumW = Vector<T>.Zero, sumWx = Vector<T>.Zero;
                for (int q = 0; q < k; q++)
                {
                    // r^λ as e^(λ·ln r): r is positive (ε > 0), or NaN, which both forms propagate.
                    var rq = Vector.Load(r + (q * width) + j) / meanE;
                    var lrq = VectorMath.Log(rq);
                    var pwq = VectorMath.Exp(lamV * lrq);
                    if (Backward)
                    {
                        rq.Store(r + (q * width) + j);
                        lrq.Store(lr + (q * width) + j);
                        pwq.Store(pw + (q * width) + j);
                    }

                    var w = pwq + betaV;
                    sumW += w;
                    sumWx += w * Vector.Load(x0 + (q * width));
                }

                var y = sumWx / sumW;
                if (!Backward)
                {
                    y.Store(gy + j); // the forward keeps y where the backward keeps the output gradient
                    continue;
                }

                // Through y = Σ w x / Σ w, then w = r^λ + β, r = e / mean(e), e = d² + ε, d = x − t, t = mean(x) or the guide.
                var gyV = Vector.Load(gy + j);
                Vector<T> gLam = Vector<T>.Zero, gBeta = Vector<T>.Zero, rgr = Vector<T>.Zero;
                for (int q = 0; q < k; q++)
                {
                    long at = (q * width) + j;
                    var x = Vector.Load(x0 + (q * width));
                    var pwq = Vector.Load(pw + at);
                    var rq = Vector.Load(r + at);
                    var gw = gyV * (x - y) / sumW;
                    (gyV * (pwq + betaV) / sumW).Store(b.Grad + at);
                    gBeta += gw;
                    gLam += gw * pwq * Vector.Load(lr + at);
                    var gr = gw * lamV * pwq / rq;
                    gr.Store(pw + at); // pw now holds dL/dr
                    rgr += gr * rq;
                }

                (gLam * lamV).Store(gLamRow + j);
                (gBeta * betaV).Store(gAlphaRow + j);
                var gt = Vector<T>.Zero;
                var rgrMean = rgr / kT;
                for (int q = 0; q < k; q++)
                {
                    long at = (q * width) + j;
                    var ge = (Vector.Load(pw + at) - rgrMean) / meanE;
                    var gd = two * Vector.Load(d + at) * ge;
                    (Vector.Load(b.Grad + at) + gd).Store(b.Grad + at);
                    gt -= gd;
                }

                if (Guide == null)
                {
                    var share = gt / kT;
                    for (int q = 0; q < k; q++)
                    {
                        long at = (q * width) + j;
                        (Vector.Load(b.Grad + at) + share).Store(b.Grad + at);
                    }
                }
                else
                {
                    gt.Store(guide + j); // this chunk's guide values are used up
                }
            }

            if (!Backward)
            {
                WindowLanes.StoreLanes(b, gy, Y);
                return;
            }

            if (Guide != null)
            {
                WindowLanes.StoreLanes(b, guide, GradGuide);
            }

            // The parameter gradients of the block's windows, lane by lane, into their planes' partial sums.
            for (int s = 0; s < b.SegmentCount; s++)
            {
                Segment seg = b.Segments[s];
                T sumLam = PartialLambda[seg.Plane], sumAlpha = PartialAlpha[seg.Plane];
                for (int j = seg.Lane; j < seg.Lane + seg.Count; j++)
                {
                    sumLam += gLamRow[j];
                    sumAlpha += gAlphaRow[j];
                }

                PartialLambda[seg.Plane] = sumLam;
                PartialAlpha[seg.Plane] = sumAlpha;
            }
        }

        public readonly void Window(in OneWindow w)
        {
            int k = w.Count;
            long* taps = w.Taps;
            if (k == 0)
            {
                if (!Backward)
                {
                    Y[w.Output] = T.Zero;
                }
                else if (Guide != null)
                {
                    GradGuide[w.Output] = T.Zero;
                }

                return;
            }

            int c = w.Channel;
            T kT = T.CreateTruncating(k), two = T.CreateTruncating(2);
            T t = T.Zero;
            if (Guide == null)
            {
                for (int q = 0; q < k; q++)
                {
                    t += X[taps[q]];
                }

                t /= kT;
            }
            else
            {
                t = Guide[w.Output];
            }

            // Per tap: d, r, r^λ (the scratch holds 4·kernel volume + 6 vectors).
            T* d = (T*)w.Scratch;
            T* r = d + k, pw = r + k;
            T meanE = T.Zero;
            for (int q = 0; q < k; q++)
            {
                T dev = X[taps[q]] - t;
                d[q] = Asymmetric ? (dev > T.Zero ? dev : T.IsNaN(dev) ? dev : T.Zero) : dev;
                r[q] = (d[q] * d[q]) + Eps;
                meanE += r[q];
            }

            meanE /= kT;
            T lam = Lambda[c], beta = Beta[c];
            T sumW = T.Zero, sumWx = T.Zero;
            for (int q = 0; q < k; q++)
            {
                r[q] /= meanE;
                pw[q] = T.Pow(r[q], lam);
                T wq = pw[q] + beta;
                sumW += wq;
                sumWx += wq * X[taps[q]];
            }

            T y = sumWx / sumW;
            if (!Backward)
            {
                Y[w.Output] = y;
                return;
            }

            T gy = GradOutput[w.Output];
            T gLam = T.Zero, gBeta = T.Zero, rgr = T.Zero;
            for (int q = 0; q < k; q++)
            {
                long i = taps[q];
                T x = X[i];
                T gw = gy * (x - y) / sumW;
                GradInput[i] += gy * (pw[q] + beta) / sumW;
                gBeta += gw;
                gLam += gw * pw[q] * T.Log(r[q]);
                T gr = gw * lam * pw[q] / r[q];
                pw[q] = gr; // pw now holds dL/dr
                rgr += gr * r[q];
            }

            PartialLambda[w.Plane] += gLam * lam;
            PartialAlpha[w.Plane] += gBeta * beta;
            T gt = T.Zero;
            for (int q = 0; q < k; q++)
            {
                T ge = (pw[q] - (rgr / kT)) / meanE;
                T gd = two * d[q] * ge;
                GradInput[taps[q]] += gd;
                gt -= gd;
            }

            if (Guide == null)
            {
                for (int q = 0; q < k; q++)
                {
                    GradInput[taps[q]] += gt / kT;
                }
            }
            else
            {
                GradGuide[w.Output] = gt;
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
