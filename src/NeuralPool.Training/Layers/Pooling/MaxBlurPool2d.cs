using System.Numerics;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Anti-aliased max pooling (Zhang, ICML 2019; the reference <c>MaxBlurPool</c>) through <see cref="BlurPool.MaxForward{T}"/>:
/// max pooling with the kernel at stride 1 (no padding), then BlurPool with the filter and the stride. Output
/// <c>floor((in − k)/stride) + 1</c> per axis. Backward recomputes the max step from the saved input. No parameters.
/// </summary>
public sealed class MaxBlurPool2d<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _input, _output, _gradInput;

    /// <summary>Max pooling with <paramref name="kernelSize"/> at stride 1, then a blur of <paramref name="filterSize"/> with <paramref name="stride"/>.</summary>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public MaxBlurPool2d(int kernelSize = 2, int filterSize = 3, int stride = 2)
    {
        if (kernelSize <= 0 || filterSize is < 1 or > 7 || stride <= 0)
        {
            ThrowHelper.Argument(kernelSize <= 0 ? nameof(kernelSize) : stride <= 0 ? nameof(stride) : nameof(filterSize),
                $"MaxBlurPool needs a positive kernel size, a filter size from 1 to 7 and a positive stride, got {kernelSize}, {filterSize} and {stride}.");
        }

        KernelSize = kernelSize;
        FilterSize = filterSize;
        Stride = stride;
    }

    /// <summary>The max pooling kernel (applied at stride 1).</summary>
    public int KernelSize { get; }

    /// <summary>The binomial filter's size.</summary>
    public int FilterSize { get; }

    /// <summary>The subsampling stride.</summary>
    public int Stride { get; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        ThrowHelper.CheckImageBatch("MaxBlurPool2d", inputShape, -1);
        int h = inputShape[2] - KernelSize + 1, w = inputShape[3] - KernelSize + 1;
        if (h <= 0 || w <= 0)
        {
            ThrowHelper.Argument("input", $"MaxBlurPool2d input of shape {ThrowHelper.Format(inputShape)} is smaller than the kernel {KernelSize}.");
        }

        return [inputShape[0], inputShape[1], BlurPool.OutputSize(h, Stride), BlurPool.OutputSize(w, Stride)];
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = Reuse(ref _output, OutputShape(input.Shape));
        BlurPool.MaxForward<T>(TensorLayout.ChannelsFirst, input.Shape, KernelSize, FilterSize, Stride, input.Data, output.Data);
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
        BlurPool.MaxBackward<T>(TensorLayout.ChannelsFirst, input.Shape, KernelSize, FilterSize, Stride, input.Data, gradOutput.Data, gradInput.Data);
        return gradInput;
    }

    /// <inheritdoc/>
    public override string ToString() => $"MaxBlurPool2d(kernel_size={KernelSize}, filt_size={FilterSize}, stride={Stride})";
}
