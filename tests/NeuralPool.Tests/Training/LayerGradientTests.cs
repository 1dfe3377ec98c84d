using NeuralPool.Operators;
using NeuralPool.Training;
using NeuralPool.Training.Layers;

namespace NeuralPool.Tests.Training;

/// <summary>A finite-difference check of every layer's input and parameter gradients, in double, through the layer.</summary>
public class LayerGradientTests
{
    private static readonly int[] Image = [2, 3, 8, 8];

    /// <summary>Values away from 0, so ReLU kinks and clamps are not crossed by the probes.</summary>
    private static double AwayFromZero(double v) => Math.CopySign(0.05 + Math.Abs(v), v);

    private static double Positive(double v) => 0.1 + Math.Abs(v);

    private static DenseTensor<double> Input(int seed, Func<double, double>? map = null, int[]? shape = null) =>
        GradientCheck.Tensor(shape ?? Image, new Random(seed), map);

    [Theory]
    [InlineData(3, 1, 1, 1, true)]
    [InlineData(3, 2, 0, 1, true)]
    [InlineData(1, 1, 0, 1, false)]
    [InlineData(5, 1, 2, 1, true)]
    [InlineData(3, 2, 2, 2, true)]
    public void Conv2d(int kernel, int stride, int padding, int dilation, bool bias)
    {
        var layer = new Conv2d<double>(3, 4, kernel, stride, padding, dilation, bias, random: new SeededRandom(5));
        GradientCheck.Check(layer, Input(1));
    }

    [Fact]
    public void Conv2d_NonSquare()
    {
        var layer = new Conv2d<double>(3, 2, (3, 2), (2, 1), (1, 0), (1, 2), random: new SeededRandom(6));
        GradientCheck.Check(layer, Input(2, shape: [3, 3, 7, 9]));
    }

    [Fact]
    public void Linear()
    {
        var layer = new Linear<double>(12, 5, random: new SeededRandom(7));
        GradientCheck.Check(layer, Input(3, shape: [4, 12]));
    }

    [Fact]
    public void ReLU() => GradientCheck.Check(new ReLU<double>(), Input(4, AwayFromZero));

