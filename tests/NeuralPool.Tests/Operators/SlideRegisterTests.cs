using System.Runtime.InteropServices;
using NeuralPool.Geometry;
using NeuralPool.Kernels;
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

    [Theory]
    [MemberData(nameof(Configs))]
    public void SignedZeros_TakeTheFirstOfEqualValuesInRowMajorOrder(string type, int threads)
    {
        // Windows whose maximum is zero hold +0 and -0 in different rows and columns: the output is the first of them in
        // PyTorch's row-major scan, bit for bit. Every sliding body: 7 wide on 512-bit vectors, the few-vector and line
        // rows for other widths, fewer channels than a vector; windows clipped at the top, the bottom and both sides;
        // channels-first too, whose planes slide in transposed blocks where they do not fit the register rows.
        int lanes = type == "float" ? 16 : 8;
        var failures = new Failures();
        var rng = new Random(type == "float" ? 7201 : 7202);

        Harness.OnThreads([threads], _ =>
        {
            foreach (var (kh, kw) in new[] { (7, 7), (5, 5), (5, 7), (9, 6), (6, 11) })
            {
                foreach (int c in new[] { 1, 3, lanes, lanes + 3, (3 * lanes) + 1 })
                {
                    var layout = c == 3 ? TensorLayout.ChannelsFirst : TensorLayout.ChannelsLast;
                    int h = rng.Next(kh, (2 * kh) + 4), w = c == 3 ? rng.Next(66, 80) : rng.Next(kw, (3 * kw) + 2);
                    int ph = rng.Next(0, (kh / 2) + 1), pw = rng.Next(0, (kw / 2) + 1);
                    bool ceil = rng.Next(2) == 0;
                    int[] shape = [2, c, h, w];
                    double[] x = TestData.Make(DataKind.SignedZeros, TestData.Volume(shape), rng);
                    var expected = NaiveOracle.TorchMaxPool(x, shape, [kh, kw], [1, 1], [ph, pw], ceilMode: ceil);
                    var g = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, 2, [kh, kw], [1, 1], [ph, pw], default, ceil, TorchPoolKind.Max);
                    if (!(type == "float" ? WindowReduce.TakesSlidingRows<float>(g) : WindowReduce.TakesSlidingRows<double>(g)))
                    {
                        continue; // another kernel's case on this instruction set (no vectors; channels-first without 256-bit transposes)
                    }

                    double[] actual = type == "float" ? Run<float>(g, layout, x, shape, expected.Shape) : Run<double>(g, layout, x, shape, expected.Shape);
                    failures.Count();
                    failures.Add($"{type} {layout} shape ({string.Join(",", shape)}) k ({kh},{kw}) pads ({ph},{pw}) ceil {ceil}", FirstBitDifference(expected.Values, actual));
                }
            }
        });

        // Without vectors no case takes the sliding rows (the separable rows take them).
        Assert.True(System.Numerics.Vector.IsHardwareAccelerated ? failures.Cases >= 20 : failures.Cases == 0, $"{failures.Cases} cases took the sliding rows");
        if (failures.Cases > 0)
        {
            failures.AssertNone();
        }

        static double[] Run<T>(PoolGeometry g, TensorLayout layout, double[] x, int[] shape, int[] outShape)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>, System.Numerics.IMinMaxValue<T>
        {
            var y = new T[g.OutputLength];
            MaxPool.Forward<T>(g, Harness.ToLibrary<T>(x, shape, layout), y);
            return Harness.FromLibrary(y, outShape, layout);
        }

        static string? FirstBitDifference(double[] expected, double[] actual)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                {
                    return $"[{i}] = {actual[i]:R}, expected {expected[i]:R}";
                }
            }

            return null;
        }
    }

    [Fact]
    public void FromMemorySize_MatchesTheOracle()
    {
        // 6 x 256 x 56 x 56 (7 x 7, padding 3): the output passes the size from which rows go out with streaming stores,
        // and input and output the size from which input rows are read through before they are reduced, so this is the
        // path the benchmark times. The output goes at two element offsets (its rows on a cache-line boundary or not: the
        // max joins its rows straight into place with a plain first and last vector per row) and at an offset of two bytes
        // (not aligned to its elements: every row finished in scratch and copied out), on 1 and 2 threads.
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
