using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Rows wider than the kernels' stack scratch (over 4096 elements, and over 1024 output columns), so the
/// rented-buffer paths of every driver run against the oracle too.
/// </summary>
public class WideRowTests
{
    public static TheoryData<TensorLayout, int, int, int, int> Cases()
    {
        var data = new TheoryData<TensorLayout, int, int, int, int>();
        foreach (var layout in new[] { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast })
        {
            // (width, kernel, stride, padding)
            data.Add(layout, 9001, 3, 2, 1);
            data.Add(layout, 5003, 5, 1, 2);
            data.Add(layout, 4500, 2, 2, 0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WideRows_MatchTheOracle(TensorLayout layout, int width, int kernel, int stride, int padding)
    {
        int[] cf = [1, 2, 2, width];
        var rng = new Random(width + kernel);
        double[] x = Harness.RoundTrip<float>(TestData.Make(DataKind.Ties, 2L * 2 * width, rng));
        var input = Harness.ToLibrary<float>(x, cf, layout);
        var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [2, kernel], [1, stride], [0, padding], [], false, TorchPoolKind.Max);

        var expected = NaiveOracle.TorchMaxPool(x, cf, [2, kernel], [1, stride], [0, padding]);
        var y = new float[g.OutputLength];
        var idx = new long[g.OutputLength];
        MaxPool.Forward(g, input, y);
        Assert.Equal(expected.Values, Harness.FromLibrary(y, expected.Shape, layout));
        MaxPool.Forward(g, input, y, idx);
        Assert.Equal(expected.Values, Harness.FromLibrary(y, expected.Shape, layout));
        Assert.Equal(expected.Indices, Harness.FromLibrary(idx, expected.Shape, layout));

        var avgG = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [2, kernel], [1, stride], [0, padding], [], false, TorchPoolKind.Average);
        var avgExpected = NaiveOracle.TorchAvgPool(x, cf, [2, kernel], [1, stride], [0, padding], countIncludePad: false);
        var ya = new float[avgG.OutputLength];
        AvgPool.Forward(avgG, input, ya, countIncludePad: false);
        var actual = Harness.FromLibrary(ya, avgExpected.Shape, layout);
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - avgExpected.Values[i]) <= 1e-5 + (1e-5 * Math.Abs(avgExpected.Values[i])), $"average {i}: {actual[i]} vs {avgExpected.Values[i]}");
        }

        var gx = new float[avgG.InputLength];
        AvgPool.Backward(avgG, ya, gx, countIncludePad: false);
        var gradExpected = NaiveOracle.AvgPoolBackward(Harness.FromLibrary(ya, avgExpected.Shape, layout), cf,
            NaiveOracle.TorchAxes(cf, [2, kernel], [1, stride], [0, padding], null, false), countIncludePad: false, divisorOverride: null);
        var gradActual = Harness.FromLibrary(gx, cf, layout);
        for (int i = 0; i < gradActual.Length; i++)
        {
            Assert.True(Math.Abs(gradActual[i] - gradExpected[i]) <= 1e-5 + (1e-5 * Math.Abs(gradExpected[i])), $"gradient {i}: {gradActual[i]} vs {gradExpected[i]}");
        }
    }
    /// <summary>
    /// Channels-last rows whose W·C scratch row exceeds the first-level cache (the separable path then runs in chunks of
    /// outputs): max with ties and with NaN (the NaN-free attempt and the exact redo), averages with both divisor rules.
    /// </summary>
    [Theory]
    [InlineData(3, 1, 1, 1)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(2, 1, 0, 2)]
    [InlineData(4, 3, 2, 1)]
    public void WideChannelRows_MatchTheOracle(int kernel, int stride, int padding, int dilation)
    {
        int[] cf = [2, 300, 5, 37];
        foreach (var kind in new[] { DataKind.Ties, DataKind.NaNs })
        {
            var rng = new Random(kernel + (7 * stride) + (int)kind);
            double[] x = Harness.RoundTrip<float>(TestData.Make(kind, cf.Aggregate(1L, (a, b) => a * b), rng));
            var input = Harness.ToLibrary<float>(x, cf, TensorLayout.ChannelsLast);
            var g = PoolGeometry.Torch(Harness.Shape(cf, TensorLayout.ChannelsLast), TensorLayout.ChannelsLast, 2, [kernel], [stride], [padding], [dilation], false, TorchPoolKind.Max);
            var expected = NaiveOracle.TorchMaxPool(x, cf, [kernel, kernel], [stride, stride], [padding, padding], [dilation, dilation]);
            var y = new float[g.OutputLength];
            MaxPool.Forward(g, input, y);
            Assert.Equal(expected.Values, Harness.FromLibrary(y, expected.Shape, TensorLayout.ChannelsLast));
            if (kind == DataKind.NaNs || dilation != 1)
            {
                continue;
            }

            foreach (bool includePad in new[] { true, false })
            {
                var ga = PoolGeometry.Torch(Harness.Shape(cf, TensorLayout.ChannelsLast), TensorLayout.ChannelsLast, 2, [kernel], [stride], [padding], [], false, TorchPoolKind.Average);
                var avg = NaiveOracle.TorchAvgPool(x, cf, [kernel, kernel], [stride, stride], [padding, padding], countIncludePad: includePad);
                var ya = new float[ga.OutputLength];
                AvgPool.Forward(ga, input, ya, countIncludePad: includePad);
                var actual = Harness.FromLibrary(ya, avg.Shape, TensorLayout.ChannelsLast);
                for (int i = 0; i < actual.Length; i++)
                {
                    Assert.True(Math.Abs(actual[i] - avg.Values[i]) <= 1e-5 + (1e-5 * Math.Abs(avg.Values[i])), $"average {i}: {actual[i]} vs {avg.Values[i]}");
                }
            }
        }
    }
}
