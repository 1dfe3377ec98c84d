using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-last direct rows of 2-D windows on the ResNet stem's full 8 x 64 x 112 x 112 maps (3 x 3, stride 2, padding 1):
/// input and output together pass the size from which each output prefetches the taps of the window one output row down,
/// so this is the path the benchmark times. Max bit for bit (the first of equal values wins) and the average with the
/// padding counted, against the oracle, on 1 and 2 threads.
/// </summary>
public class DirectRowPrefetchTests
{
    [Fact]
    public void ResNetStem_FullSize_MatchesTheOracle()
    {
        int[] shape = [8, 64, 112, 112];
        var layout = TensorLayout.ChannelsLast;
        var rng = new Random(112);
        double[] x = Harness.RoundTrip<float>(TestData.Make(DataKind.Ties, 8L * 64 * 112 * 112, rng));
        var input = Harness.ToLibrary<float>(x, shape, layout);
        var gMax = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, 2, [3], [2], [1], default, false, TorchPoolKind.Max);
        var gAvg = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, 2, [3], [2], [1], default, false, TorchPoolKind.Average);
        Assert.True((gMax.InputLength + gMax.OutputLength) * sizeof(float) >= 16L << 20, "the case must be large enough to prefetch");
        var max = NaiveOracle.TorchMaxPool(x, shape, [3, 3], [2, 2], [1, 1]);
        var avg = NaiveOracle.TorchAvgPool(x, shape, [3, 3], [2, 2], [1, 1]);
        Harness.OnThreads([1, 2], threads =>
        {
            var y = MaxPoolSweepTests.Garbage<float>(gMax.OutputLength);
            MaxPool.Forward<float>(gMax, input, y);
            Harness.AssertMax(max.Values, Harness.FromLibrary(y, max.Shape, layout).Select(v => (float)v).ToArray(), signOfZero: true, $"max, {threads} threads");
            y = MaxPoolSweepTests.Garbage<float>(gAvg.OutputLength);
            AvgPool.Forward<float>(gAvg, input, y);
            Harness.AssertAverage(avg.Values, Harness.FromLibrary(y, avg.Shape, layout).Select(v => (float)v).ToArray(), $"average, {threads} threads");
        });
    }
}
