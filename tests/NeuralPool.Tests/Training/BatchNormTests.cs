using NeuralPool.Training.Layers;

namespace NeuralPool.Tests.Training;

/// <summary>BatchNorm2d's training and evaluation semantics against PyTorch's definitions, computed naively.</summary>
public class BatchNormTests
{
    private static (double[] Mean, double[] BiasedVar) Statistics(DenseTensor<double> x)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var mean = new double[c];
        var variance = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, n).SelectMany(i => x.Data.Skip(((i * c) + ch) * hw).Take(hw)).ToArray();
            mean[ch] = values.Average();
            variance[ch] = values.Average(v => (v - mean[ch]) * (v - mean[ch]));
        }

        return (mean, variance);
    }

    private static void AssertNormalized(DenseTensor<double> x, DenseTensor<double> y, double[] mean, double[] variance, double[] gamma, double[] beta, double eps)
    {
        int c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / hw % c;
            double expected = ((x.Data[i] - mean[ch]) / Math.Sqrt(variance[ch] + eps) * gamma[ch]) + beta[ch];
            Assert.True(Math.Abs(y.Data[i] - expected) < 1e-12, $"[{i}]: {y.Data[i]} vs {expected}");
        }
    }

    [Fact]
    public void Training_NormalizesWithBatchStatistics_AndUpdatesRunningStatistics()
    {
        var bn = new BatchNorm2d<double>(3);
        bn.Weight!.Load([1.5, 0.5, -1.0]);
        bn.Bias!.Load([0.1, -0.2, 0.3]);
        var x1 = GradientCheck.Tensor([4, 3, 5, 6], new Random(1), v => (3 * v) + 2);
        var y = bn.Forward(x1);
        var (mean1, var1) = Statistics(x1);
        AssertNormalized(x1, y, mean1, var1, [1.5, 0.5, -1.0], [0.1, -0.2, 0.3], 1e-5);

        // running = 0.9·running + 0.1·batch, with the unbiased variance (M = 4·5·6 values).
        double m = 120;
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0.1 * mean1[c], bn.RunningMean![c], 1e-14);
            Assert.Equal(0.9 + (0.1 * var1[c] * m / (m - 1)), bn.RunningVar![c], 1e-14);
        }

        var x2 = GradientCheck.Tensor([4, 3, 5, 6], new Random(2), v => v - 1);
        bn.Forward(x2);
        var (mean2, var2) = Statistics(x2);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal((0.9 * 0.1 * mean1[c]) + (0.1 * mean2[c]), bn.RunningMean![c], 1e-14);
            Assert.Equal((0.9 * (0.9 + (0.1 * var1[c] * m / (m - 1)))) + (0.1 * var2[c] * m / (m - 1)), bn.RunningVar![c], 1e-14);
        }

        Assert.Equal(2, bn.NumBatchesTracked);
    }

    [Fact]
    public void Evaluation_UsesRunningStatistics_AndLeavesThemAlone()
    {
        var bn = new BatchNorm2d<double>(2, eps: 1e-3);
        bn.RunningMean![0] = 0.5;
        bn.RunningMean[1] = -1;
        bn.RunningVar![0] = 2;
        bn.RunningVar[1] = 0.25;
        bn.Weight!.Load([2.0, 3.0]);
        bn.Bias!.Load([-1.0, 1.0]);
        bn.Training = false;
        var x = GradientCheck.Tensor([3, 2, 4, 4], new Random(3));
        var y = bn.Forward(x);
        AssertNormalized(x, y, [0.5, -1], [2, 0.25], [2, 3], [-1, 1], 1e-3);
        Assert.Equal([0.5, -1], bn.RunningMean);
        Assert.Equal([2, 0.25], bn.RunningVar);
        Assert.Equal(0, bn.NumBatchesTracked);

        // One image works in evaluation.
        bn.Forward(GradientCheck.Tensor([1, 2, 1, 1], new Random(4)));
    }

    [Fact]
    public void WithoutRunningStatistics_EvaluationUsesTheBatch()
    {
        var bn = new BatchNorm2d<double>(2, trackRunningStats: false, affine: false) { Training = false };
        var x = GradientCheck.Tensor([3, 2, 4, 4], new Random(5));
        var (mean, variance) = Statistics(x);
        AssertNormalized(x, bn.Forward(x), mean, variance, [1, 1], [0, 0], 1e-5);
        Assert.Empty(bn.NamedParameters());
        Assert.Empty(bn.NamedBuffers());
    }

    [Fact]
    public void Training_WithOneValuePerChannel_Throws()
    {
        var bn = new BatchNorm2d<float>(3);
        Assert.Throws<ArgumentException>(() => bn.Forward(new DenseTensor<float>([1, 3, 1, 1])));
        Assert.Throws<ArgumentException>(() => bn.Forward(new DenseTensor<float>([2, 4, 2, 2])));
        Assert.Throws<ArgumentException>(() => new BatchNorm2d<float>(3, momentum: 1.5));
    }

    [Fact]
    public void Names_FollowPyTorch()
    {
        var bn = new BatchNorm2d<float>(4);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Name));
        Assert.Equal(["running_mean", "running_var"], bn.NamedBuffers().Select(b => b.Name));
        Assert.All(bn.RunningVar!, v => Assert.Equal(1f, v));
        Assert.All(bn.Weight!.Data, v => Assert.Equal(1f, v));
    }
}
