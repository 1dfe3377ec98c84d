using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

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
        Run(geometry, input, gradOutput, default, gradInput);
    }

    /// <summary>Every window: forward into <paramref name="output"/>, or (with <paramref name="gradOutput"/>) its gradient into <paramref name="gradInput"/>, overwriting it.</summary>
    private static unsafe void Run<T>(in PoolGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> gradOutput, Span<T> output, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x)
        fixed (T* py = output)
        fixed (T* pgy = gradOutput)
        fixed (T* pgx = gradInput)
        {
            var math = new ResultPerWindow<T, Softmax<T>> { X = px, Y = py, GradOutput = pgy, GradInput = pgx, Backward = !gradInput.IsEmpty };
            WindowLanes.Run(g, x, gradInput, math);
        }
    }

    /// <summary>The softmax-weighted mean of a window and its gradient.</summary>
    private readonly unsafe struct Softmax<T> : IWindowResult<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Vector<T> Lanes(in LaneBlock<T> b, int j, Vector<T> gy, bool backward)
        {
            // Lanes j.. hold consecutive windows: their maximum m, NaN flag, Σe and Σe·x with e = exp(x − m).
            int k = b.Taps, width = b.Width;
            T* v0 = b.Values + j;
            var m = Vector.Load(v0);
            var nan = VectorMath.IsNaN(m);
            for (int t = 1; t < k; t++)
            {
                var v = Vector.Load(v0 + ((long)t * width));
                nan |= VectorMath.IsNaN(v);
                m = Vector.Max(m, v);
            }

            Vector<T> sum = Vector<T>.Zero, weighted = Vector<T>.Zero;
            for (int t = 0; t < k; t++)
            {
                var v = Vector.Load(v0 + ((long)t * width));
                var e = VectorMath.Exp(v - m);
                sum += e;
                weighted += e * v;
                if (backward)
                {
                    e.Store(b.Grad + ((long)t * width) + j);
                }
            }

            var y = Vector.ConditionalSelect(nan, new Vector<T>(T.NaN), weighted / sum);
            if (!backward)
            {
                return y;
            }

            // ∂y/∂x_t = w_t·(1 + x_t − y) with w_t = e_t / Σe; a window holding NaN sends NaN to every tap.
            for (int t = 0; t < k; t++)
            {
                T* gt = b.Grad + ((long)t * width) + j;
                var v = Vector.Load(v0 + ((long)t * width));
                var grad = gy * (Vector.Load(gt) / sum) * (Vector<T>.One + v - y);
                Vector.ConditionalSelect(nan, new Vector<T>(T.NaN), grad).Store(gt);
            }

            return y;
        }

        public static T Window(T* x, in OneWindow w, T gy, T* gradInput, bool backward)
        {
            int count = w.Count;
            long* taps = w.Taps;
            T m = T.NegativeInfinity;
            bool nan = false;
            for (int t = 0; t < count; t++)
            {
                T v = x[taps[t]];
                nan |= T.IsNaN(v);
                m = t == 0 ? v : T.Max(m, v);
            }

            T sum = T.Zero, weighted = T.Zero;
            for (int t = 0; t < count && !nan; t++)
            {
                T v = x[taps[t]], e = T.Exp(v - m);
                sum += e;
                weighted += e * v;
            }

            T y = count == 0 ? T.Zero : nan ? T.NaN : weighted / sum;
            if (!backward)
            {
                return y;
            }

            for (int t = 0; t < count; t++)
            {
                T v = x[taps[t]];
                gradInput[taps[t]] = nan ? T.NaN : gradInput[taps[t]] + (gy * (T.Exp(v - m) / sum) * (T.One + v - y));
            }

            return y;
        }
    }
}
