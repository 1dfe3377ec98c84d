using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-first 3 x 3, stride 1, padding 1 max and average pooling of float planes with rows of 17 to 48 elements
/// (Inception's pooling), which runs with every row in two or three 512-bit registers: every such width, short and tall planes,
/// ties, NaN (max: the plane is then computed again with the exact rule) and -inf, both padding rules and a divisor
/// override, against the oracle; and the sign of zero, which follows the first of equal values in row-major order as PyTorch's scan does.
/// </summary>
public class Same3PlaneTests
{
    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        for (int width = 16; width <= 49; width++)
        {
            data.Add(width, width % 3 == 0 ? nameof(DataKind.NaNs) : width % 3 == 1 ? nameof(DataKind.Ties) : nameof(DataKind.NegativeInfinity));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Planes_MatchTheOracle(int width, string data)
    {
        var kind = Enum.Parse<DataKind>(data);
        var rng = new Random(width);
        foreach (int height in new[] { 2, 3, 5, 28 })
        {
            int[] cf = [2, 3, height, width];
            double[] x = Harness.RoundTrip<float>(TestData.Make(kind, cf.Aggregate(1L, (a, b) => a * b), rng));
            var g = PoolGeometry.Torch(cf, TensorLayout.ChannelsFirst, 2, [3], [1], [1], [], false, TorchPoolKind.Max);
            var expected = NaiveOracle.TorchMaxPool(x, cf, [3, 3], [1, 1], [1, 1]);
            var y = new float[g.OutputLength];
            MaxPool.Forward(g, Harness.ToLibrary<float>(x, cf, TensorLayout.ChannelsFirst), y);
            Assert.True(expected.Values.SequenceEqual(y.Select(v => (double)v)), $"width {width}, height {height}");
            if (kind == DataKind.NaNs)
            {
                continue;
            }

            // Averages: both padding rules and a divisor override.
            var ga = PoolGeometry.Torch(cf, TensorLayout.ChannelsFirst, 2, [3], [1], [1], [], false, TorchPoolKind.Average);
            foreach (var (includePad, overrideBy) in new (bool, int?)[] { (true, null), (false, null), (false, 5) })
            {
                var avg = NaiveOracle.TorchAvgPool(x, cf, [3, 3], [1, 1], [1, 1], countIncludePad: includePad, divisorOverride: overrideBy);
                var ya = new float[ga.OutputLength];
                AvgPool.Forward(ga, Harness.ToLibrary<float>(x, cf, TensorLayout.ChannelsFirst), ya, countIncludePad: includePad, divisorOverride: overrideBy);
                for (int i = 0; i < ya.Length; i++)
                {
                    double e = avg.Values[i];
                    bool same = double.IsInfinity(e) ? ya[i] == e : Math.Abs(ya[i] - e) <= 1e-5 + (1e-5 * Math.Abs(e));
                    Assert.True(same, $"average (count_include_pad {includePad}, divisor {overrideBy}) {i}: {ya[i]} vs {e}, width {width}, height {height}");
                }
            }
        }
    }

    [Fact]
    public void SignedZerosAmongNegatives_MatchTheOracleBitForBit()
    {
        // Zeros of both signs among negative values: a window whose maximum is zero holds zeros of both signs in different
        // rows and columns, and the first in row-major order decides the sign, as in PyTorch's scan (this kernel's widths).
        var rng = new Random(17);
        for (int width = 17; width <= 48; width++)
        {
            foreach (int height in new[] { 2, 3, 7 })
            {
                int[] cf = [1, 2, height, width];
                double[] x = TestData.Make(DataKind.SignedZeros, 2 * height * width, rng);
                var g = PoolGeometry.Torch(cf, TensorLayout.ChannelsFirst, 2, [3], [1], [1], [], false, TorchPoolKind.Max);
                var expected = NaiveOracle.TorchMaxPool(x, cf, [3, 3], [1, 1], [1, 1]).Values;
                var y = new float[g.OutputLength];
                MaxPool.Forward(g, Harness.ToLibrary<float>(x, cf, TensorLayout.ChannelsFirst), y);
                // Bit for bit where the kernel runs (AVX-512); the paths that run without it match the values (docs/semantics.md).
                Harness.AssertMax(expected, y, System.Runtime.Intrinsics.X86.Avx512F.IsSupported, $"width {width}, height {height}");
            }
        }
    }

    [Fact]
    public void SignedZeros_TakeTheFirstOfEqualValues()
    {
        // A plane of zeros of both signs: every window's maximum is its first tap in row-major order, the top-left valid
        // one (PyTorch keeps the first of equal values).
        int h = 6, w = 20;
        var rng = new Random(3);
        var x = new float[h * w];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.Next(2) == 0 ? 0f : -0f;
        }

        var g = PoolGeometry.Torch([1, 1, h, w], TensorLayout.ChannelsFirst, 2, [3], [1], [1], [], false, TorchPoolKind.Max);
        var y = new float[g.OutputLength];
        MaxPool.Forward(g, x, y);
        for (int oh = 0; oh < h; oh++)
        {
            for (int ow = 0; ow < w; ow++)
            {
                float first = float.NaN;
                for (int dw = -1; dw <= 1 && float.IsNaN(first); dw++)
                {
                    int c = ow + dw;
                    if (c < 0 || c >= w)
                    {
                        continue;
                    }

                    for (int dh = -1; dh <= 1; dh++)
                    {
                        int r = oh + dh;
                        if (r >= 0 && r < h)
                        {
                            first = x[(r * w) + c];
                            break;
                        }
                    }
                }

                Assert.Equal(float.IsNegative(first), float.IsNegative(y[(oh * w) + ow]));
            }
        }
    }
}
