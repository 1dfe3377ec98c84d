using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-first rows at stride 2 wide enough for the 512-bit even/odd path of the row kernel (sixteen
/// outputs from each pair of loads, which needs rows of more than 32 + kernel elements): every kernel
/// width up to 7, every padding, floor and ceil, 1-D and 2-D, with ties, NaN and -∞, against the oracle.
/// The widths put the end of the fast blocks at every offset from the row's end. Under
/// DOTNET_EnableAVX512=0 the same cases check the 256-bit path.
/// </summary>
public class Stride2RowTests
{
    public static TheoryData<int, int, int, bool, string> Cases()
    {
        var data = new TheoryData<int, int, int, bool, string>();
        foreach (int kernel in new[] { 1, 2, 3, 4, 5, 7 })
        {
            for (int pad = 0; pad <= kernel / 2; pad++)
            {
                foreach (bool ceil in new[] { false, true })
                {
                    data.Add(kernel, pad, 2 + kernel, ceil, (kernel + pad) % 3 == 0 ? nameof(DataKind.NaNs) : (kernel + pad) % 3 == 1 ? nameof(DataKind.Ties) : nameof(DataKind.NegativeInfinity));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stride2Rows_MatchTheOracle(int kernel, int pad, int seed, bool ceil, string data)
    {
        var kind = Enum.Parse<DataKind>(data);
        var rng = new Random((kernel * 131) + (pad * 17) + seed + (ceil ? 1 : 0));
        foreach (int width in new[] { 34, 35, 36, 37, 38, 39, 40, 41, 47, 48, 49, 64, 65, 66, 67, 97, 130, 131 })
        {
            // 1-D rows (one input row per output row: the kernel reads the input directly) and 2-D (3 x 1 and 2 x 1 windows over H first).
            Check([2, 3, width], [kernel], [2], [pad], ceil, kind, rng);
            Check([1, 2, 5, width], [3, kernel], [2, 2], [1, pad], ceil, kind, rng);
            Check([1, 2, 4, width], [2, kernel], [1, 2], [0, pad], ceil, kind, rng);
        }
    }

    private static void Check(int[] shape, int[] k, int[] s, int[] p, bool ceil, DataKind kind, Random rng)
    {
        int rank = k.Length;
        long length = shape.Aggregate(1L, (a, b) => a * b);
        double[] x = Harness.RoundTrip<float>(TestData.Make(kind, length, rng));
        var input = Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsFirst);
        string where = $"shape [{string.Join(",", shape)}], kernel [{string.Join(",", k)}], padding [{string.Join(",", p)}], ceil {ceil}";

        var g = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, rank, k, s, p, [], ceil, TorchPoolKind.Max);
        var expected = NaiveOracle.TorchMaxPool(x, shape, k, s, p, ceilMode: ceil);
        var y = new float[g.OutputLength];
        MaxPool.Forward(g, input, y);
        Assert.True(expected.Values.SequenceEqual(y.Select(v => (double)v)), $"max, {where}");

        if (kind == DataKind.NaNs)
        {
            return; // averages of NaN data are NaN wherever a window holds one; the tie and -∞ data check the sums
        }

        foreach (bool includePad in new[] { true, false })
        {
            var ga = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, rank, k, s, p, [], ceil, TorchPoolKind.Average);
            var avg = NaiveOracle.TorchAvgPool(x, shape, k, s, p, ceilMode: ceil, countIncludePad: includePad);
            var ya = new float[ga.OutputLength];
            AvgPool.Forward(ga, input, ya, countIncludePad: includePad);
            for (int i = 0; i < ya.Length; i++)
            {
                double e = avg.Values[i];
                bool same = double.IsNaN(e) ? float.IsNaN(ya[i]) : double.IsInfinity(e) ? ya[i] == e : Math.Abs(ya[i] - e) <= 1e-5 + (1e-5 * Math.Abs(e));
                Assert.True(same, $"average (count_include_pad {includePad}) {i}: {ya[i]} vs {e}, {where}");
            }
        }
    }
}
