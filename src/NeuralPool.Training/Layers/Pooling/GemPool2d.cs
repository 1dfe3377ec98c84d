using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Generalized-mean pooling with a learnable exponent (Radenović et al.) through <see cref="GemPool"/>:
/// <c>y = (mean over the window's valid taps of max(x, ε)^p)^(1/p)</c>. Parameter <c>p</c> (one scalar, initially 3 as
/// in the paper). Backward recomputes from the saved input and adds <c>∂L/∂p</c> to p's gradient.
/// </summary>
public sealed class GemPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>GeM pooling over <paramref name="window"/> (sliding, adaptive or <see cref="PoolWindow.Global"/>).</summary>
    /// <param name="window">The windows.</param>
    /// <param name="p">The initial exponent, positive.</param>
    /// <param name="epsilon">The clamp ε, positive.</param>
    /// <exception cref="ArgumentException">p or ε is not positive and finite.</exception>
    public GemPool2d(PoolWindow window, double p = 3, double epsilon = GemPool.DefaultEpsilon)
        : base(window, TorchPoolKind.Average)
    {
        if (!(p > 0 && double.IsFinite(p)) || !(epsilon > 0 && double.IsFinite(epsilon)))
        {
            ThrowHelper.Argument(!(p > 0 && double.IsFinite(p)) ? nameof(p) : nameof(epsilon), $"GeM needs a positive finite p and ε, got p {p}, ε {epsilon}.");
        }

        P = new Parameter<T>(1);
        P.Data[0] = T.CreateChecked(p);
        Epsilon = epsilon;
    }

    /// <summary>The exponent p (one element).</summary>
    public Parameter<T> P { get; }

    /// <summary>The clamp ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        GemPool.Forward<T>(g, input.Data, P.Data[0], output.Data, Epsilon);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        P.Grad[0] += GemPool.Backward<T>(g, input.Data, P.Data[0], gradOutput.Data, gradInput.Data, Epsilon);
        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        yield return ("p", P);
    }

    /// <inheritdoc/>
    public override string ToString() => $"GemPool2d({Window}, p={P.Data[0]}, eps={Epsilon})";
}
