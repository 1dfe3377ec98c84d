using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Power-average pooling (PyTorch <c>nn.LPPool2d</c>) through <see cref="LpPool"/> with <see cref="LpFlavor.Torch"/>:
/// <c>y = (Σ_window x^p)^(1/p)</c> (PyTorch's formula, no absolute value: use it on non-negative activations, e.g.
/// after ReLU, or an even p). Backward recomputes from the saved input; a window whose sum is 0 passes no gradient.
/// </summary>
public sealed class LpPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>Lp pooling with norm <paramref name="normType"/> over square windows without padding; the stride defaults to the kernel size.</summary>
    /// <exception cref="ArgumentException">The norm is zero or not finite, or the kernel size is not positive.</exception>
    public LpPool2d(double normType, int kernelSize, int? stride = null, bool ceilMode = false)
        : base(PoolWindow.Sliding(kernelSize, stride, 0, 1, ceilMode), TorchPoolKind.Power)
    {
        if (normType == 0 || !double.IsFinite(normType))
        {
            ThrowHelper.Argument(nameof(normType), $"norm type {normType} must be finite and non-zero.");
        }

        NormType = normType;
    }

    /// <summary>The exponent p.</summary>
    public double NormType { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        LpPool.Forward<T>(g, input.Data, NormType, output.Data);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        if (InputGradient)
        {
            LpPool.Backward<T>(g, input.Data, NormType, gradOutput.Data, gradInput.Data);
        }

        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override string ToString() => $"LPPool2d(norm_type={NormType}, {Window})";
}
