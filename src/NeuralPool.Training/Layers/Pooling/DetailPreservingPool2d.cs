using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Detail-preserving pooling (Saeedan et al., CVPR 2018; the "lite" form, the guide being the window mean) through
/// <see cref="DetailPreservingPool"/>: a weighted window mean whose weights <c>w = (e/mean(e))^(e^λ/2) + e^min(α, 10)</c>
/// grow with a tap's squared deviation e from the mean. Parameters <c>lambda</c> and <c>alpha</c>, one per channel,
/// initialised from U(−1/√C, 1/√C) as in the reference. Window 2×2 at stride 2 unless told otherwise. Backward
/// recomputes from the saved input and adds both parameters' gradients.
/// </summary>
public sealed class DetailPreservingPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private readonly T[] _gradLambda, _gradAlpha;

    /// <summary>DPP over <paramref name="channels"/> channels with 2×2 windows at stride 2.</summary>
    /// <exception cref="ArgumentException">The channel count is not positive.</exception>
    public DetailPreservingPool2d(int channels, SeededRandom? random = null, DppVariant variant = DppVariant.Symmetric)
        : this(channels, PoolWindow.Sliding(2), random, variant)
    {
    }

    /// <summary>DPP over <paramref name="channels"/> channels and <paramref name="window"/>.</summary>
    /// <param name="channels">Channels (one lambda and one alpha each).</param>
    /// <param name="window">The windows.</param>
    /// <param name="random">Generator for the initial values (seed 0 when null); lambda is drawn first, then alpha.</param>
    /// <param name="variant">Symmetric or asymmetric deviations.</param>
    /// <exception cref="ArgumentException">The channel count is not positive.</exception>
    public DetailPreservingPool2d(int channels, PoolWindow window, SeededRandom? random = null, DppVariant variant = DppVariant.Symmetric)
        : base(window, TorchPoolKind.Average)
    {
        if (channels <= 0)
        {
            ThrowHelper.Argument(nameof(channels), $"the channel count must be positive, got {channels}.");
        }

        Channels = channels;
        Variant = variant;
        Lambda = new Parameter<T>(channels);
        Alpha = new Parameter<T>(channels);
        random ??= new SeededRandom(0);
        double bound = 1 / Math.Sqrt(channels);
        Init.Uniform<T>(Lambda.Data, -bound, bound, random);
        Init.Uniform<T>(Alpha.Data, -bound, bound, random);
        _gradLambda = new T[channels];
        _gradAlpha = new T[channels];
    }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Symmetric or asymmetric deviations.</summary>
    public DppVariant Variant { get; }

    /// <summary>Per-channel log-exponent λ.</summary>
    public Parameter<T> Lambda { get; }

    /// <summary>Per-channel log-bias α.</summary>
    public Parameter<T> Alpha { get; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ThrowHelper.CheckImageBatch("DetailPreservingPool2d", input.Shape, Channels);
        var output = BeginForward(input, out var g);
        DetailPreservingPool.Forward<T>(g, input.Data, Lambda.Data, Alpha.Data, output.Data, Variant);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        DetailPreservingPool.Backward<T>(g, input.Data, Lambda.Data, Alpha.Data, gradOutput.Data, gradInput.Data, _gradLambda, _gradAlpha, Variant);
        Kernels.Simd.Add<T>(_gradLambda, Lambda.Grad);
        Kernels.Simd.Add<T>(_gradAlpha, Alpha.Grad);
        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        yield return ("lambda", Lambda);
        yield return ("alpha", Alpha);
    }

    /// <inheritdoc/>
    public override string ToString() => $"DetailPreservingPool2d({Channels}, {Window}, {Variant})";
}
