using System.Numerics;
using System.Numerics.Tensors;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Local importance-based pooling (Gao, Wang, Wu, ICCV 2019) through <see cref="LipPool"/>:
/// <c>y = Σ e^{l_i} x_i / Σ e^{l_i}</c> over each window, the reference <c>lip2d(x, logit)</c>, with the window of the
/// reference (kernel 3, stride 2, padding 1) unless told otherwise.
/// <para>
/// The logit module (a choice; the paper leaves it to the network): a 1×1 convolution from C to C channels with bias
/// (sub-layer <c>logit</c>, PyTorch's default initialisation), followed by the reference code's <c>SoftGate</c>,
/// <c>l = 12·σ(z)</c>, which bounds the logits to (0, 12) so <c>e^l</c> cannot overflow. This is the simplest learned
/// form of the reference's <c>SimplifiedLIP</c> (there: a 3×3 convolution, instance normalisation, then the same
/// SoftGate). With <c>softGate: false</c> the logits are the convolution's output itself.
/// </para>
/// <para>
/// Forward keeps the input, the convolution's output and the logits. Backward: <see cref="LipPool.Backward{T}"/> gives
/// <c>∂L/∂x</c> through the weighted mean and <c>∂L/∂l</c>; <c>∂L/∂z = ∂L/∂l · l(1 − l/12)</c> goes back through the
/// convolution, whose input gradient is added to the direct one.
/// </para>
/// </summary>
public sealed class LipPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>The reference SoftGate's coefficient.</summary>
    public const double SoftGateCoefficient = 12;

    private DenseTensor<T>? _logits, _gradLogits;
    private T[] _gradDirect = [];

    /// <summary>LIP over <paramref name="channels"/> channels with the reference window (kernel 3, stride 2, padding 1).</summary>
    /// <param name="channels">Input (and output) channels.</param>
    /// <param name="random">Generator for the logit convolution's initial values (seed 0 when null).</param>
    /// <param name="softGate">Bound the logits with <c>12·σ(z)</c> (default) or use the convolution's output.</param>
    /// <exception cref="ArgumentException">The channel count is not positive.</exception>
    public LipPool2d(int channels, SeededRandom? random = null, bool softGate = true)
        : this(channels, PoolWindow.Sliding(3, 2, 1), random, softGate)
    {
    }

    /// <summary>LIP over <paramref name="channels"/> channels and <paramref name="window"/>.</summary>
    /// <exception cref="ArgumentException">The channel count is not positive.</exception>
    public LipPool2d(int channels, PoolWindow window, SeededRandom? random = null, bool softGate = true)
        : base(window, TorchPoolKind.Average)
    {
        Logit = new Conv2d<T>(channels, channels, 1, random: random);
        SoftGate = softGate;
    }

    /// <summary>The 1×1 convolution computing the logits' pre-activation.</summary>
    public Conv2d<T> Logit { get; }

    /// <summary>Whether the logits are <c>12·σ(z)</c> (true) or z itself.</summary>
    public bool SoftGate { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ThrowHelper.CheckImageBatch("LipPool2d", input.Shape, Logit.InChannels);
        var output = BeginForward(input, out var g);
        var z = Logit.Forward(input);
        var logits = Reuse(ref _logits, z.Shape);
        T[] zs = z.Data, l = logits.Data;
        if (SoftGate)
        {
            // l = c / (1 + e^-z), with vectors.
            TensorPrimitives.Negate(zs, l);
            TensorPrimitives.Exp(l, l);
            TensorPrimitives.Add(l, T.One, l);
            TensorPrimitives.Divide(T.CreateChecked(SoftGateCoefficient), l, l);
        }
        else
        {
            zs.CopyTo(l, 0);
        }

        LipPool.Forward<T>(g, input.Data, l, output.Data);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        var logits = _logits!;
        var gradLogits = Reuse(ref _gradLogits, logits.Shape);
        if (_gradDirect.Length != input.Length)
        {
            _gradDirect = new T[input.Length];
        }

        T[] l = logits.Data, gl = gradLogits.Data, direct = _gradDirect;
        LipPool.Backward<T>(g, input.Data, l, gradOutput.Data, direct, gl);
        if (SoftGate)
        {
            // l = c·σ(z): dl/dz = c·σ(1 − σ) = l·(1 − l/c).
            T inverse = T.One / T.CreateChecked(SoftGateCoefficient);
            for (int i = 0; i < gl.Length; i++)
            {
                gl[i] *= l[i] * (T.One - (l[i] * inverse));
            }
        }

        Logit.InputGradient = InputGradient;
        var throughLogits = Logit.Backward(gradLogits);
        if (!InputGradient)
        {
            return EndBackward(gradInput);
        }

        T[] gx = gradInput.Data, gc = throughLogits.Data;
        for (int i = 0; i < gx.Length; i++)
        {
            gx[i] = direct[i] + gc[i];
        }

        return gradInput;
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters() =>
        Logit.NamedParameters().Select(p => ("logit." + p.Name, p.Parameter));

    /// <inheritdoc/>
    public override string ToString() => $"LipPool2d({Logit.InChannels}, {Window}, logit=Conv2d 1x1{(SoftGate ? " + SoftGate(12)" : "")})";
}
