using NeuralPool.Geometry;
using NeuralPool.Kernels;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-first float planes whose rows fit one 512-bit register (8 to 16 elements; rows in one register, columns by
/// permutes, then rows): every such width, short and tall planes, windows with every stride, padding, dilation and ceil
/// mode the rules allow, and adaptive bins, against the oracle. Max is compared bit for bit where the kernel runs (the
/// first of equal values in row-major order wins, +0 against −0) on ties, NaN, -∞ and planes of signed zeros among
/// negative values; averages with both padding rules and an override. Under DOTNET_EnableAVX512=0 the same cases check
/// the paths that run without 512-bit vectors.
/// </summary>
public class ShortRowTests
{
    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        foreach (string kind in new[] { nameof(DataKind.Ties), nameof(DataKind.NaNs), nameof(DataKind.NegativeInfinity), nameof(DataKind.SignedZeros) })
        {
            for (int width = 8; width <= 16; width++)
            {
                data.Add(width, kind);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Planes_MatchTheOracle(int width, string data)
    {
        var rng = new Random((width * 31) + data.Length);
        foreach (int height in new[] { 1, 2, 5, 13 })
        {
            int[] shape = [2, 3, height, width];
            double[] x = Harness.RoundTrip<float>(TestData.Make(Enum.Parse<DataKind>(data), shape.Aggregate(1L, (a, b) => a * b), rng));
            var input = Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsFirst);
            foreach (var (k, s, p, d) in new[] { (1, 1, 0, 1), (2, 2, 0, 1), (3, 1, 1, 1), (3, 2, 1, 1), (3, 2, 0, 2), (4, 3, 2, 1), (5, 1, 2, 1), (2, 1, 1, 3) })
            {
                if ((((k - 1) * d) + 1) > height + (2 * p))
                {
                    continue;
                }

                foreach (bool ceil in new[] { false, true })
                {
                    Windows(shape, x, input, [k, k], [s, s], [p, p], [d, d], ceil, data);
                }
            }

            foreach (int bins in new[] { 1, 3, 7, width })
            {
                Adaptive(shape, x, input, [Math.Min(bins, height), bins], data);
            }
        }
    }

    [Fact]
    public void AdaptiveAndSmallLayers_TakeTheKernel()
    {
        var adaptive = PoolGeometry.Adaptive([8, 4, 13, 13], TensorLayout.ChannelsFirst, 2, [7, 7]);
        var small = PoolGeometry.Torch([8, 4, 14, 14], TensorLayout.ChannelsFirst, 2, [3], [2], [1], [], false, TorchPoolKind.Max);
        bool on = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        Assert.Equal(on, WindowReduce.TakesShortRows(adaptive));
        Assert.Equal(on, WindowReduce.TakesShortRows(small));
    }

    private static void Windows(int[] shape, double[] x, float[] input, int[] k, int[] s, int[] p, int[] d, bool ceil, string data)
    {
        string where = $"shape [{string.Join(",", shape)}], kernel {k[0]}, stride {s[0]}, padding {p[0]}, dilation {d[0]}, ceil {ceil}, {data}";
        var g = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, k, s, p, d, ceil, TorchPoolKind.Max);
        var y = new float[g.OutputLength];
        MaxPool.Forward(g, input, y);
        Harness.AssertMax(NaiveOracle.TorchMaxPool(x, shape, k, s, p, d, ceil).Values, y, WindowReduce.TakesShortRows(g), where);
        if (data == nameof(DataKind.NaNs) || d[0] != 1)
        {
            return; // averages of NaN data are NaN wherever a window holds one; average pooling has no dilation
        }

        var ga = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, k, s, p, [], ceil, TorchPoolKind.Average);
        foreach (var (includePad, overrideBy) in new (bool, int?)[] { (true, null), (false, null), (false, 5) })
        {
            var ya = new float[ga.OutputLength];
            AvgPool.Forward(ga, input, ya, countIncludePad: includePad, divisorOverride: overrideBy);
            var expected = NaiveOracle.TorchAvgPool(x, shape, k, s, p, ceil, includePad, overrideBy).Values;
            Harness.AssertAverage(expected, ya, $"{where}, count_include_pad {includePad}, divisor {overrideBy}");
        }
    }

    private static void Adaptive(int[] shape, double[] x, float[] input, int[] outSize, string data)
    {
        string where = $"shape [{string.Join(",", shape)}], adaptive [{string.Join(",", outSize)}], {data}";
        var g = PoolGeometry.Adaptive(shape, TensorLayout.ChannelsFirst, 2, outSize);
        var y = new float[g.OutputLength];
        MaxPool.Forward(g, input, y);
        Harness.AssertMax(NaiveOracle.AdaptiveMaxPool(x, shape, outSize).Values, y, WindowReduce.TakesShortRows(g), where);
        if (data == nameof(DataKind.NaNs))
        {
            return;
        }

        var ya = new float[g.OutputLength];
        AvgPool.Forward(g, input, ya);
        Harness.AssertAverage(NaiveOracle.AdaptiveAvgPool(x, shape, outSize).Values, ya, where);
    }
}
