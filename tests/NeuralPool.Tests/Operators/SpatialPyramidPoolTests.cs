using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Spatial pyramid pooling: the concatenation of adaptive pooling levels (against the oracle), a fixed length for any input size, its gradient, bad input.</summary>
public class SpatialPyramidPoolTests
{
    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Forward_ConcatenatesTheAdaptiveLevels(TensorLayout layout)
    {
        var rng = new Random(21);
        int[] levels = [1, 2, 3];
        foreach (var (h, w) in new[] { (7, 5), (12, 13), (2, 9), (1, 1) })
        {
            int[] shape = [2, 3, h, w];
            var x = TestData.Make(DataKind.NaNs, 2 * 3 * h * w, rng);
            var lib = Harness.ToLibrary<double>(x, shape, layout);
            foreach (var mode in new[] { PyramidMode.Max, PyramidMode.Average })
            {
                int features = SpatialPyramidPool.FeatureLength(3, levels);
                Assert.Equal(3 * (1 + 4 + 9), features);
                var y = MaxPoolSweepTests.Garbage<double>(2 * features);
                SpatialPyramidPool.Forward(layout, Harness.Shape(shape, layout), levels, mode, lib, y);

                var expected = new List<double>();
                for (int b = 0; b < 2; b++)
                {
                    foreach (int n in levels)
                    {
                        var level = mode == PyramidMode.Max ? NaiveOracle.AdaptiveMaxPool(x, shape, [n, n]) : NaiveOracle.AdaptiveAvgPool(x, shape, [n, n]);
                        expected.AddRange(level.Values.Skip(b * 3 * n * n).Take(3 * n * n));
                    }
                }

                Assert.Null(Harness.Close([.. expected], y, [.. expected.Select(Math.Abs)], 1e-12, $"{mode} {h}x{w}"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        var rng = new Random(8);
        int[] shape = [1, 2, 6, 7], levels = [1, 2, 4];
        var phys = Harness.Shape(shape, layout);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, 2 * 6 * 7, rng), shape, layout);
        int features = SpatialPyramidPool.FeatureLength(2, levels);
        var gy = TestData.Make(DataKind.Normal, features, rng);
        foreach (var mode in new[] { PyramidMode.Max, PyramidMode.Average })
        {
            var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
            SpatialPyramidPool.Backward(layout, phys, levels, mode, x, gy, gx);
            Harness.AssertGradient(x, gy, gx, (input, y) => SpatialPyramidPool.Forward(layout, phys, levels, mode, input, y));
        }
    }

    [Fact]
    public void BadLevels_AreRefused()
    {
        var y = new float[] { 7 };
        var e = Assert.Throws<ArgumentException>(() => SpatialPyramidPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 2, 2], [1, 0], PyramidMode.Max, new float[4], y));
        Assert.Equal("levels", e.ParamName);
        Assert.Contains("must be positive", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => SpatialPyramidPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 2, 2], [], PyramidMode.Max, new float[4], y));
        Assert.Contains("at least one level", e.Message, StringComparison.Ordinal);
        Assert.Equal([7f], y);
    }
}
