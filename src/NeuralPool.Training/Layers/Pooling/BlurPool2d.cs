using System.Numerics;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// BlurPool (Zhang, ICML 2019) through <see cref="BlurPool"/>: a normalized binomial low-pass filter of size f
/// (reflect padding, as the reference <c>antialiased-cnns</c>) applied to every channel, then subsampling with the
/// stride; output <c>floor((in − 1)/stride) + 1</c> per axis. Backward is the adjoint. No parameters; keeps nothing.
/// </summary>
public sealed class BlurPool2d<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _input, _output, _gradInput;

    /// <summary>BlurPool with filter size <paramref name="filterSize"/> (1 to 7) and <paramref name="stride"/>.</summary>
    /// <exception cref="ArgumentException">The filter size or stride is out of range.</exception>
    public BlurPool2d(int filterSize = 3, int stride = 2)
    {
        if (filterSize is < 1 or > 7 || stride <= 0)
        {
            ThrowHelper.Argument(stride <= 0 ? nameof(stride) : nameof(filterSize), $"BlurPool needs a filter size from 1 to 7 and a positive stride, got {filterSize} and {stride}.");
        }

        FilterSize = filterSize;
        Stride = stride;
    }

    /// <summary>The binomial filter's size.</summary>
    public int FilterSize { get; }

    /// <summary>The subsampling stride.</summary>
    public int Stride { get; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        ThrowHelper.CheckImageBatch("BlurPool2d", inputShape, -1);
        return [inputShape[0], inputShape[1], BlurPool.OutputSize(inputShape[2], Stride), BlurPool.OutputSize(inputShape[3], Stride)];
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = Reuse(ref _output, OutputShape(input.Shape));
        BlurPool.Forward<T>(TensorLayout.ChannelsFirst, input.Shape, FilterSize, Stride, input.Data, output.Data);
        _input = input;
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var input = Saved(_input);
        CheckGradient(gradOutput, _output!.Shape);
        if (!InputGradient)
        {
            return NoGradient;
        }

        var gradInput = Reuse(ref _gradInput, input.Shape);
        BlurPool.Backward<T>(TensorLayout.ChannelsFirst, input.Shape, FilterSize, Stride, gradOutput.Data, gradInput.Data);
        return gradInput;
    }

    /// <inheritdoc/>
    public override string ToString() => $"BlurPool2d(filt_size={FilterSize}, stride={Stride})";
}