    [Fact]
    public void Flatten() => GradientCheck.Check(new Flatten<double>(), Input(5));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dropout(bool training)
    {
        var layer = new Dropout<double>(0.3, seed: 11) { Training = training };
        GradientCheck.Check(layer, Input(6), replay: () => layer.Step = 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm2d(bool training)
    {
        var layer = new BatchNorm2d<double>(3);
        var rng = new Random(8);
        for (int c = 0; c < 3; c++)
        {
            layer.Weight!.Data[c] = 0.5 + rng.NextDouble();
            layer.Bias!.Data[c] = rng.NextDouble() - 0.5;
            layer.RunningMean![c] = rng.NextDouble() - 0.5;
            layer.RunningVar![c] = 0.5 + rng.NextDouble();
        }

        layer.Training = training;
        GradientCheck.Check(layer, Input(9, v => (2 * v) + 1));
    }

    [Fact]
    public void MaxPool2d() => GradientCheck.Check(new MaxPool2d<double>(3, 2, 1), Input(10));

    [Fact]
    public void MaxPool2d_Dilated_CeilMode() => GradientCheck.Check(new MaxPool2d<double>(2, 2, 0, dilation: 2, ceilMode: true), Input(11));

    [Fact]
    public void AvgPool2d() => GradientCheck.Check(new AvgPool2d<double>(3, 2, 1, countIncludePad: false), Input(12));

    [Fact]
    public void AvgPool2d_CountIncludePad_DivisorOverride()
    {
        GradientCheck.Check(new AvgPool2d<double>(3, 2, 1), Input(13));
        GradientCheck.Check(new AvgPool2d<double>(2, divisorOverride: 3), Input(14));
    }

    [Fact]
    public void LpPool2d() => GradientCheck.Check(new LpPool2d<double>(2, 2), Input(15, Positive));

    [Fact]
    public void LpPool2d_FractionalNorm() => GradientCheck.Check(new LpPool2d<double>(1.5, 3, 2), Input(16, Positive));

    [Fact]
    public void AdaptiveMaxPool2d() => GradientCheck.Check(new MaxPool2d<double>(PoolWindow.Adaptive(3, 5)), Input(17));

    [Fact]
    public void AdaptiveAvgPool2d() => GradientCheck.Check(new AdaptiveAvgPool2d<double>(3, 5), Input(18));

    [Fact]
    public void GlobalAvgPool() => GradientCheck.Check(new AdaptiveAvgPool2d<double>(1, 1), Input(19));

    [Fact]
    public void GemPool2d()
    {
        var layer = new GemPool2d<double>(PoolWindow.Sliding(2), p: 2.5);
        GradientCheck.Check(layer, Input(20, Positive));
    }

    [Fact]
    public void GemPool2d_Global() => GradientCheck.Check(new GemPool2d<double>(PoolWindow.Global), Input(21, Positive));

    [Fact]
    public void SoftPool2d() => GradientCheck.Check(new SoftPool2d<double>(3, 2, 1), Input(22));

    [Fact]
    public void MixedPool2d() => GradientCheck.Check(new MixedPool2d<double>(PoolWindow.Sliding(2), a: 0.3), Input(23));

    [Fact]
    public void GatedPool2d()
    {
        var layer = new GatedPool2d<double>(3, 2, 1);
        var rng = new Random(24);
        for (int i = 0; i < layer.Gate.Length; i++)
        {
            layer.Gate.Data[i] = rng.NextDouble() - 0.5;
        }

        GradientCheck.Check(layer, Input(25));
    }

    [Fact]
    public void StochasticPool2d_Training()
    {
        var layer = new StochasticPool2d<double>(2, seed: 26);
        GradientCheck.Check(layer, Input(27, Positive), replay: () => layer.Step = 0);
    }

    [Fact]
    public void StochasticPool2d_Evaluation()
    {
        var layer = new StochasticPool2d<double>(3, 2, seed: 28) { Training = false };
        GradientCheck.Check(layer, Input(29, Positive));
    }

    [Fact]
    public void BlurPool2d() => GradientCheck.Check(new BlurPool2d<double>(3, 2), Input(30));

    [Fact]
    public void BlurPool2d_EvenFilter() => GradientCheck.Check(new BlurPool2d<double>(4, 2), Input(31));

    [Fact]
    public void MaxBlurPool2d() => GradientCheck.Check(new MaxBlurPool2d<double>(2, 3, 2), Input(32));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LipPool2d(bool softGate)
    {
        var layer = new LipPool2d<double>(3, new SeededRandom(33), softGate);
        GradientCheck.Check(layer, Input(34));
    }

    [Theory]
    [InlineData(DppVariant.Symmetric)]
    [InlineData(DppVariant.Asymmetric)]
    public void DetailPreservingPool2d(DppVariant variant)
    {
        var layer = new DetailPreservingPool2d<double>(3, new SeededRandom(35), variant);
        GradientCheck.Check(layer, Input(36), tolerance: 1e-5);
    }

    [Fact]
    public void FractionalMaxPool2d()
    {
        var layer = new FractionalMaxPool2d<double>(2, (5, 4), seed: 37);
        GradientCheck.Check(layer, Input(38), replay: () => layer.Step = 0);
    }

    [Fact]
    public void FractionalMaxPool2d_GivenSamples()
    {
        var layer = new FractionalMaxPool2d<double>(3, 0.5) { RandomSamples = [0.1, 0.9, 0.5, 0.25, 0.75, 0.0, 0.3, 0.6, 0.95, 0.05, 0.45, 0.55] };
        GradientCheck.Check(layer, Input(39));
        Assert.Equal(layer.RandomSamples, layer.LastSamples.ToArray());
    }

    [Fact]
    public void Sequential_SmallNetwork()
    {
        var rng = new SeededRandom(40);
        var net = new Sequential<double>(
            new Conv2d<double>(3, 4, 3, padding: 1, random: rng),
            new BatchNorm2d<double>(4),
            new ReLU<double>(),
            new MaxPool2d<double>(2),
            new Conv2d<double>(4, 5, 3, random: rng),
            new ReLU<double>(),
            new Flatten<double>(),
            new Linear<double>(5 * 2 * 2, 6, random: rng));
        GradientCheck.Check(net, Input(41), tolerance: 1e-5);
    }
}
