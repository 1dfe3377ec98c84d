using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Mixed max-average pooling (Lee, Gallagher, Tu, AISTATS 2016) through <see cref="MixedPool"/>:
/// <c>y = a·max(window) + (1 − a)·avg(window)</c> with one learned scalar <c>a</c> per layer (initially 0.5; the
/// paper's "one per layer" variant). Backward recomputes from the saved input and adds <c>Σ dy·(max − avg)</c> to a's gradient.
/// </summary>
public sealed class MixedPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>Mixed pooling over <paramref name="window"/>.</summary>
    /// <param name="window">The windows (the max and the average use the same ones).</param>
    /// <param name="a">The initial mixing weight.</param>
    /// <param name="countIncludePad">Whether the average counts the declared padding (PyTorch's avg_pool default).</param>
    /// <exception cref="ArgumentException">a is not finite.</exception>
    public MixedPool2d(PoolWindow window, double a = 0.5, bool countIncludePad = true)
        : base(window, TorchPoolKind.Average)
    {
        if (!double.IsFinite(a))
        {
            ThrowHelper.Argument(nameof(a), $"the mixing weight must be finite, got {a}.");
        }

        A = new Parameter<T>(1);
        A.Data[0] = T.CreateChecked(a);
        CountIncludePad = countIncludePad;
    }

    /// <summary>The mixing weight a (one element).</summary>
    public Parameter<T> A { get; }

    /// <summary>Whether the average counts the declared padding.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        MixedPool.Forward<T>(g, input.Data, A.Data[0], output.Data, CountIncludePad);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        A.Grad[0] += MixedPool.Backward<T>(g, input.Data, A.Data[0], gradOutput.Data, gradInput.Data, CountIncludePad);
        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        yield return ("a", A);
    }

    /// <inheritdoc/>
    public override string ToString() => $"MixedPool2d({Window}, a={A.Data[0]})";
}
