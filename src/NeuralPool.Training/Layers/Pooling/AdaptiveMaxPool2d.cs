using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Adaptive max pooling (PyTorch <c>nn.AdaptiveMaxPool2d</c>; global max pooling at output 1×1) through
/// <see cref="MaxPool"/> over adaptive bins. Forward keeps the indices of the maxima; backward scatters to them.
/// </summary>
public sealed class AdaptiveMaxPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private long[] _indices = [];

    /// <summary>Adaptive max pooling to (<paramref name="height"/>, <paramref name="width"/>).</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public AdaptiveMaxPool2d(int height, int width)
        : base(PoolWindow.Adaptive(height, width), TorchPoolKind.Max)
    {
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        if (_indices.Length != output.Length)
        {
            _indices = new long[output.Length];
        }

        MaxPool.Forward<T>(g, input.Data, output.Data, _indices);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out _, out var g);
        if (InputGradient)
        {
            MaxPool.Backward<T>(g, gradOutput.Data, _indices, gradInput.Data);
        }

        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override string ToString() => $"AdaptiveMaxPool2d({Window})";
}
