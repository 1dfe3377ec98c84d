using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>
/// SoftPool (Stergiou, Poppe, Kalliatakis, "Refining activation downsampling with SoftPool", ICCV 2021): each
/// window's valid taps are weighted by their softmax, <c>y = Σ w_i·x_i</c> with <c>w_i = e^{x_i} / Σ_j e^{x_j}</c>,
/// computed with the window maximum subtracted so large activations do not overflow. The windows are any
/// pooling geometry (1-D to 3-D; padding and dilation gaps are not taps); a window without a valid tap yields 0
/// and a window holding a NaN yields NaN. The result lies between the window's mean and its maximum.
/// Backward uses the exact derivative <c>∂y/∂x_i = w_i·(1 + x_i − y)</c> (the weights depend on x too), not the
/// shortcut of the authors' CUDA extension. See docs/operators/softpool.md. Backward overwrites <c>gradInput</c>.
/// </summary>
public static class SoftPool
{
    /// <summary>Forward.</summary>
    /// <exception cref="ArgumentException">A length does not match; nothing is written then.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("SoftPool");
        ThrowHelper.CheckLength(nameof(input), input.Length, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(nameof(output), output.Length, geometry.OutputLength, "output", geometry, output: true);
        Run(geometry, input, default, output, default);
    }

    /// <summary>Gradient with respect to the input, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A length does not match; nothing is written then.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("SoftPool backward");
        ThrowHelper.CheckLength(nameof(input), input.Length, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(nameof(gradOutput), gradOutput.Length, geometry.OutputLength, "gradOutput", geometry, output: true);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        gradInput.Clear();
        Run(geometry, input, gradOutput, default, gradInput);
    }

    /// <summary>Every window: forward into <paramref name="output"/>, or (with <paramref name="gradOutput"/>) its gradient added into <paramref name="gradInput"/>.</summary>
    private static void Run<T>(in PoolGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> gradOutput, Span<T> output, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool backward = !gradInput.IsEmpty;
        Span<long> taps = g.KernelVolume <= 256 ? stackalloc long[(int)Math.Max(1, g.KernelVolume)] : new long[g.KernelVolume];
        var walk = new WindowTaps.Walk(g, taps);
        while (walk.Next(out long o, out int count))
        {
            T m = T.NegativeInfinity;
            bool nan = false;
            for (int t = 0; t < count; t++)
            {
                T v = x[(int)taps[t]];
                nan |= T.IsNaN(v);
                m = t == 0 ? v : T.Max(m, v);
            }

            T sum = T.Zero, weighted = T.Zero;
            for (int t = 0; t < count && !nan; t++)
            {
                T v = x[(int)taps[t]], e = T.Exp(v - m);
                sum += e;
                weighted += e * v;
            }

            T y = count == 0 ? T.Zero : nan ? T.NaN : weighted / sum;
            if (!backward)
            {
                output[(int)o] = y;
                continue;
            }

            T gy = gradOutput[(int)o];
            for (int t = 0; t < count && !nan; t++)
            {
                T v = x[(int)taps[t]];
                gradInput[(int)taps[t]] += gy * (T.Exp(v - m) / sum) * (T.One + v - y);
            }

            if (nan)
            {
                for (int t = 0; t < count; t++)
                {
                    gradInput[(int)taps[t]] = T.NaN;
                }
            }
        }
    }
}
