using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-last windows with one row (1-D pooling, and 2-D windows one row high) over whole 512-bit vectors of at
/// least 256 bytes of channels, which go tap by tap across the channels through a partial result of one position:
/// every kernel width up to 5, strides 1 to 3, every padding, dilation 1 and 2, floor and ceil, float and double;
/// max bit for bit (signed zeros tied, rows with and without a NaN, -∞) and averages (with and without the padding
/// counted, a divisor override) against the oracle, plus adaptive bins. Under DOTNET_EnableAVX512=0 the same cases
/// check the other paths.
/// </summary>
public class TapPassTests
{
    public static TheoryData<int, int, int, string> Cases()
    {
        var data = new TheoryData<int, int, int, string>();
        foreach (int stride in new[] { 1, 2, 3 })
        {
            foreach (int kernel in new[] { 1, 2, 3, 4, 5 })
            {
                for (int pad = 0; pad <= kernel / 2; pad++)
                {
                    data.Add(stride, kernel, pad, nameof(Single));
                    data.Add(stride, kernel, pad, nameof(Double));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneRowWindows_MatchTheOracle(int stride, int kernel, int pad, string type)
    {
        var rng = new Random((stride * 7919) + (kernel * 131) + (pad * 17) + type.Length);
        bool single = type == nameof(Single);
        int[] channels = single ? [64, 80, 256] : [32, 48];
        foreach (int c in channels)
        {
            foreach (int dilation in new[] { 1, 2 })
            {
                foreach (bool ceil in new[] { false, true })
                {
                    int length = 9 + rng.Next(14) + ((kernel - 1) * dilation);
                    Run(single, [2, c, length], [kernel], [stride], [pad], [dilation], ceil, rng);
                    Run(single, [1, c, 3, length], [1, kernel], [2, stride], [0, pad], [1, dilation], ceil, rng);
                }
            }
        }
    }

    [Theory]
    [InlineData(nameof(Single))]
    [InlineData(nameof(Double))]
    public void AdaptiveBins_MatchTheOracle(string type)
    {
        bool single = type == nameof(Single);
        var rng = new Random(type.Length);
        int c = single ? 64 : 32;
        foreach (var (length, output) in new[] { (13, 7), (30, 4), (5, 5), (7, 11) })
        {
            int[] shape = [2, c, length];
            foreach (DataKind kind in new[] { DataKind.Ties, DataKind.Normal })
            {
                double[] x = Data(single, kind, shape, rng);
                var g = PoolGeometry.Adaptive(Harness.Shape(shape, TensorLayout.ChannelsLast), TensorLayout.ChannelsLast, 1, [output]);
                string where = $"adaptive {length} -> {output}, {type}, {kind}";
                AssertMax(single, NaiveOracle.AdaptiveMaxPool(x, shape, [output]), x, shape, g, where);
                var avg = NaiveOracle.AdaptiveAvgPool(x, shape, [output]);
                AssertAverage(single, avg, x, shape, g, countIncludePad: false, divisorOverride: null, where);
            }
        }
    }

    private static void Run(bool single, int[] shape, int[] k, int[] s, int[] p, int[] d, bool ceil, Random rng)
    {
        int rank = k.Length;
        string where = $"shape [{string.Join(",", shape)}], kernel [{string.Join(",", k)}], stride [{string.Join(",", s)}], padding [{string.Join(",", p)}], dilation [{string.Join(",", d)}], ceil {ceil}, {(single ? "float" : "double")}";
        var cl = Harness.Shape(shape, TensorLayout.ChannelsLast);
        var g = PoolGeometry.Torch(cl, TensorLayout.ChannelsLast, rank, k, s, p, d, ceil, TorchPoolKind.Max);
        foreach (DataKind kind in new[] { DataKind.Ties, DataKind.NegativeInfinity, DataKind.NaNs })
        {
            double[] x = Data(single, kind, shape, rng);
            AssertMax(single, NaiveOracle.TorchMaxPool(x, shape, k, s, p, d, ceil), x, shape, g, $"{where}, {kind}");
        }

        if (d.Any(v => v != 1))
        {
            return; // average pooling has no dilation
        }

        var ga = PoolGeometry.Torch(cl, TensorLayout.ChannelsLast, rank, k, s, p, default, ceil, TorchPoolKind.Average);
        double[] xa = Data(single, DataKind.Normal, shape, rng);
        foreach (bool include in new[] { false, true })
        {
            var expected = NaiveOracle.TorchAvgPool(xa, shape, k, s, p, ceil, countIncludePad: include);
            AssertAverage(single, expected, xa, shape, ga, include, null, $"{where}, count_include_pad {include}");
        }

        var overridden = NaiveOracle.TorchAvgPool(xa, shape, k, s, p, ceil, countIncludePad: true, divisorOverride: 3);
        AssertAverage(single, overridden, xa, shape, ga, countIncludePad: true, divisorOverride: 3, $"{where}, divisor_override 3");
    }

    /// <summary>
    /// Test data in the element type's precision. Ties: signed zeros mixed in, so the first of equal values must win with
    /// its sign. NaNs: a NaN in one position of every third batch-row only, so most rows take the fast form and some are
    /// redone with the exact rule.
    /// </summary>
    private static double[] Data(bool single, DataKind kind, int[] shape, Random rng)
    {
        long length = shape.Aggregate(1L, (a, b) => a * b);
        double[] x = TestData.Make(kind == DataKind.NaNs ? DataKind.Normal : kind, length, rng);
        if (kind == DataKind.Ties)
        {
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] == 0 && rng.Next(2) == 0)
                {
                    x[i] = -0.0;
                }
            }
        }
        else if (kind == DataKind.NaNs)
        {
            // Channels-first index: ((n * C + c) * rows + row) * W + w; put a NaN at one (c, w) of a few rows.
            int w = shape[^1], c = shape[1];
            long rows = length / ((long)c * w);
            for (long r = 0; r < rows; r += 3)
            {
                long n = r / (rows / shape[0]), row = r % (rows / shape[0]);
                long at = ((((n * c) + rng.Next(c)) * (rows / shape[0])) + row) * w + rng.Next(w);
                x[at] = double.NaN;
            }
        }

        return single ? Harness.RoundTrip<float>(x) : x;
    }

    private static void AssertMax(bool single, OracleResult expected, double[] x, int[] shape, in PoolGeometry g, string where)
    {
        if (single)
        {
            var y = new float[g.OutputLength];
            MaxPool.Forward(g, Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsLast), y);
            Harness.AssertMax(expected.Values, Harness.FromLibrary(y, expected.Shape, TensorLayout.ChannelsLast).Select(v => (float)v).ToArray(), signOfZero: true, where);
            return;
        }

        var yd = new double[g.OutputLength];
        MaxPool.Forward(g, Harness.ToLibrary<double>(x, shape, TensorLayout.ChannelsLast), yd);
        double[] actual = Harness.FromLibrary(yd, expected.Shape, TensorLayout.ChannelsLast);
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected.Values[i], a = actual[i];
            bool same = double.IsNaN(e) ? double.IsNaN(a) : BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a);
            Assert.True(same, $"max {i}: {a} vs {e}, {where}");
        }
    }

    private static void AssertAverage(bool single, OracleResult expected, double[] x, int[] shape, in PoolGeometry g, bool countIncludePad, int? divisorOverride, string where)
    {
        double[] actual = single
            ? Average<float>(x, shape, g, countIncludePad, divisorOverride, expected.Shape)
            : Average<double>(x, shape, g, countIncludePad, divisorOverride, expected.Shape);
        double tolerance = single ? 1e-5 : 1e-12;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected.Values[i];
            Assert.True(Math.Abs(actual[i] - e) <= tolerance + (tolerance * Math.Abs(e)), $"average {i}: {actual[i]} vs {e}, {where}");
        }
    }

    private static double[] Average<T>(double[] x, int[] shape, in PoolGeometry g, bool countIncludePad, int? divisorOverride, int[] outputShape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.OutputLength];
        AvgPool.Forward(g, Harness.ToLibrary<T>(x, shape, TensorLayout.ChannelsLast), y, countIncludePad, divisorOverride);
        return Harness.FromLibrary(y, outputShape, TensorLayout.ChannelsLast);
    }
}
