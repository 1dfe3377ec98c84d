namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Peak signal-to-noise ratio for images with values in [0, 1] (data range 1): <c>PSNR = 10·log10(1 / MSE)</c> dB,
/// with MSE the mean squared difference over every pixel of the colour channels (alpha is ignored), accumulated in
/// double. Identical images give +∞.
/// </summary>
internal static class Psnr
{
    /// <summary>The PSNR of <paramref name="test"/> against <paramref name="reference"/>, in dB.</summary>
    /// <exception cref="ArgumentException">The tensors are not images of the same size and channel count.</exception>
    public static double Compute(DenseTensor<float> reference, DenseTensor<float> test)
    {
        var (c, h, w) = ImageTensor.SameSize(reference, test);
        int n = ImageTensor.ColourChannels(c) * h * w; // the colour planes come first
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double d = (double)reference.Data[i] - test.Data[i];
            sum += d * d;
        }

        return 10 * Math.Log10(1 / (sum / n));
    }
}
