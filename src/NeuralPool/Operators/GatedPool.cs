using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

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
    public static unsafe void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gate, Span<T> output, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        Check.FloatType<T>("gated pooling");
        CheckArguments(geometry, input.Length, gate.Length, output.Length, nameof(output));
        fixed (T* px = input)
        fixed (T* pg = gate)
        fixed (T* py = output)
        {
            var math = new MixedPool.MaxAverageMix<T> { G = geometry, X = px, Gate = pg, Y = py, CountIncludePad = countIncludePad };
            WindowLanes.Run(geometry, input, default, math);
        }
    }

    /// <summary>Gradients with respect to the input and the gate weights, overwriting both.</summary>
    /// <exception cref="ArgumentException">The geometry is adaptive, or a length is invalid; nothing is written then.</exception>
    public static unsafe void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gate, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, Span<T> gradGate, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        Check.FloatType<T>("gated pooling backward");
        CheckArguments(geometry, input.Length, gate.Length, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        ThrowHelper.CheckLength(nameof(gradGate), gradGate.Length, gate.Length, "gradGate");
        var partials = UnitPartials<T>.For<MixedPool.MaxAverageMix<T>>(geometry, gate.Length);
        fixed (T* px = input)
        fixed (T* pg = gate)
        fixed (T* pgy = gradOutput)
        fixed (T* pgx = gradInput)
        {
            var math = new MixedPool.MaxAverageMix<T>
            {
                G = geometry, X = px, Gate = pg, GradOutput = pgy, GradInput = pgx, PartialGate = partials.Values, CountIncludePad = countIncludePad, Backward = true,
            };
            WindowLanes.Run(geometry, input, gradInput, math);
        }

        // dL/dω_t = Σ d·x_t, summed per work unit, then over the units in order.
        partials.SumInto(gradGate);
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
