using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;

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
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T p, Span<T> output, double epsilon = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T eps = CheckArguments(geometry, input.Length, p, output.Length, nameof(output), epsilon);
        T[] powered = ArrayPool<T>.Shared.Rent(input.Length);
        try
        {
            for (int i = 0; i < input.Length; i++)
            {
                powered[i] = T.Pow(T.Max(input[i], eps), p);
            }

            AvgPool.Forward(geometry, powered.AsSpan(0, input.Length), output, countIncludePad: false);
            for (int o = 0; o < output.Length; o++)
            {
                output[o] = T.Pow(output[o], T.One / p);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(powered);
        }
    }

    /// <summary>Gradient with respect to the input (overwriting <paramref name="gradInput"/>); returns the gradient with respect to p.</summary>
    /// <exception cref="ArgumentException">A length, p or ε is invalid; nothing is written then.</exception>
    public static T Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T p, ReadOnlySpan<T> gradOutput, Span<T> gradInput, double epsilon = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T eps = CheckArguments(geometry, input.Length, p, gradOutput.Length, nameof(gradOutput), epsilon);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        int n = input.Length, m = gradOutput.Length;
        T[] a = ArrayPool<T>.Shared.Rent(n), s = ArrayPool<T>.Shared.Rent(m), t = ArrayPool<T>.Shared.Rent(m);
        try
        {
            // S = mean(x^p) and U = mean(x^p · ln x) per window, over the clamped input.
            for (int i = 0; i < n; i++)
            {
                a[i] = T.Pow(T.Max(input[i], eps), p);
            }

            AvgPool.Forward(geometry, a.AsSpan(0, n), s.AsSpan(0, m), countIncludePad: false);
            for (int i = 0; i < n; i++)
            {
                a[i] *= T.Log(T.Max(input[i], eps));
            }

            AvgPool.Forward(geometry, a.AsSpan(0, n), t.AsSpan(0, m), countIncludePad: false);

            // dL/dp, and dL/dS per window into t (dy/dS = y / (p·S)).
            T gradP = T.Zero;
            for (int o = 0; o < m; o++)
            {
                T y = T.Pow(s[o], T.One / p);
                gradP += gradOutput[o] * y * ((t[o] / (p * s[o])) - (T.Log(s[o]) / (p * p)));
                t[o] = gradOutput[o] * y / (p * s[o]);
            }

            // dL/dx = (average backward of dL/dS) · p·x^(p-1), zero where x was clamped.
            AvgPool.Backward(geometry, t.AsSpan(0, m), gradInput, countIncludePad: false);
            for (int i = 0; i < n; i++)
            {
                gradInput[i] = input[i] > eps ? gradInput[i] * p * T.Pow(input[i], p - T.One) : T.Zero;
            }

            return gradP;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(a);
            ArrayPool<T>.Shared.Return(s);
            ArrayPool<T>.Shared.Return(t);
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
