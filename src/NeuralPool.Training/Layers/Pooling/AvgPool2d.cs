using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Average pooling (PyTorch <c>nn.AvgPool2d</c>) through <see cref="AvgPool"/>: the sum of each window's valid taps
/// divided by the divisor (the override, else the taps counting the declared padding when
/// <see cref="CountIncludePad"/>, else the valid taps). Backward spreads <c>dy/divisor</c> over each window. Keeps nothing
/// but the geometry.
/// </summary>
public sealed class AvgPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>Average pooling over square windows; the stride defaults to the kernel size.</summary>
    /// <exception cref="ArgumentException">The kernel size is not positive or the divisor override is zero.</exception>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        : this(PoolWindow.Sliding(kernelSize, stride, padding, 1, ceilMode), countIncludePad, divisorOverride)
    {
    }

    /// <summary>Average pooling over <paramref name="window"/> (sliding or adaptive).</summary>
    /// <exception cref="ArgumentException">The divisor override is zero.</exception>
    public AvgPool2d(PoolWindow window, bool countIncludePad = true, int? divisorOverride = null)
        : base(window, TorchPoolKind.Average)
    {
        if (divisorOverride == 0)
        {
            ThrowHelper.Argument(nameof(divisorOverride), "divisor override must not be zero.");
        }

        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
    }

    /// <summary>Whether the declared padding counts in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>The divisor of every window, when set.</summary>
    public int? DivisorOverride { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        AvgPool.Forward<T>(g, input.Data, output.Data, CountIncludePad, DivisorOverride);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out _, out var g);
        if (InputGradient)
        {
            AvgPool.Backward<T>(g, gradOutput.Data, gradInput.Data, CountIncludePad, DivisorOverride);
        }

        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override string ToString() => $"AvgPool2d({Window}{(CountIncludePad ? "" : ", count_include_pad=False")})";
}
