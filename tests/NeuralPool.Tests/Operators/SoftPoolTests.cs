using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>SoftPool against its definition (a naive softmax-weighted window mean), between mean and max, its exact gradient, NaN.</summary>
public class SoftPoolTests
{
    private static readonly int[] Shape = [2, 3, 7, 6];

    private static PoolGeometry Geometry(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [3, 2], [2, 1], [1, 1], [], true, TorchPoolKind.Average);

    /// <summary>Naive SoftPool over channels-first data: softmax weights of each window's valid taps, computed directly.</summary>
    private static double[] Oracle(double[] x)
    {
        var axes = NaiveOracle.TorchAxes(Shape, [3, 2], [2, 1], [1, 1], null, true);
        int[] outShape = NaiveOracle.OutputShape(Shape, axes);
        int h = Shape[2], w = Shape[3], oh = outShape[2], ow = outShape[3];
        var y = new double[Shape[0] * Shape[1] * oh * ow];
        for (int p = 0; p < Shape[0] * Shape[1]; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    var taps = new List<double>();
                    for (int a = (i * 2) - 1; a < (i * 2) - 1 + 3; a++)
                    {
                        for (int b = j - 1; b < j - 1 + 2; b++)
                        {
                            if (a >= 0 && a < h && b >= 0 && b < w)
                            {
                                taps.Add(x[(p * h * w) + (a * w) + b]);
                            }
                        }
                    }

                    double denominator = taps.Sum(Math.Exp);
                    y[(p * oh * ow) + (i * ow) + j] = taps.Sum(v => v * Math.Exp(v)) / denominator;
                }
            }
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Forward_MatchesTheDefinitionAndLiesBetweenMeanAndMax(TensorLayout layout)
    {
        var rng = new Random(17);
        var x = TestData.Make(DataKind.Normal, 2 * 3 * 7 * 6, rng);
        var g = Geometry(layout);
        var y = MaxPoolSweepTests.Garbage<double>(g.OutputLength);
        SoftPool.Forward(g, Harness.ToLibrary<double>(x, Shape, layout), y);
        var outShape = NaiveOracle.OutputShape(Shape, NaiveOracle.TorchAxes(Shape, [3, 2], [2, 1], [1, 1], null, true));
        var actual = Harness.FromLibrary(y, outShape, layout);
        var expected = Oracle(x);
        Assert.Null(Harness.Close(expected, actual, expected, 1e-12, "forward"));

        var axes = NaiveOracle.TorchAxes(Shape, [3, 2], [2, 1], [1, 1], null, true);
        var mean = NaiveOracle.AvgPool(x, Shape, axes, countIncludePad: false, divisorOverride: null).Values;
        var max = NaiveOracle.MaxPool(x, Shape, axes).Values;
        for (int o = 0; o < actual.Length; o++)
        {
            Assert.InRange(actual[o], mean[o] - 1e-12, max[o] + 1e-12);
        }
    }

    [Fact]
    public void LargeActivations_DoNotOverflow()
    {
        var g = PoolGeometry.Global([1, 1, 1, 3], TensorLayout.ChannelsFirst);
        var y = new double[1];
        SoftPool.Forward(g, [1000.0, 1000.0, 0.0], y);
        Assert.Equal(1000.0, y[0], 9);
        SoftPool.Forward(g, [1.0, double.NaN, 2.0], y);
        Assert.True(double.IsNaN(y[0]));
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_IsTheExactGradient(TensorLayout layout)
    {
        var rng = new Random(23);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, 2 * 3 * 7 * 6, rng), Shape, layout);
        var g = Geometry(layout);
        var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        SoftPool.Backward(g, x, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => SoftPool.Forward(g, input, y), eps: 1e-6, tolerance: 1e-7);
    }
}
