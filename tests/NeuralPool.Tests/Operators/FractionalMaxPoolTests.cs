using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Fractional max pooling: the interval rule by name, NaN and ties, layouts, the gradient, and bad input (PyTorch fixtures are in tests/fixtures/torch_fractional).</summary>
public class FractionalMaxPoolTests
{
    [Fact]
    public void Intervals_FollowPyTorchsFormula()
    {
        // One row of 10 (1-D behaviour through a 1 x 10 plane), kernel (1, 2), 4 outputs, width sample 0.5:
        // alpha = (10 - 2) / 3 = 2.667; starts = (int)(0.5a) - (int)(0.5a) = 0, (int)(1.5a) - 1 = 3, (int)(2.5a) - 1 = 5, and 10 - 2 = 8.
        double[] x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        var y = new double[4];
        var idx = new long[4];
        FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 1, 10], [1, 2], [1, 4], [0.5, 0.0], x, y, idx);
        Assert.Equal([1.0, 4, 6, 9], y);
        Assert.Equal([1L, 4, 6, 9], idx);
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void NaNPropagatesAndTiesKeepTheFirst(TensorLayout layout)
    {
        // 2 x 4 plane, kernel 2 x 2, outputs 1 x 2: windows at columns 0 and 2.
        double[] x = [5, 5, 1, double.NaN, 5, 2, double.NaN, 0];
        var y = new double[2];
        var idx = new long[2];
        FractionalMaxPool.Forward(layout, Harness.Shape([1, 1, 2, 4], layout), [2], [1, 2], [0.3, 0.6], x, y, idx);
        Assert.Equal(5, y[0]);
        Assert.Equal(0L, idx[0]);
        Assert.True(double.IsNaN(y[1]));
        Assert.Equal(6L, idx[1]); // the last NaN in scan order
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_MatchesFiniteDifferencesAndIndices(TensorLayout layout)
    {
        var rng = new Random(3);
        int[] shape = [2, 3, 5, 7, 6];
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, 2 * 3 * 5 * 7 * 6, rng), shape, layout);
        var samples = Enumerable.Range(0, 2 * 3 * 3).Select(_ => rng.NextDouble()).ToArray();
        int[] k = [2, 3, 2], size = [3, 4, 4];
        var phys = Harness.Shape(shape, layout);
        int outLength = 2 * 3 * 3 * 4 * 4;
        var gy = TestData.Make(DataKind.Normal, outLength, rng);
        var y = new double[outLength];
        var idx = new long[outLength];
        FractionalMaxPool.Forward(layout, phys, k, size, samples, x, y, idx);
        var gx = new double[x.Length];
        FractionalMaxPool.Backward(layout, phys, k, size, samples, x, gy, gx);
        var gx2 = MaxPoolSweepTests.Garbage<double>(x.Length);
        FractionalMaxPool.Backward(layout, phys, size, gy, idx, gx2);
        Assert.Equal(gx, gx2);

        Harness.AssertGradient(x, gy, gx, (input, output) => FractionalMaxPool.Forward(layout, phys, k, size, samples, input, output), step: 7);
    }

    [Fact]
    public void OutputRatio_TruncatesLikePyTorch() => Assert.Equal([3, 7], FractionalMaxPool.OutputSize([7, 15], [0.5, 0.5]));

    [Fact]
    public void BadInput_NamesTheProblemAndWritesNothing()
    {
        var x = new float[16];
        var y = new float[] { 7, 7, 7, 7 };
        void Throws(string param, string fragment, Action call)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(param, e.ParamName);
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
            Assert.All(y, v => Assert.Equal(7f, v));
        }

        Throws("randomSamples", "must lie in [0, 1)", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], [2], [2, 2], [1f, 0.5f], x, y));
        Throws("randomSamples", "", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], [2], [2, 2], [0.5f], x, y));
        Throws("outputSize", "needs an input of at least 5", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], [2], [4, 2], [0.1f, 0.2f], x, y));
        Throws("kernelSize", "must be positive", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], [0], [2, 2], [0.1f, 0.2f], x, y));
        Throws("output", "", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], [2], [1, 2], [0.1f, 0.2f], x, y));
        Throws("inputShape", "4-D or 5-D", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 16], [2], [2], [0.1f], x, y));

        // 3-D: PyTorch rejects output + kernel - 1 == input.
        var x3 = new float[27];
        Throws("outputSize", "needs an input of at least 4", () => FractionalMaxPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 3, 3, 3], [2], [2, 1, 1], [0.1f, 0.2f, 0.3f], x3, y.AsSpan(0, 2)));
        Throws("outputRatio", "between 0 and 1", () => FractionalMaxPool.OutputSize([4, 4], [1.0, 0.5]));
    }
}
