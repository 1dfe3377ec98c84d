using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-last sums over 3-wide stride-1 windows through the ring rows on Inception's full 8 x 256 x 35 x 35 maps:
/// input and output together pass the size from which the ring rows prefetch one row ahead, so this is the path the
/// benchmark times, checked against the oracle with and without the padding counted, on 1 and 2 threads.
/// </summary>
public class RingRowTests
{
    [Fact]
    public void InceptionAverage_FullSize_MatchesTheOracle()
    {
        int[] shape = [8, 256, 35, 35];
        var rng = new Random(35);
        double[] x = Harness.RoundTrip<float>(TestData.Make(DataKind.Normal, 8L * 256 * 35 * 35, rng));
        var input = Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsLast);
        var g = PoolGeometry.Torch(Harness.Shape(shape, TensorLayout.ChannelsLast), TensorLayout.ChannelsLast, 2, [3, 3], [1, 1], [1, 1], default, false, TorchPoolKind.Average);
        Assert.True((g.InputLength + g.OutputLength) * sizeof(float) >= 16L << 20, "the case must be large enough to prefetch");
        foreach (bool include in new[] { false, true })
        {
            var expected = NaiveOracle.TorchAvgPool(x, shape, [3, 3], [1, 1], [1, 1], countIncludePad: include);
            Harness.OnThreads([1, 2], threads =>
            {
                var y = MaxPoolSweepTests.Garbage<float>(g.OutputLength);
                AvgPool.Forward<float>(g, input, y, countIncludePad: include);
                Harness.AssertAverage(expected.Values, Harness.FromLibrary(y, expected.Shape, TensorLayout.ChannelsLast).Select(v => (float)v).ToArray(),
                    $"count_include_pad {include}, {threads} threads");
            });
        }
    }
}
