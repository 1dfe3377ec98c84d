namespace NeuralPool.Cli.Imaging;

/// <summary>
/// The structural similarity index of Wang, Bovik, Sheikh and Simoncelli ("Image Quality Assessment: From Error
/// Visibility to Structural Similarity", IEEE TIP 2004) with the paper's settings: a Gaussian window of 11 × 11 taps
/// with σ = 1.5 (normalized to sum 1), K1 = 0.01, K2 = 0.03 and data range L = 1. For each pixel whose window lies
/// inside the image, with μ, σ² and σxy the window-weighted means, variances and covariance (population form),
/// <c>SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))</c>, C1 = (K1·L)², C2 = (K2·L)². The index of
/// a channel is the mean over those interior pixels; the index of an image is the mean over its colour channels
/// (alpha is ignored). This equals <c>skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=1.0, channel_axis=...)</c>. Computed in double.
/// </summary>
internal static class Ssim
{
    /// <summary>The window size; both image sides must be at least this long.</summary>
    public const int WindowSize = 11;

    /// <summary>The window's standard deviation.</summary>
    public const double Sigma = 1.5;

    /// <summary>The constants of the paper.</summary>
    public const double K1 = 0.01, K2 = 0.03;

    private static readonly double[] Window = GaussianWindow();

    /// <summary>The SSIM of <paramref name="test"/> against <paramref name="reference"/>: 1 for identical images.</summary>
    /// <exception cref="ArgumentException">The tensors are not images of the same shape, or a side is shorter than <see cref="WindowSize"/>.</exception>
    public static double Compute(DenseTensor<float> reference, DenseTensor<float> test)
    {
        var (c, h, w) = ImageTensor.SameSize(reference, test);
        if (h < WindowSize || w < WindowSize)
        {
            throw new ArgumentException($"SSIM needs images of at least {WindowSize}x{WindowSize} pixels, got {w}x{h}.", nameof(reference));
        }

        int colour = ImageTensor.ColourChannels(c), plane = h * w;
        double total = 0;
        for (int ch = 0; ch < colour; ch++)
        {
            total += Channel(reference.Data.AsSpan(ch * plane, plane), test.Data.AsSpan(ch * plane, plane), h, w);
        }

        return total / colour;
    }

    /// <summary>The mean SSIM of one channel over the interior pixels.</summary>
    private static double Channel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int h, int w)
    {
        int plane = h * w;
        var xx = new double[plane];
        var yy = new double[plane];
        var xy = new double[plane];
        var xd = new double[plane];
        var yd = new double[plane];
        for (int i = 0; i < plane; i++)
        {
            xd[i] = x[i];
            yd[i] = y[i];
            xx[i] = xd[i] * xd[i];
            yy[i] = yd[i] * yd[i];
            xy[i] = xd[i] * yd[i];
        }

        double[] mx = Filter(xd, h, w), my = Filter(yd, h, w), mxx = Filter(xx, h, w), myy = Filter(yy, h, w), mxy = Filter(xy, h, w);
        const double C1 = K1 * K1, C2 = K2 * K2;
        double sum = 0;
        for (int i = 0; i < mx.Length; i++)
        {
            double vx = mxx[i] - (mx[i] * mx[i]), vy = myy[i] - (my[i] * my[i]), cov = mxy[i] - (mx[i] * my[i]);
            sum += ((2 * mx[i] * my[i]) + C1) * ((2 * cov) + C2) / (((mx[i] * mx[i]) + (my[i] * my[i]) + C1) * (vx + vy + C2));
        }

        return sum / mx.Length;
    }

    /// <summary>The window-weighted mean around every interior pixel: (h − 10) × (w − 10) values, along rows, then along columns.</summary>
    private static double[] Filter(double[] plane, int h, int w)
    {
        int ow = w - WindowSize + 1, oh = h - WindowSize + 1;
        return Convolve(Convolve(plane, h, ow, w, tapStep: 1), oh, ow, ow, tapStep: ow);
    }

    /// <summary>
    /// One pass of the separable window: <c>result[a·nb + b] = Σ_t window[t]·source[a·lineStep + b + t·tapStep]</c> for
    /// <paramref name="na"/> lines of <paramref name="nb"/> outputs.
    /// </summary>
    private static double[] Convolve(double[] source, int na, int nb, int lineStep, int tapStep)
    {
        var result = new double[na * nb];
        for (int a = 0; a < na; a++)
        {
            for (int b = 0; b < nb; b++)
            {
                double acc = 0;
                for (int t = 0; t < Window.Length; t++)
                {
                    acc += Window[t] * source[(a * lineStep) + b + (t * tapStep)];
                }

                result[(a * nb) + b] = acc;
            }
        }

        return result;
    }

    /// <summary>The 1-D Gaussian of <see cref="WindowSize"/> taps with σ = <see cref="Sigma"/>, normalized to sum 1 (the 2-D window is its outer product).</summary>
    private static double[] GaussianWindow()
    {
        int r = WindowSize / 2;
        var g = new double[WindowSize];
        for (int t = 0; t < WindowSize; t++)
        {
            g[t] = Math.Exp(-0.5 * (t - r) * (t - r) / (Sigma * Sigma));
        }

        double sum = g.Sum();
        return [.. g.Select(v => v / sum)];
    }
}
