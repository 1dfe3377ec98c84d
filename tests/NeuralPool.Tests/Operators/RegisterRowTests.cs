using NeuralPool.Geometry;
using NeuralPool.Kernels;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-first float planes at stride 1 with windows of 5 and more whose padded rows fit four 512-bit registers (rows
/// of up to 64 lanes: horizontal doubling in registers, van Herk rows): every window shape from 5 x 5 to 9 x 16, every
/// PyTorch padding and asymmetric ONNX pads, widths that end the row at every register boundary, short and tall planes,
/// against the oracle. Max is compared bit for bit, sign of zero included (the first of equal values in row-major order
/// wins), on ties, NaN, -∞ and planes of signed zeros among negative values; averages with both padding rules and an
/// override. Under DOTNET_EnableAVX512=0 the same cases check the paths that run without 512-bit vectors.
/// </summary>
public class RegisterRowTests
{
    public static TheoryData<int, int, string> Cases()
    {
        var data = new TheoryData<int, int, string>();
        var kinds = new[] { nameof(DataKind.Ties), nameof(DataKind.NaNs), nameof(DataKind.NegativeInfinity), nameof(DataKind.SignedZeros) };
        foreach (var (kh, kw) in new[] { (5, 5), (7, 7), (5, 7), (7, 5), (6, 8), (8, 6), (9, 16), (13, 9), (5, 11) })
        {
            foreach (string kind in kinds)
            {
                data.Add(kh, kw, kind);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Planes_MatchTheOracle(int kh, int kw, string data)
    {
        var rng = new Random((kh * 97) + (kw * 13) + data.Length);
        foreach (int width in new[] { kw, 16, 17, 31, 33, 48, 49, 56, 58, 64 })
        {
            for (int pad = 0; pad <= kw / 2; pad++)
            {
                if (width + (2 * pad) - kw + 1 < 1)
                {
                    continue;
                }

                int ph = Math.Min(pad, kh / 2);
                foreach (int height in width == 56 ? new[] { kh, 56 } : new[] { kh, (2 * kh) + 1 })
                {
                    Torch([1, 3, height, width], [kh, kw], [ph, pad], data, rng);
                }
            }

            // ONNX pads: more on one side than the other.
            int[] shape = [2, 2, kh + 6, width];
            int begin = Math.Min(kw - 1, 4), end = Math.Min(kw / 2, 2);
            Onnx(shape, [kh, kw], [kh - 1, begin, 0, end], data, rng);
            Onnx(shape, [kh, kw], [1, 0, kh / 2, kw - 1], data, rng);
        }
    }

    [Fact]
    public void ResNetAndDenseNetPlanes_TakeTheKernel()
    {
        // The planes the kernel is for: 7 x 7 and 5 x 5 'same' windows on 56, 28 and 14 wide planes.
        foreach (var (k, size) in new[] { (7, 56), (7, 28), (5, 56), (5, 14) })
        {
            var g = PoolGeometry.Torch([8, 4, size, size], TensorLayout.ChannelsFirst, 2, [k], [1], [k / 2], [], false, TorchPoolKind.Max);
            Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, WindowReduce.TakesRegisterRows(g));
        }
    }

    [Fact]
    public void LargeOutputs_StreamedAsComputed()
    {
        // Outputs of 16 MB and more are built a plane at a time in scratch and streamed out: the same values as the same
        // planes pooled in a small call, into an output that starts off the 64-byte grid (scalar head and tail).
        int[] shape = [1, 1344, 56, 56];
        long length = shape.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(11);
        var x = new float[length];
        for (long i = 0; i < length; i++)
        {
            x[i] = (float)((rng.NextDouble() * 8) - 4);
        }

        var g = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, [7], [1], [3], [], false, TorchPoolKind.Max);
        var ga = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, [7], [1], [3], [], false, TorchPoolKind.Average);
        var max = new float[g.OutputLength + 1];
        var avg = new float[g.OutputLength + 1];
        MaxPool.Forward(g, x, max.AsSpan(1));
        AvgPool.Forward(ga, x, avg.AsSpan(1), countIncludePad: false);
        int plane = 56 * 56;
        foreach (int first in new[] { 0, 700, 1340 })
        {
            int[] few = [1, 4, 56, 56];
            var input = x.AsSpan(first * plane, 4 * plane);
            var small = new float[4 * plane];
            MaxPool.Forward(PoolGeometry.Torch(few, TensorLayout.ChannelsFirst, 2, [7], [1], [3], [], false, TorchPoolKind.Max), input, small);
            Assert.True(small.AsSpan().SequenceEqual(max.AsSpan(1 + (first * plane), 4 * plane)), $"max, planes {first}..{first + 3}");
            AvgPool.Forward(PoolGeometry.Torch(few, TensorLayout.ChannelsFirst, 2, [7], [1], [3], [], false, TorchPoolKind.Average), input, small, countIncludePad: false);
            Assert.True(small.AsSpan().SequenceEqual(avg.AsSpan(1 + (first * plane), 4 * plane)), $"average, planes {first}..{first + 3}");
        }

        Assert.Equal(0f, max[0]);
        Assert.Equal(0f, avg[0]);
        var one = NaiveOracle.TorchMaxPool(x.AsSpan(0, plane).ToArray().Select(v => (double)v).ToArray(), [1, 1, 56, 56], [7, 7], [1, 1], [3, 3]);
        Assert.True(one.Values.SequenceEqual(max.AsSpan(1, plane).ToArray().Select(v => (double)v)), "max, plane 0 against the oracle");
    }

    private static void Torch(int[] shape, int[] k, int[] p, string data, Random rng)
    {
        double[] x = Harness.RoundTrip<float>(TestData.Make(Enum.Parse<DataKind>(data), shape.Aggregate(1L, (a, b) => a * b), rng));
        var input = Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsFirst);
        string where = $"shape [{string.Join(",", shape)}], kernel [{string.Join(",", k)}], padding [{string.Join(",", p)}], {data}";
        var g = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, k, [1, 1], p, [], false, TorchPoolKind.Max);
        var y = new float[g.OutputLength];
        MaxPool.Forward(g, input, y);
        Harness.AssertMax(NaiveOracle.TorchMaxPool(x, shape, k, [1, 1], p).Values, y, WindowReduce.TakesRegisterRows(g), where);
        if (data == nameof(DataKind.NaNs))
        {
            return;
        }

        var ga = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, 2, k, [1, 1], p, [], false, TorchPoolKind.Average);
        foreach (var (includePad, overrideBy) in new (bool, int?)[] { (true, null), (false, null), (false, 7) })
        {
            var ya = new float[ga.OutputLength];
            AvgPool.Forward(ga, input, ya, countIncludePad: includePad, divisorOverride: overrideBy);
            var expected = NaiveOracle.TorchAvgPool(x, shape, k, [1, 1], p, countIncludePad: includePad, divisorOverride: overrideBy).Values;
            Harness.AssertAverage(expected, ya, $"{where}, count_include_pad {includePad}, divisor {overrideBy}");
        }
    }

    private static void Onnx(int[] shape, int[] k, int[] pads, string data, Random rng)
    {
        double[] x = Harness.RoundTrip<float>(TestData.Make(Enum.Parse<DataKind>(data), shape.Aggregate(1L, (a, b) => a * b), rng));
        var input = Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsFirst);
        string where = $"ONNX shape [{string.Join(",", shape)}], kernel [{string.Join(",", k)}], pads [{string.Join(",", pads)}], {data}";
        var g = PoolGeometry.Onnx(shape, TensorLayout.ChannelsFirst, k, [], pads, [], AutoPad.NotSet, false);
        var y = new float[g.OutputLength];
        MaxPool.Forward(g, input, y);
        Harness.AssertMax(NaiveOracle.OnnxMaxPool(x, shape, k, pads: pads).Values, y, WindowReduce.TakesRegisterRows(g), where);
        if (data == nameof(DataKind.NaNs))
        {
            return;
        }

        foreach (bool includePad in new[] { true, false })
        {
            var ya = new float[g.OutputLength];
            AvgPool.Forward(g, input, ya, countIncludePad: includePad);
            Harness.AssertAverage(NaiveOracle.OnnxAveragePool(x, shape, k, pads: pads, countIncludePad: includePad).Values, ya, $"{where}, count_include_pad {includePad}");
        }
    }
}
