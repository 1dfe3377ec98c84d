using NeuralPool.Cli.Imaging;

namespace NeuralPool.Tests.Imaging;

public class BilinearResizeTests
{
    public static TheoryData<string> Cases => QualityFixtures.Names("bilinear");

    /// <summary>The resize equals torch.nn.functional.interpolate(mode='bilinear', align_corners=False) on the committed cases.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchInterpolate(string name)
    {
        var size = QualityFixtures.Case(name).GetProperty("size");
        var input = QualityFixtures.Image(name + "_input.npy");
        var expected = QualityFixtures.Image(name + "_output.npy");

        var actual = BilinearResize.Resize(input, size[0].GetInt32(), size[1].GetInt32());

        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= 1e-6, $"element {i}: expected {expected.Data[i]}, got {actual.Data[i]}");
        }
    }

    [Fact]
    public void RefusesEmptySizes()
    {
        var image = ImageTensor.Create(1, 4, 4);
        Assert.Throws<ArgumentException>(() => BilinearResize.Resize(image, 0, 4));
    }
}
