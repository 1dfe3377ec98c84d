using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Mixed and gated max-average pooling: definitions against the oracle's max and average, their limits, all gradients by finite differences.</summary>
public class MixedGatedPoolTests
{
    private static readonly int[] Shape = [2, 2, 7, 6];
    private static readonly int[] Kernel = [3, 2], Stride = [2, 1], Padding = [1, 1];

    private static PoolGeometry Geometry(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, Kernel, Stride, Padding, [], false, TorchPoolKind.Average);

    private static (double[] Max, double[] Avg, int[] OutShape) Parts(double[] x)
    {
        var axes = NaiveOracle.TorchAxes(Shape, Kernel, Stride, Padding, null, false);
        return (NaiveOracle.MaxPool(x, Shape, axes).Values, NaiveOracle.AvgPool(x, Shape, axes, countIncludePad: true, divisorOverride: null).Values, NaiveOracle.OutputShape(Shape, axes));
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Mixed_IsTheWeightedMaxAndAverage(TensorLayout layout)
    {
        var x = TestData.Make(DataKind.Normal, 2 * 2 * 7 * 6, new Random(60));
        var (max, avg, outShape) = Parts(x);
        var g = Geometry(layout);
        foreach (double a in new[] { 0.0, 1.0, 0.3 })
        {
            var y = new double[g.OutputLength];
            MixedPool.Forward(g, Harness.ToLibrary<double>(x, Shape, layout), a, y);
            var expected = max.Zip(avg, (m, v) => (a * m) + ((1 - a) * v)).ToArray();
            Assert.Null(Harness.Close(expected, Harness.FromLibrary(y, outShape, layout), expected, 1e-12, $"a {a}"));
        }
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Gated_UsesTheWindowGate(TensorLayout layout)
    {
        var rng = new Random(61);
        var x = TestData.Make(DataKind.Normal, 2 * 2 * 7 * 6, rng);
        var gate = TestData.Make(DataKind.Normal, 6, rng);
        var (max, avg, outShape) = Parts(x);
        var g = Geometry(layout);
        var y = new double[g.OutputLength];
        GatedPool.Forward(g, Harness.ToLibrary<double>(x, Shape, layout), gate, y);
        var actual = Harness.FromLibrary(y, outShape, layout);
        int oh = outShape[2], ow = outShape[3];
        for (int p = 0; p < 4; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    double dot = 0;
                    for (int kh = 0; kh < 3; kh++)
                    {
                        for (int kw = 0; kw < 2; kw++)
                        {
                            int r = (i * 2) - 1 + kh, c = j - 1 + kw;
                            dot += r >= 0 && r < 7 && c >= 0 && c < 6 ? gate[(kh * 2) + kw] * x[(p * 42) + (r * 6) + c] : 0;
                        }
                    }

                    double s = 1 / (1 + Math.Exp(-dot));
                    int o = (p * oh * ow) + (i * ow) + j;
                    Assert.Equal((s * max[o]) + ((1 - s) * avg[o]), actual[o], 12);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Gradients_MatchFiniteDifferences(TensorLayout layout)
    {
        var rng = new Random(62);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, 2 * 2 * 7 * 6, rng), Shape, layout);
        var gate = TestData.Make(DataKind.Normal, 6, rng);
        var g = Geometry(layout);
        var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);

        const double a = 0.35;
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        double ga = MixedPool.Backward(g, x, a, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => MixedPool.Forward(g, input, a, y));
        double[] aBox = [a];
        Harness.AssertGradient(aBox, gy, [ga], (p, y) => MixedPool.Forward(g, x, p[0], y));

        var gg = MaxPoolSweepTests.Garbage<double>(gate.Length);
        GatedPool.Backward(g, x, gate, gy, gx, gg);
        Harness.AssertGradient(x, gy, gx, (input, y) => GatedPool.Forward(g, input, gate, y), eps: 1e-6);
        Harness.AssertGradient(gate, gy, gg, (p, y) => GatedPool.Forward(g, x, p, y), eps: 1e-6);
    }

    [Fact]
    public void Gated_RefusesAdaptiveWindows()
    {
        var g = PoolGeometry.Adaptive([1, 1, 5, 5], TensorLayout.ChannelsFirst, 2, [2, 2]);
        var e = Assert.Throws<ArgumentException>(() => GatedPool.Forward(g, new double[25], new double[9], new double[4]));
        Assert.Equal("geometry", e.ParamName);
    }
}
