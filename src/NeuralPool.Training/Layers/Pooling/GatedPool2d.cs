using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Gated max-average pooling (Lee, Gallagher, Tu, AISTATS 2016) through <see cref="GatedPool"/>: each window mixes its
/// maximum and average with <c>s = σ(ωᵀx)</c>, <c>y = s·max + (1 − s)·avg</c>, where ω (parameter <c>gate</c>, one
/// weight per kernel tap, shared by all channels: the paper's "one gate per layer") starts at zero, so the layer starts
/// as the even mix. Sliding windows only. Backward recomputes from the saved input and adds ω's gradient.
/// </summary>
public sealed class GatedPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private readonly T[] _gateGrad;

    /// <summary>Gated pooling over square sliding windows; the stride defaults to the kernel size.</summary>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="stride">Stride (default: the kernel size).</param>
    /// <param name="padding">Padding on both sides.</param>
    /// <param name="countIncludePad">Whether the average counts the declared padding.</param>
    /// <exception cref="ArgumentException">The kernel size is not positive.</exception>
    public GatedPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true)
        : base(PoolWindow.Sliding(kernelSize, stride, padding), TorchPoolKind.Average)
    {
        Gate = new Parameter<T>(kernelSize, kernelSize);
        _gateGrad = new T[Gate.Length];
        CountIncludePad = countIncludePad;
    }

    /// <summary>The gate weights ω, (kh, kw).</summary>
    public Parameter<T> Gate { get; }

    /// <summary>Whether the average counts the declared padding.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        GatedPool.Forward<T>(g, input.Data, Gate.Data, output.Data, CountIncludePad);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        GatedPool.Backward<T>(g, input.Data, Gate.Data, gradOutput.Data, gradInput.Data, _gateGrad, CountIncludePad);
        Kernels.Simd.Add<T>(_gateGrad, Gate.Grad);
        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        yield return ("gate", Gate);
    }

    /// <inheritdoc/>
    public override string ToString() => $"GatedPool2d({Window})";
}
