using NeuralPool.Cli.Imaging;

namespace NeuralPool.Tests.Imaging;

public class QualityMetricsTests
{
    private static DenseTensor<float> Filled(int channels, int height, int width, Func<int, int, int, float> value)
    {
        var image = ImageTensor.Create(channels, height, width);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    image.Data[(((c * height) + y) * width) + x] = value(c, y, x);
                }
            }
        }

        return image;
    }

    private static DenseTensor<float> Noise(int channels, int height, int width, int seed)
    {
        var random = new Random(seed);
        return Filled(channels, height, width, (_, _, _) => random.NextSingle());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void PsnrOfIdenticalImagesIsInfinite(int channels)
    {
        var a = Noise(channels, 9, 7, 1);
        Assert.Equal(double.PositiveInfinity, Psnr.Compute(a, a));
    }

    [Fact]
    public void PsnrOfAKnownMeanSquaredErrorFollowsTheFormula()
    {
        // Half the pixels off by 0.1, half by 0.3: MSE = (0.01 + 0.09) / 2 = 0.05, PSNR = 10·log10(1 / 0.05).
        var a = Filled(3, 4, 6, (_, _, _) => 0.5f);
        var b = Filled(3, 4, 6, (_, _, x) => x % 2 == 0 ? 0.6f : 0.2f);
        double mse = a.Data.Zip(b.Data, (p, q) => ((double)p - q) * ((double)p - q)).Average();

        Assert.Equal(10 * Math.Log10(1 / mse), Psnr.Compute(a, b), 12);
        Assert.Equal(10 * Math.Log10(1 / 0.05), Psnr.Compute(a, b), 5);
    }

    [Fact]
    public void PsnrAndSsimIgnoreAlpha()
    {
        var a = Noise(4, 12, 12, 2);
        var b = Filled(4, 12, 12, (c, y, x) => c == 3 ? 1 - a.Data[(((3 * 12) + y) * 12) + x] : a.Data[(((c * 12) + y) * 12) + x]);

        Assert.Equal(double.PositiveInfinity, Psnr.Compute(a, b));
        Assert.Equal(1.0, Ssim.Compute(a, b), 12);
    }

    [Theory]
    [InlineData(1, 11, 11)]
    [InlineData(3, 20, 13)]
    [InlineData(2, 16, 16)]
    public void SsimOfIdenticalImagesIsOne(int channels, int height, int width)
    {
        var a = Noise(channels, height, width, 3);
        Assert.Equal(1.0, Ssim.Compute(a, a), 12);
    }

    public static TheoryData<string> SsimCases => QualityFixtures.Names("ssim");

    /// <summary>SSIM and PSNR equal skimage.metrics on the committed cases.</summary>
    [Theory]
    [MemberData(nameof(SsimCases))]
    public void SsimAndPsnrMatchSkimage(string name)
    {
        var expected = QualityFixtures.Case(name);
        var a = QualityFixtures.Image(name + "_a.npy");
        var b = QualityFixtures.Image(name + "_b.npy");

        Assert.Equal(expected.GetProperty("ssim").GetDouble(), Ssim.Compute(a, b), 10);
        Assert.Equal(expected.GetProperty("psnr").GetDouble(), Psnr.Compute(a, b), 9);
    }

    [Fact]
    public void SsimNeedsTheWholeWindow()
    {
        var a = Noise(1, 10, 40, 4);
        var ex = Assert.Throws<ArgumentException>(() => Ssim.Compute(a, a));
        Assert.Contains("11x11", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MetricsRefuseImagesOfDifferentShapes()
    {
        Assert.Throws<ArgumentException>(() => Psnr.Compute(Noise(3, 12, 12, 5), Noise(3, 12, 13, 5)));
        Assert.Throws<ArgumentException>(() => Ssim.Compute(Noise(3, 12, 12, 5), Noise(1, 12, 12, 5)));
    }
}
