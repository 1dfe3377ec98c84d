using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>GeM pooling against its definition, its limits (p = 1 is the mean, large p tends to the max), both gradients by finite differences, bad input.</summary>
public class GemPoolTests
{
    private static readonly int[] Shape = [2, 3, 7, 6];

    private static PoolGeometry Sliding(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [3], [2], [1], [], false, TorchPoolKind.Average);

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Forward_MatchesTheDefinition(TensorLayout layout)
    {
        var rng = new Random(12);
        var x = TestData.Make(DataKind.Normal, 2 * 3 * 7 * 6, rng); // negatives are clamped to epsilon
        foreach (double p in new[] { 1.0, 2.5, 3.0, 7.0 })
        {
            var clamped = x.Select(v => Math.Pow(Math.Max(v, GemPool.DefaultEpsilon), p)).ToArray();
            var mean = NaiveOracle.AvgPool(clamped, Shape, NaiveOracle.TorchAxes(Shape, [3, 3], [2, 2], [1, 1], null, false), countIncludePad: false, divisorOverride: null);
            var expected = mean.Values.Select(v => Math.Pow(v, 1 / p)).ToArray();
            var g = Sliding(layout);
            var y = MaxPoolSweepTests.Garbage<double>(g.OutputLength);
            GemPool.Forward(g, Harness.ToLibrary<double>(x, Shape, layout), p, y);
            Assert.Null(Harness.Close(expected, Harness.FromLibrary(y, mean.Shape, layout), expected, 1e-12, $"p {p}"));
        }
    }

    [Fact]
    public void Limits_MeanAtOneAndMaxForLargeP()
    {
        var rng = new Random(2);
        var x = TestData.Make(DataKind.Positive, 2 * 3 * 7 * 6, rng);
        var g = PoolGeometry.Global(Shape, TensorLayout.ChannelsFirst);
        var y = new double[6];
        GemPool.Forward(g, x, 1.0, y);
        var avg = new double[6];
        AvgPool.Forward(g, x, avg);
        for (int o = 0; o < 6; o++)
        {
            Assert.Equal(avg[o], y[o], 12);
        }

        GemPool.Forward(g, x, 150.0, y);
        for (int o = 0; o < 6; o++)
        {
            double max = x.Skip(o * 42).Take(42).Max();
            Assert.InRange(y[o], max * Math.Pow(42, -1.0 / 150), max * (1 + 1e-12));
        }
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        var rng = new Random(6);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Positive, 2 * 3 * 7 * 6, rng), Shape, layout);
        var g = Sliding(layout);
        var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
        const double p = 2.7;
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        double gp = GemPool.Backward(g, x, p, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => GemPool.Forward(g, input, p, y), eps: 1e-6);

        double Loss(double q)
        {
            var y = new double[gy.Length];
            GemPool.Forward(g, x, q, y);
            return y.Zip(gy, (a, b) => a * b).Sum();
        }

        double numeric = (Loss(p + 1e-6) - Loss(p - 1e-6)) / 2e-6;
        Assert.True(Math.Abs(numeric - gp) < 1e-6 * Math.Max(1, Math.Abs(numeric)), $"dL/dp {gp}, finite difference {numeric}");
    }

    [Fact]
    public void BadExponentOrEpsilon_AreRefused()
    {
        var g = PoolGeometry.Global([1, 1, 2, 2], TensorLayout.ChannelsFirst);
        var y = new double[] { 7 };
        foreach (double p in new[] { 0.0, -1, double.NaN, double.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => GemPool.Forward(g, new double[4], p, y));
            Assert.Equal("p", e.ParamName);
        }

        var e2 = Assert.Throws<ArgumentException>(() => GemPool.Forward(g, new double[4], 3.0, y, epsilon: -1));
        Assert.Equal("epsilon", e2.ParamName);
        Assert.Equal([7.0], y);
    }
}
