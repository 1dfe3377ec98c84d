using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Generalized-mean (GeM) pooling (Radenović, Tolias, Chum, "Fine-tuning CNN Image Retrieval with No Human
/// Annotation", TPAMI 2018): <c>y = (mean over the window of max(x, ε)^p)^(1/p)</c> with a learnable exponent
/// p &gt; 0. p = 1 is average pooling of the clamped input; as p grows it tends to max pooling. The windows are
/// any pooling geometry (global, adaptive or sliding); the mean runs over the valid taps (padding is not
/// counted). Backward gives the gradient with respect to the input and returns the one with respect to p:
/// <c>∂y/∂x = y^(1-p)·x^(p-1)/|W|</c> where x &gt; ε (0 where clamped), and
/// <c>∂y/∂p = y·(mean(x^p·ln x)/(p·S) − ln S/p²)</c> with <c>S = mean(x^p)</c>. docs/operators/gem.md has the derivation.
/// </summary>
public static class GemPool
{
    /// <summary>The default clamp ε of the reference implementation.</summary>
    public const double DefaultEpsilon = 1e-6;

    /// <summary>Forward.</summary>
    /// <param name="geometry">The windows (e.g. <see cref="PoolGeometry.Global"/>).</param>
    /// <param name="input">The input.</param>
    /// <param name="p">The exponent, positive and finite.</param>
    /// <param name="output">Receives one value per window.</param>
    /// <param name="epsilon">The clamp ε, positive (<see cref="DefaultEpsilon"/> when 0).</param>
    /// <exception cref="ArgumentException">A length, p or ε is invalid; nothing is written then.</exception>
    public static unsafe void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T p, Span<T> output, double epsilon = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T eps = CheckArguments(geometry, input.Length, p, output.Length, nameof(output), epsilon);
        fixed (T* px = input)
        fixed (T* py = output)
        {
            WindowLanes.Run(geometry, input, default, new GeneralizedMean<T> { X = px, Y = py, P = p, Eps = eps });
        }
    }

    /// <summary>Gradient with respect to the input (overwriting <paramref name="gradInput"/>); returns the gradient with respect to p.</summary>
    /// <exception cref="ArgumentException">A length, p or ε is invalid; nothing is written then.</exception>
    public static unsafe T Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T p, ReadOnlySpan<T> gradOutput, Span<T> gradInput, double epsilon = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T eps = CheckArguments(geometry, input.Length, p, gradOutput.Length, nameof(gradOutput), epsilon);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        var partials = UnitPartials<T>.For<GeneralizedMean<T>>(geometry);
        fixed (T* px = input)
        fixed (T* pgy = gradOutput)
        fixed (T* pgx = gradInput)
        {
            var math = new GeneralizedMean<T> { X = px, GradOutput = pgy, GradInput = pgx, PartialP = partials.Values, P = p, Eps = eps, Backward = true };
            WindowLanes.Run(geometry, input, gradInput, math);
        }

        // dL/dp, summed per work unit, then over the units in order.
        return partials.Sum();
    }

    /// <summary>
    /// The generalized mean of each window's valid taps and its gradients: with <c>a = max(x, ε)^p</c>, <c>S = mean(a)</c>,
    /// <c>U = mean(a·ln max(x, ε))</c> and <c>y = S^(1/p)</c>, tap t receives <c>g·y/(p·S)/n · p·x^(p−1)</c> where x &gt; ε, and
    /// each unit sums <c>g·y·(U/(p·S) − ln S/p²)</c>. Full windows compute powers as <c>e^(p·ln x)</c> with vectors, and
    /// <c>x^(p−1)</c> as <c>a / x</c>.
    /// </summary>
    private unsafe struct GeneralizedMean<T> : IWindowMath<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y, GradOutput, GradInput, PartialP;
        public T P, Eps;

        public bool Backward { get; init; }

        /// <summary>Per tap a and ln max(x, ε); per lane the output gradient (forward: y) and the dL/dp terms.</summary>
        public static int ScratchRows(int taps) => (2 * taps) + 2;

        public readonly void Block(in LaneBlock<T> b)
        {
            int k = b.Taps, width = b.Width;
            T* powers = b.ScratchRow(0), logs = b.ScratchRow(k), lane = b.ScratchRow(2 * k), terms = b.ScratchRow((2 * k) + 1);
            if (Backward)
            {
                WindowLanes.LoadLanes(b, GradOutput, lane);
            }

            var p = new Vector<T>(P);
            var inverse = new Vector<T>(T.One / P);
            var eps = new Vector<T>(Eps);
            var kT = new Vector<T>(T.CreateTruncating(k));
            for (int j = 0; j < width; j += Vector<T>.Count)
            {
                // Lanes j.. hold consecutive windows: S and U over their taps.
                Vector<T> s = Vector<T>.Zero, u = Vector<T>.Zero;
                for (int t = 0; t < k; t++)
                {
                    long at = (t * width) + j;
                    var x = Vector.Load(b.Values + at);
                    var clamped = Vector.ConditionalSelect(Vector.GreaterThan(x, eps) | VectorMath.IsNaN(x), x, eps);
                    var ln = VectorMath.Log(clamped);
                    var a = VectorMath.Exp(p * ln);
                    s += a;
                    if (Backward)
                    {
                        u += a * ln;
                        a.Store(powers + at);
                        ln.Store(logs + at);
                    }
                }

                s /= kT;
                var logS = VectorMath.Log(s);
                var y = VectorMath.Exp(inverse * logS);
                if (!Backward)
                {
                    y.Store(lane + j);
                    continue;
                }

                u /= kT;
                var g = Vector.Load(lane + j);
                (g * y * ((u / (p * s)) - (logS / (p * p)))).Store(terms + j);
                var share = g * y / (p * s) / kT * p;

                // x^(p−1) = a / x for finite x; +∞^(p−1) is +∞, 1 or 0 as p − 1 is positive, zero or negative.
                T atInfinity = P > T.One ? T.PositiveInfinity : P == T.One ? T.One : T.Zero;
                for (int t = 0; t < k; t++)
                {
                    long at = (t * width) + j;
                    var x = Vector.Load(b.Values + at);
                    var power = Vector.ConditionalSelect(Vector.Equals(x, new Vector<T>(T.PositiveInfinity)), new Vector<T>(atInfinity), Vector.Load(powers + at) / x);
                    Vector.ConditionalSelect(Vector.GreaterThan(x, eps), share * power, Vector<T>.Zero).Store(b.Grad + at);
                }
            }

            if (!Backward)
            {
                WindowLanes.StoreLanes(b, lane, Y);
                return;
            }

            WindowLanes.AddLanes(b, terms, PartialP + b.Unit);
        }

        public readonly void Window(in OneWindow w)
        {
            int count = w.Count;
            long* taps = w.Taps;
            T s = T.Zero, u = T.Zero;
            for (int t = 0; t < count; t++)
            {
                T clamped = T.Max(X[taps[t]], Eps), a = T.Pow(clamped, P);
                s += a;
                u += a * T.Log(clamped);
            }

            // A window without a valid tap has S = 0 (an empty sum), as the average pooling it is built on gives.
            T n = T.CreateTruncating(count);
            s = count == 0 ? T.Zero : s / n;
            u = count == 0 ? T.Zero : u / n;
            T y = T.Pow(s, T.One / P);
            if (!Backward)
            {
                Y[w.Output] = y;
                return;
            }

            T g = GradOutput[w.Output];
            PartialP[w.Unit] += g * y * ((u / (P * s)) - (T.Log(s) / (P * P)));
            T share = g * y / (P * s) / n * P;
            for (int t = 0; t < count; t++)
            {
                T x = X[taps[t]];
                if (x > Eps)
                {
                    GradInput[taps[t]] += share * T.Pow(x, P - T.One);
                }
            }
        }
    }

    private static T CheckArguments<T>(in PoolGeometry geometry, int inputLength, T p, int outputLength, string outputName, double epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("GeM pooling");
        if (!(T.IsFinite(p) && p > T.Zero))
        {
            ThrowHelper.Argument(nameof(p), $"the GeM exponent p must be positive and finite, got {p}.");
        }

        if (!(epsilon >= 0 && double.IsFinite(epsilon)))
        {
            ThrowHelper.Argument(nameof(epsilon), $"the clamp epsilon must be positive, got {epsilon}.");
        }

        ThrowHelper.CheckLength("input", inputLength, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);
        return T.CreateChecked(epsilon == 0 ? DefaultEpsilon : epsilon);
    }
}
