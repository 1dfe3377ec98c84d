using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>
/// Average pooling (PyTorch <c>avg_pool1d/2d/3d</c>, <c>adaptive_avg_pool*</c>, global average; ONNX
/// AveragePool, GlobalAveragePool): <c>y[o] = (sum of the valid taps of window o) / divisor(o)</c>, where
/// divisor is <c>divisorOverride</c> when given, else the number of taps inside the input and the declared
/// padding (<c>countIncludePad</c>; a ceil-mode overhang beyond the padding never counts), else the number
/// of taps inside the input. Adaptive bins divide by their size. An empty window yields 0.
/// Gradient: every valid tap of window o receives <c>dy[o] / divisor(o)</c>. Backward overwrites <c>gradInput</c>.
/// </summary>
public static class AvgPool
{
    /// <summary>Average over every window of <paramref name="geometry"/>.</summary>
    /// <param name="geometry">Window geometry (sliding or adaptive).</param>
    /// <param name="input">Input elements in the geometry's layout.</param>
    /// <param name="output">Receives the averages.</param>
    /// <param name="countIncludePad">Count declared padding in the divisor (PyTorch default true, ONNX default false).</param>
    /// <param name="divisorOverride">When set, the divisor of every window (non-zero).</param>
    /// <exception cref="ArgumentException">A length does not match, or the divisor override is zero.</exception>
    /// <exception cref="NotSupportedException">T is not float or double.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, Span<T> output, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("average pooling");
        var divisor = DivisorOf(countIncludePad, divisorOverride);
        Check.Lengths(geometry, input, output.Length);
        WindowReduce.Forward<T, SumReducer<T>>(geometry, input, output, divisor);
    }

    /// <summary>Gradient with respect to the input; <paramref name="gradInput"/> is overwritten.</summary>
    /// <exception cref="ArgumentException">A length does not match, or the divisor override is zero.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> gradOutput, Span<T> gradInput, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("average pooling");
        var divisor = DivisorOf(countIncludePad, divisorOverride);
        Check.Lengths(geometry, gradInput, gradOutput.Length, nameof(gradInput), nameof(gradOutput));
        Scatter.WindowSum(geometry, gradOutput, divisor, gradInput);
    }

    internal static Divisor DivisorOf(bool countIncludePad, int? divisorOverride)
    {
        if (divisorOverride is { } d)
        {
            if (d == 0)
            {
                ThrowHelper.Argument(nameof(divisorOverride), "divisorOverride must not be zero.");
            }

            return new Divisor(DivisorMode.Override, d);
        }

        return new Divisor(countIncludePad ? DivisorMode.PaddedCount : DivisorMode.ValidCount);
    }
}
