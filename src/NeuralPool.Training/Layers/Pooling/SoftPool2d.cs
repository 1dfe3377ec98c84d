using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// SoftPool (Stergiou et al.) through <see cref="SoftPool"/>: each window's softmax-weighted mean
/// <c>y = Σ e^{x_i} x_i / Σ e^{x_j}</c>, with the exact gradient <c>w_i (1 + x_i − y)</c>. Backward recomputes from the
/// saved input. No parameters.
/// </summary>
public sealed class SoftPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>SoftPool over square windows; the stride defaults to the kernel size.</summary>
    /// <exception cref="ArgumentException">The kernel size is not positive.</exception>
    public SoftPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this(PoolWindow.Sliding(kernelSize, stride, padding))
    {
    }

    /// <summary>SoftPool over <paramref name="window"/>.</summary>
    public SoftPool2d(PoolWindow window)
        : base(window, TorchPoolKind.Average)
    {
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        SoftPool.Forward<T>(g, input.Data, output.Data);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        if (InputGradient)
        {
            SoftPool.Backward<T>(g, input.Data, gradOutput.Data, gradInput.Data);
        }

        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override string ToString() => $"SoftPool2d({Window})";
}
