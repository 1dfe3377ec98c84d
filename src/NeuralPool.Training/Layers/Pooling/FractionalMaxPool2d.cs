using System.Numerics;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Fractional max pooling (Graham 2014; PyTorch <c>nn.FractionalMaxPool2d</c>) through <see cref="FractionalMaxPool"/>.
/// Every forward (training or evaluation, as in PyTorch) uses N·C·2 samples in [0, 1): those of
/// <see cref="RandomSamples"/> when set (PyTorch's <c>_random_samples</c>), else pass s draws sample i as
/// <c>(SeededRandom.At(Seed, s, i) &gt;&gt; 40)·2⁻²⁴</c> (exact in float) and <see cref="Step"/> increments. Forward keeps
/// the indices of the maxima; backward scatters to them.
/// </summary>
public sealed class FractionalMaxPool2d<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _input, _output, _gradInput;
    private long[] _indices = [];
    private T[] _samples = [], _drawn = [];

    /// <summary>Fractional max pooling with a fixed output size.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public FractionalMaxPool2d(int kernelSize, (int H, int W) outputSize, ulong seed = 0)
    {
        if (kernelSize <= 0 || outputSize.H <= 0 || outputSize.W <= 0)
        {
            ThrowHelper.Argument(kernelSize <= 0 ? nameof(kernelSize) : nameof(outputSize), $"kernel size {kernelSize} and output size {outputSize} must be positive.");
        }

        KernelSize = kernelSize;
        OutputSize = outputSize;
        Seed = seed;
    }

    /// <summary>Fractional max pooling with an output ratio: output <c>(int)(in·ratio)</c> per axis (PyTorch's rule).</summary>
    /// <exception cref="ArgumentException">The kernel size is not positive or the ratio is not in (0, 1).</exception>
    public FractionalMaxPool2d(int kernelSize, double outputRatio, ulong seed = 0)
    {
        if (kernelSize <= 0 || !(outputRatio > 0 && outputRatio < 1))
        {
            ThrowHelper.Argument(kernelSize <= 0 ? nameof(kernelSize) : nameof(outputRatio), $"kernel size {kernelSize} must be positive and output ratio {outputRatio} in (0, 1).");
        }

        KernelSize = kernelSize;
        OutputRatio = outputRatio;
        Seed = seed;
    }

    /// <summary>The square window's size.</summary>
    public int KernelSize { get; }

    /// <summary>The fixed output size, or null when <see cref="OutputRatio"/> sets it.</summary>
    public (int H, int W)? OutputSize { get; }

    /// <summary>The output ratio, or null with a fixed size.</summary>
    public double? OutputRatio { get; }

    /// <summary>The seed of the samples.</summary>
    public ulong Seed { get; }

    /// <summary>Passes drawn so far; setting it replays a pass.</summary>
    public long Step { get; set; }

    /// <summary>Samples to use instead of drawing (N·C·2 values in [0, 1), PyTorch's layout), or null to draw.</summary>
    public T[]? RandomSamples { get; set; }

    /// <summary>The samples the last forward used.</summary>
    public ReadOnlySpan<T> LastSamples => _samples;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        ThrowHelper.CheckImageBatch("FractionalMaxPool2d", inputShape, -1);
        var (h, w) = Size(inputShape);
        return [inputShape[0], inputShape[1], h, w];
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = OutputShape(input.Shape);
        int count = input.Shape[0] * input.Shape[1] * 2;
        if (RandomSamples is { } given)
        {
            if (given.Length != count)
            {
                ThrowHelper.Argument(nameof(RandomSamples), $"FractionalMaxPool2d needs {count} random samples (N·C·2) for input {ThrowHelper.Format(input.Shape)}, got {given.Length}.");
            }

            _samples = given;
        }
        else
        {
            if (_drawn.Length != count)
            {
                _drawn = new T[count];
            }

            ulong pass = (ulong)Step++;
            for (int i = 0; i < count; i++)
            {
                _drawn[i] = T.CreateChecked((SeededRandom.At(Seed, pass, (ulong)i) >> 40) * (1.0 / (1 << 24)));
            }

            _samples = _drawn;
        }

        var output = Reuse(ref _output, shape);
        if (_indices.Length != output.Length)
        {
            _indices = new long[output.Length];
        }

        FractionalMaxPool.Forward<T>(TensorLayout.ChannelsFirst, input.Shape, [KernelSize], [shape[2], shape[3]], _samples, input.Data, output.Data, _indices);
        _input = input;
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var input = Saved(_input);
        var shape = _output!.Shape;
        CheckGradient(gradOutput, shape);
        if (!InputGradient)
        {
            return NoGradient;
        }

        var gradInput = Reuse(ref _gradInput, input.Shape);
        FractionalMaxPool.Backward<T>(TensorLayout.ChannelsFirst, input.Shape, [shape[2], shape[3]], gradOutput.Data, _indices, gradInput.Data);
        return gradInput;
    }

    /// <inheritdoc/>
    public override string ToString() => OutputSize is { } o
        ? $"FractionalMaxPool2d(kernel_size={KernelSize}, output_size=({o.H}, {o.W}))"
        : $"FractionalMaxPool2d(kernel_size={KernelSize}, output_ratio={OutputRatio})";

    private (int H, int W) Size(ReadOnlySpan<int> inputShape)
    {
        if (OutputSize is { } o)
        {
            return o;
        }

        int[] s = FractionalMaxPool.OutputSize(inputShape[2..], [OutputRatio!.Value, OutputRatio.Value]);
        return (s[0], s[1]);
    }
}
