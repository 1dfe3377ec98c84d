using NeuralPool.Training.Layers;

namespace NeuralPool.Tests.Training;

/// <summary>Dropout's scaling, its seeded and replayable masks, and evaluation mode.</summary>
public class DropoutTests
{
    private static DenseTensor<float> Input(int length, int seed = 1) =>
        new([.. GradientCheck.Tensor([length], new Random(seed), v => v + 3).Data.Select(v => (float)v)], [length]);

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Training_KeepsWithProbability1MinusP_AndScales(double p)
    {
        var x = Input(200_000);
        var layer = new Dropout<float>(p, seed: 3);
        var y = layer.Forward(x);
        float scale = 1f / (1f - (float)p);
        int kept = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (y.Data[i] != 0)
            {
                kept++;
                Assert.Equal(x.Data[i] * scale, y.Data[i]);
            }
        }

        double expected = (1 - p) * x.Length, sigma = Math.Sqrt(x.Length * p * (1 - p));
        Assert.InRange(kept, expected - (5 * sigma), expected + (5 * sigma));

        // The gradient goes through the same mask with the same scale.
        var gy = Input(x.Length, 2);
        var gx = layer.Backward(gy);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(y.Data[i] == 0 ? 0f : gy.Data[i] * scale, gx.Data[i]);
        }
    }

    [Fact]
    public void Masks_DependOnlyOnSeedAndStep()
    {
        var x = Input(1000);
        var a = new Dropout<float>(0.5, seed: 7);
        var b = new Dropout<float>(0.5, seed: 7);
        var c = new Dropout<float>(0.5, seed: 8);
        float[] first = a.Forward(x).Data.ToArray();
        Assert.Equal(first, b.Forward(x).Data);
        Assert.NotEqual(first, c.Forward(x).Data);
        Assert.Equal(1, a.Step);

        float[] second = a.Forward(x).Data.ToArray();
        Assert.NotEqual(first, second);
        a.Step = 0;
        Assert.Equal(first, a.Forward(x).Data);
    }

    [Fact]
    public void Evaluation_IsTheIdentity()
    {
        var x = Input(100);
        var layer = new Dropout<float>(0.5) { Training = false };
        Assert.Same(x, layer.Forward(x));
        var gy = Input(100, 4);
        Assert.Same(gy, layer.Backward(gy));
        Assert.Equal(0, layer.Step);
    }

    [Fact]
    public void EdgeProbabilities()
    {
        var x = Input(100);
        Assert.Equal(x.Data, new Dropout<float>(0).Forward(x).Data);
        Assert.All(new Dropout<float>(1).Forward(x).Data, v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentException>(() => new Dropout<float>(1.5));
        Assert.Throws<ArgumentException>(() => new Dropout<float>(double.NaN));
    }
}
