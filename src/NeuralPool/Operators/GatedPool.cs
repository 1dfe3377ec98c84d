using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>
/// Gated max-average pooling (Lee, Gallagher, Tu, AISTATS 2016): each window mixes its maximum and its average
/// with a gate computed from the window itself, <c>s = σ(ωᵀx)</c>, <c>y = s·max + (1 − s)·avg</c>, where ω holds
/// one learned weight per kernel tap (D, H, W order) and x the window's values (taps in the padding or the
/// dilation gaps outside the input count as 0). Sliding geometries only (a gate needs a fixed window shape).
/// Backward gives the input gradient (overwriting) and the gate weights' gradient (overwriting <c>gradGate</c>):
/// with <c>d = g·(max − avg)·s(1 − s)</c>, <c>∂L/∂x</c> adds <c>d·ω_t</c> at tap t and <c>∂L/∂ω_t = Σ d·x_t</c>.
/// See docs/operators/mixed-gated.md.
/// </summary>
public static class GatedPool
{
    /// <summary>Forward.</summary>
    /// <exception cref="ArgumentException">The geometry is adaptive, or a length is invalid; nothing is written then.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gate, Span<T> output, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        Check.FloatType<T>("gated pooling");
        CheckArguments(geometry, input.Length, gate.Length, output.Length, nameof(output));
        int m = output.Length;
        T[] avg = ArrayPool<T>.Shared.Rent(m);
        try
        {
            MaxPool.Forward(geometry, input, output);
            AvgPool.Forward(geometry, input, avg.AsSpan(0, m), countIncludePad);
            var windows = new Windows(geometry);
            for (int o = 0; o < m; o++)
            {
                T s = Sigmoid(windows.Dot(o, input, gate));
                output[o] = (s * output[o]) + ((T.One - s) * avg[o]);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(avg);
        }
    }

    /// <summary>Gradients with respect to the input and the gate weights, overwriting both.</summary>
    /// <exception cref="ArgumentException">The geometry is adaptive, or a length is invalid; nothing is written then.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gate, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, Span<T> gradGate, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        Check.FloatType<T>("gated pooling backward");
        CheckArguments(geometry, input.Length, gate.Length, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        ThrowHelper.CheckLength(nameof(gradGate), gradGate.Length, gate.Length, "gradGate");
        int m = gradOutput.Length, n = input.Length;
        T[] max = ArrayPool<T>.Shared.Rent(m), avg = ArrayPool<T>.Shared.Rent(m), gates = ArrayPool<T>.Shared.Rent(m),
            scaled = ArrayPool<T>.Shared.Rent(m), part = ArrayPool<T>.Shared.Rent(n);
        try
        {
            MaxPool.Forward(geometry, input, max.AsSpan(0, m));
            AvgPool.Forward(geometry, input, avg.AsSpan(0, m), countIncludePad);
            var windows = new Windows(geometry);
            for (int o = 0; o < m; o++)
            {
                gates[o] = Sigmoid(windows.Dot(o, input, gate));
                scaled[o] = gates[o] * gradOutput[o];
            }

            MaxPool.Backward(geometry, input, scaled.AsSpan(0, m), gradInput);
            for (int o = 0; o < m; o++)
            {
                scaled[o] = (T.One - gates[o]) * gradOutput[o];
            }

            AvgPool.Backward(geometry, scaled.AsSpan(0, m), part.AsSpan(0, n), countIncludePad);
            for (int i = 0; i < n; i++)
            {
                gradInput[i] += part[i];
            }

            gradGate.Clear();
            for (int o = 0; o < m; o++)
            {
                T d = gradOutput[o] * (max[o] - avg[o]) * gates[o] * (T.One - gates[o]);
                windows.Accumulate(o, input, gate, d, gradInput, gradGate);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(max);
            ArrayPool<T>.Shared.Return(avg);
            ArrayPool<T>.Shared.Return(gates);
            ArrayPool<T>.Shared.Return(scaled);
            ArrayPool<T>.Shared.Return(part);
        }
    }

    private static T Sigmoid<T>(T v)
        where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-v));

    /// <summary>The taps of each output's window with their kernel positions, in either layout.</summary>
    private readonly struct Windows(PoolGeometry g)
    {
        /// <summary><c>ωᵀx</c> over the window of output <paramref name="o"/> (outputs in memory order).</summary>
        public T Dot<T>(int o, ReadOnlySpan<T> x, ReadOnlySpan<T> gate)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T sum = T.Zero;
            Span<long> at = stackalloc long[2];
            for (int t = 0; t < gate.Length; t++)
            {
                if (Tap(o, t, at))
                {
                    sum += gate[t] * x[(int)at[0]];
                }
            }

            return sum;
        }

        /// <summary>Adds <c>d·ω_t</c> to the input gradient at each tap and <c>d·x_t</c> to the gate gradient.</summary>
        public void Accumulate<T>(int o, ReadOnlySpan<T> x, ReadOnlySpan<T> gate, T d, Span<T> gradInput, Span<T> gradGate)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Span<long> at = stackalloc long[2];
            for (int t = 0; t < gate.Length; t++)
            {
                if (Tap(o, t, at))
                {
                    gradInput[(int)at[0]] += d * gate[t];
                    gradGate[t] += d * x[(int)at[0]];
                }
            }
        }

        /// <summary>The input index of kernel tap t of output o, when that tap lies inside the input.</summary>
        private bool Tap(int o, int t, Span<long> at)
        {
            long plane, within;
            int c;
            if (g.Layout == TensorLayout.ChannelsFirst)
            {
                plane = o / g.OutputPlane;
                within = o % g.OutputPlane;
                c = (int)(plane % g.C);
            }
            else
            {
                c = (int)(o % g.C);
                within = o / g.C % g.OutputPlane;
                plane = ((o / g.C / g.OutputPlane) * g.C) + c;
            }

            int ow = (int)(within % g.W.Out), oh = (int)(within / g.W.Out % g.H.Out), od = (int)(within / g.W.Out / g.H.Out);
            int kw = t % g.W.Kernel, kh = t / g.W.Kernel % g.H.Kernel, kd = t / g.W.Kernel / g.H.Kernel;
            int d = g.D.Start(od) + (kd * g.D.Dilation), h = g.H.Start(oh) + (kh * g.H.Dilation), w = g.W.Start(ow) + (kw * g.W.Dilation);
            if (d < 0 || d >= g.D.In || h < 0 || h >= g.H.In || w < 0 || w >= g.W.In)
            {
                return false;
            }

            long pos = (((long)d * g.H.In) + h) * g.W.In + w;
            long n = plane / g.C;
            at[0] = g.Layout == TensorLayout.ChannelsFirst ? (plane * g.InputPlane) + pos : (((n * g.InputPlane) + pos) * g.C) + c;
            return true;
        }
    }

    private static void CheckArguments(in PoolGeometry geometry, int inputLength, int gateLength, int outputLength, string outputName)
    {
        if (geometry.D.Adaptive || geometry.H.Adaptive || geometry.W.Adaptive)
        {
            ThrowHelper.Argument(nameof(geometry), "gated pooling needs a sliding window: its gate has one weight per kernel tap.");
        }

        ThrowHelper.CheckLength("input", inputLength, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength("gate", gateLength, geometry.KernelVolume, "gate");
        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);
    }
}
