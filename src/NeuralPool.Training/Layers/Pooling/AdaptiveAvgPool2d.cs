using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Adaptive average pooling (PyTorch <c>nn.AdaptiveAvgPool2d</c>; global average pooling at output 1×1) through
/// <see cref="AvgPool"/> over adaptive bins, each divided by its size. Backward spreads <c>dy/size</c> over each bin.
/// </summary>
public sealed class AdaptiveAvgPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>Adaptive average pooling to (<paramref name="height"/>, <paramref name="width"/>).</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public AdaptiveAvgPool2d(int height, int width)
        : base(PoolWindow.Adaptive(height, width), TorchPoolKind.Average)
    {
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        AvgPool.Forward<T>(g, input.Data, output.Data);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out _, out var g);
        if (InputGradient)
        {
            AvgPool.Backward<T>(g, gradOutput.Data, gradInput.Data);
        }

        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override string ToString() => $"AdaptiveAvgPool2d({Window})";
}
