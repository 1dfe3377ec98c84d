using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Study;

namespace NeuralPool.Tests.Study;

public class DetailMethodsTests
{
    public static TheoryData<string, int> MethodsAndFactors()
    {
        var data = new TheoryData<string, int>();
        foreach (var m in DetailMethods.All)
        {
            data.Add(m.Name, 2);
            data.Add(m.Name, 4);
        }

        return data;
    }

    private static DetailMethod Method(string name) => DetailMethods.All.Single(m => m.Name == name);

    [Fact]
    public void NamesAreDistinct()
    {
        Assert.Equal(DetailMethods.All.Count, DetailMethods.All.Select(m => m.Name).Distinct().Count());
    }

    /// <summary>Every method keeps a flat image flat, with one value per f × f block.</summary>
    [Theory]
    [MemberData(nameof(MethodsAndFactors))]
    public void AFlatImageStaysFlat(string name, int factor)
    {
        int h = 6 * factor, w = 5 * factor;
        var image = Enumerable.Repeat(0.375f, 2 * h * w).ToArray();

        float[] pooled = Method(name).Downsample(image, [1, 2, h, w], factor);

        Assert.Equal(2 * 6 * 5, pooled.Length);
        Assert.All(pooled, v => Assert.Equal(0.375f, v, 5));
    }

    /// <summary>
    /// Average pooling and the anti-aliased average keep a value centred on each block: on a linear ramp, the block's
    /// centre value, so the bilinear restoration gives the ramp back away from the borders. Plain subsampling keeps
    /// the block's corner instead and is shifted by (f − 1)/2 pixels.
    /// </summary>
    [Theory]
    [InlineData("average", 2, 0)]
    [InlineData("average", 4, 0)]
    [InlineData("blur-average", 2, 0)]
    [InlineData("blur-average", 4, 0)]
    [InlineData("subsample", 4, -1.5)]
    public void BlocksAreSampledWhereTheRestorationExpects(string name, int factor, double shift)
    {
        int h = 8 * factor, w = 8 * factor;
        var ramp = ImageTensor.Create(1, h, w);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                ramp.Data[(y * w) + x] = (x + 0.5f * y) / 64f;
            }
        }

        float[] pooled = Method(name).Downsample(ramp.Data, [1, 1, h, w], factor);
        var restored = BilinearResize.Resize(new DenseTensor<float>(pooled, [1, 1, h / factor, w / factor]), h, w);

        for (int y = 2 * factor; y < h - (2 * factor); y++)
        {
            for (int x = 2 * factor; x < w - (2 * factor); x++)
            {
                double expected = (x + (0.5 * y) + (1.5 * shift)) / 64;
                Assert.Equal(expected, restored.Data[(y * w) + x], 5);
            }
        }
    }
}
