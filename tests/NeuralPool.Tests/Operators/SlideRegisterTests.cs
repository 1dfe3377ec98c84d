using System.Runtime.InteropServices;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-last windows 7 wide at stride 1 with at least one 512-bit vector of channels, whose interior outputs slide
/// along the row with the block's suffixes and the next block's prefix in registers: rows whose interior starts inside
/// a block and ends one, two or several blocks later, cut blocks at both ends, channel counts that are whole vectors and
/// ones whose last vector overlaps the one before it, every padding from 0 to 3, ceil mode, windows 5 and 7 high, and
/// max (normal, tie, NaN and -inf data) and average (padding counted or not, a divisor override) against the oracle,
/// on one and two threads.
/// </summary>
public sealed class SlideRegisterTests
{
    private static readonly DataKind[] Kinds = [DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity];

    public static TheoryData<string, int> Configs()
    {
        var data = new TheoryData<string, int>();
        foreach (string type in new[] { "float", "double" })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                data.Add(type, threads);
            }
        }

        return data;
    }

    private static IEnumerable<SlidingCase> Cases(string type)
    {
        int lanes = type == "float" ? 16 : 8;
        int[] channels = [lanes, lanes + 1, 2 * lanes, (3 * lanes) - 5];
        int[] widths = [7, 8, 13, 14, 15, 20, 21, 22, 29, 36, 56];
        var rng = new Random(type == "float" ? 7101 : 7102);
        int i = 0;
        foreach (int w in widths)
        {
            foreach (int pw in new[] { 0, 1, 2, 3 })
            {
                int kh = i % 3 == 2 ? 5 : 7, ph = rng.Next(0, (kh / 2) + 1);
                int h = rng.Next(kh, kh + 9), c = channels[i % channels.Length], n = 1 + (i % 2);
                yield return new SlidingCase([n, c, h, w], [kh, 7], [1, 1], [ph, pw], [ph, pw], [1, 1], i % 4 == 3,
                    OracleAutoPad.NotSet, Kinds[i % Kinds.Length], 7100 + i);
                i++;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void SevenWideRows_MatchOracle(string type, int threads)
    {
        var failures = new Failures();
        Harness.OnThreads([threads], _ =>
        {
            int i = 0;
            foreach (var c in Cases(type))
            {
                i++;
                if (!c.TorchValid())
                {
                    continue;
                }

                var layout = TensorLayout.ChannelsLast;
                failures.Count();
                var max = c.TorchGeometry(layout, TorchPoolKind.Max);
                failures.Add($"max {type} {c}", type == "float"
                    ? MaxPoolSweepTests.Check<float>(c, layout, max, c.TorchAxes(), onnx: false)
                    : MaxPoolSweepTests.Check<double>(c, layout, max, c.TorchAxes(), onnx: false));

                bool include = i % 2 == 0;
                int? divisor = i % 5 == 3 ? 11 : null;
                var avg = c.TorchGeometry(layout, TorchPoolKind.Average);
                failures.Count();
                failures.Add($"avg {type} {c} count_include_pad {include} divisor {divisor}", type == "float"
                    ? AvgPoolSweepTests.Check<float>(c, layout, avg, c.TorchAxes(), include, divisor)
                    : AvgPoolSweepTests.Check<double>(c, layout, avg, c.TorchAxes(), include, divisor));
            }
        });

        failures.AssertNone();
    }

    [Fact]
    public void FromMemorySize_MatchesTheOracle()
    {
        // 6 x 256 x 56 x 56 (7 x 7, padding 3): the output passes the size from which the 7-wide interior is written with
        // streaming stores, and input and output the size from which the rows prefetch, so this is the path the benchmark
        // times. The output goes at two element offsets (its first position on a cache-line boundary or not: plain first and
        // last vectors per position) and at an offset of two bytes (not aligned to its elements: plain stores throughout),
        // on 1 and 2 threads.
        int[] shape = [6, 256, 56, 56];
        var layout = TensorLayout.ChannelsLast;
        var rng = new Random(56);
        double[] x = Harness.RoundTrip<float>(TestData.Make(DataKind.Normal, 6L * 256 * 56 * 56, rng));
        var input = Harness.ToLibrary<float>(x, shape, layout);
        var gMax = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, 2, [7], [1], [3], default, false, TorchPoolKind.Max);
        var gAvg = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, 2, [7], [1], [3], default, false, TorchPoolKind.Average);
        Assert.True(gMax.OutputLength * sizeof(float) >= 16L << 20, "the case must be large enough to stream");
        var max = NaiveOracle.TorchMaxPool(x, shape, [7, 7], [1, 1], [3, 3]);
        var avg = NaiveOracle.TorchAvgPool(x, shape, [7, 7], [1, 1], [3, 3]);
        byte[] buffer = new byte[(gMax.OutputLength + 16) * sizeof(float)];
        Harness.OnThreads([1, 2], threads =>
        {
            foreach (int offset in new[] { 0, 5 * sizeof(float), 2 })
            {
                var y = MemoryMarshal.Cast<byte, float>(buffer.AsSpan(offset, (int)gMax.OutputLength * sizeof(float)));
                y.Fill(float.NaN);
                MaxPool.Forward<float>(gMax, input, y);
                Harness.AssertMax(max.Values, Harness.FromLibrary(y.ToArray(), max.Shape, layout).Select(v => (float)v).ToArray(), signOfZero: true, $"max, {threads} threads, byte offset {offset}");
                y.Fill(float.NaN);
                AvgPool.Forward<float>(gAvg, input, y);
                Harness.AssertAverage(avg.Values, Harness.FromLibrary(y.ToArray(), avg.Shape, layout).Select(v => (float)v).ToArray(), $"average, {threads} threads, byte offset {offset}");
            }
        });
    }
}
