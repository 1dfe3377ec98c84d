using NeuralPool.Cli.Operators;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Study;

/// <summary>
/// The pooling methods the detail study compares, each at kernel f and stride f (no padding) on an image whose sides
/// are multiples of f, so every method keeps one value per f × f block and all outputs are (H / f) × (W / f). One
/// row per method in <see cref="All"/>: adding a method is one line.
/// </summary>
internal static class DetailMethods
{
    /// <summary>
    /// The binomial filter of the anti-aliased methods, [1 2 1] ⊗ [1 2 1]: odd, so BlurPool's sample i sits at input
    /// position i·f of the box- or max-filtered map, whose value i·f covers the block [i·f, i·f + f); every method
    /// then keeps a value centred on its block.
    /// </summary>
    public const int BlurFilterSize = 3;

    /// <summary>Every method of the study, in the order of the table and the contact sheet.</summary>
    public static IReadOnlyList<DetailMethod> All { get; } =
    [
        new("subsample", "plain subsampling: the top-left pixel of each block (kernel 1, stride f), the baseline", Windows((g, x, y) => AvgPool.Forward(g, x, y), kernelOne: true)),
        new("max", "max pooling", Windows((g, x, y) => MaxPool.Forward(g, x, y))),
        new("average", "average pooling", Windows((g, x, y) => AvgPool.Forward(g, x, y))),
        new("lp2", "Lp pooling, p = 2, as a power mean: LpPool divided by K^(1/2) (K = f², so a flat block keeps its value)", Windows(PowerMean2)),
        new("gem3", "GeM pooling, p = 3", Windows((g, x, y) => GemPool.Forward(g, x, 3f, y))),
        new("softpool", "SoftPool (softmax-weighted mean)", Windows((g, x, y) => SoftPool.Forward(g, x, y))),
        new("blur-average", "anti-aliased average: f × f box filter at stride 1, then BlurPool (binomial 3 × 3) at stride f", BlurAverage),
        new("max-blur", "anti-aliased max: f × f max at stride 1, then BlurPool (binomial 3 × 3) at stride f (BlurPool.MaxForward)", MaxBlur),
        new("stochastic", "stochastic pooling in evaluation mode: Σ x² / Σ x", Windows((g, x, y) => StochasticPool.ForwardEval(g, x, y))),
        new("mixed", "mixed pooling, 0.5·max + 0.5·average", Windows((g, x, y) => MixedPool.Forward(g, x, 0.5f, y))),
        new("dpp-sym", "detail-preserving pooling, lite, symmetric, lambda = alpha = 0", Windows((g, x, y) => Dpp(g, x, y, DppVariant.Symmetric))),
        new("dpp-asym", "detail-preserving pooling, lite, asymmetric, lambda = alpha = 0", Windows((g, x, y) => Dpp(g, x, y, DppVariant.Asymmetric))),
    ];

    /// <summary>A window method over kernel f (or 1), stride f, no padding (PyTorch geometry).</summary>
    private static Downsampler Windows(WindowMethod method, bool kernelOne = false) => (image, shape, factor) =>
    {
        var g = Geometry(shape, kernelOne ? 1 : factor, factor);
        var output = new float[g.OutputLength];
        method(g, image, output);
        return output;
    };

    private static PoolGeometry Geometry(int[] shape, int kernel, int stride) =>
        PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, [kernel], [stride], [], [], false, TorchPoolKind.Average);

    /// <summary>(Σ x² / K)^(1/2): PyTorch's lp_pool with p = 2 is (Σ x²)^(1/2), K^(1/2) times the power mean.</summary>
    private static void PowerMean2(PoolGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        LpPool.Forward(g, input, 2.0, output);
        float scale = 1f / MathF.Sqrt(g.KernelVolume);
        foreach (ref float v in output)
        {
            v *= scale;
        }
    }

    private static void Dpp(PoolGeometry g, ReadOnlySpan<float> input, Span<float> output, DppVariant variant)
    {
        var zeros = new float[g.C];
        DetailPreservingPool.Forward<float>(g, input, zeros, zeros, output, variant);
    }

    /// <summary>Average pooling's box filter at stride 1, then BlurPool at stride f (the order of <see cref="BlurPool.MaxForward{T}"/>).</summary>
    private static float[] BlurAverage(float[] image, int[] shape, int factor)
    {
        var box = Geometry(shape, factor, 1);
        var boxed = new float[box.OutputLength];
        AvgPool.Forward(box, image, boxed);
        return Blurred(box.OutputShape, factor, output => BlurPool.Forward(TensorLayout.ChannelsFirst, box.OutputShape, BlurFilterSize, factor, boxed, output));
    }

    private static float[] MaxBlur(float[] image, int[] shape, int factor)
    {
        int[] pooled = Geometry(shape, factor, 1).OutputShape;
        return Blurred(pooled, factor, output => BlurPool.MaxForward(TensorLayout.ChannelsFirst, shape, factor, BlurFilterSize, factor, image, output));
    }

    /// <summary>Runs a BlurPool step at stride f on a map of <paramref name="filteredShape"/> into a new output.</summary>
    private static float[] Blurred(int[] filteredShape, int factor, Action<float[]> blur)
    {
        var output = new float[filteredShape[1] * BlurPool.OutputSize(filteredShape[2], factor) * BlurPool.OutputSize(filteredShape[3], factor)];
        blur(output);
        return output;
    }
}
