using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Max pooling (PyTorch <c>nn.MaxPool2d</c>) through <see cref="MaxPool"/>: the maximum of each window, first
/// maximum on ties, NaN propagating. Forward keeps the plane-local indices of the maxima; backward sends each
/// output gradient to its maximum (<c>dx[idx[o]] += dy[o]</c>).
/// </summary>
public sealed class MaxPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private long[] _indices = [];

    /// <summary>Max pooling over square windows; the stride defaults to the kernel size.</summary>
    /// <exception cref="ArgumentException">The kernel size is not positive.</exception>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this(PoolWindow.Sliding(kernelSize, stride, padding, dilation, ceilMode))
    {
    }

    /// <summary>Max pooling over <paramref name="window"/> (sliding or adaptive).</summary>
    public MaxPool2d(PoolWindow window)
        : base(window, TorchPoolKind.Max)
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
    public override string ToString() => $"MaxPool2d({Window})";
}
