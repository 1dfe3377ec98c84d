using System.Numerics;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Flattens every axis after the first (PyTorch <c>nn.Flatten</c>): (N, C, H, W) to (N, C·H·W). No copy: the output
/// and the input gradient share the array of the input and of the output gradient.
/// </summary>
public sealed class Flatten<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _input, _output, _gradInput;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length < 2)
        {
            ThrowHelper.Argument("input", $"Flatten takes an input with a batch axis and at least one more, got shape {ThrowHelper.Format(inputShape)}.");
        }

        long features = 1;
        foreach (int d in inputShape[1..])
        {
            features *= d;
        }

        return [inputShape[0], (int)features];
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = OutputShape(input.Shape);
        _input = input;
        if (_output is null || _output.Data != input.Data || !_output.Shape.SequenceEqual(shape))
        {
            _output = new DenseTensor<T>(input.Data, shape);
        }

        return _output;
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

        if (_gradInput is null || _gradInput.Data != gradOutput.Data || !_gradInput.Shape.SequenceEqual(input.Shape))
        {
            _gradInput = new DenseTensor<T>(gradOutput.Data, input.Shape);
        }

        return _gradInput;
    }

    /// <inheritdoc/>
    public override string ToString() => "Flatten()";
}
