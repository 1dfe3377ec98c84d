using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Channels-first float max with indices on rows of at least 48 outputs, which the 512-bit plane kernel
/// takes (sixteen outputs per vector, four vectors at a time for three-tap rows, masked vectors at the padded ends,
/// the scalar window where a load would leave the input): W stride 1 and 2, every kernel width up to 5, every
/// padding, floor and ceil, 1-D, 2-D with dilation along H, and 3-D, on ties (with signed zeros), NaN and -∞
/// data, values bit for bit and indices against the oracle. The widths put the last vector at every offset from
/// the row's end. Under DOTNET_EnableAVX512=0 the same cases check the other paths.
/// </summary>
public class PlaneIndexTests
{
    public static TheoryData<int, int, int, bool, string> Cases()
    {
        var data = new TheoryData<int, int, int, bool, string>();
        string[] kinds = [nameof(DataKind.Ties), nameof(DataKind.NaNs), nameof(DataKind.NegativeInfinity)];
        foreach (int stride in new[] { 1, 2 })
        {
            foreach (int kernel in new[] { 1, 2, 3, 4, 5 })
            {
                for (int pad = 0; pad <= kernel / 2; pad++)
                {
                    foreach (bool ceil in new[] { false, true })
                    {
                        data.Add(stride, kernel, pad, ceil, kinds[(kernel + pad + (ceil ? 1 : 0)) % 3]);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PlaneIndices_MatchTheOracle(int stride, int kernel, int pad, bool ceil, string data)
    {
        var kind = Enum.Parse<DataKind>(data);
        var rng = new Random((stride * 7919) + (kernel * 131) + (pad * 17) + (ceil ? 1 : 0));
        int[] widths = stride == 1 ? [48, 49, 50, 51, 52, 55, 63, 64, 65, 66, 79, 80, 81, 97, 113, 127] : [95, 96, 97, 98, 99, 101, 111, 112, 113, 127, 128, 129, 131, 161, 193, 225];
        foreach (int width in widths)
        {
            Check([2, 3, width], [kernel], [stride], [pad], [1], ceil, kind, rng);
            Check([1, 2, 7, width], [3, kernel], [2, stride], [1, pad], [1, 1], ceil, kind, rng);
            Check([2, 1, 6, width], [2, kernel], [1, stride], [0, pad], [2, 1], ceil, kind, rng);
        }

        Check([1, 2, 4, 5, 100], [2, 2, kernel], [1, 2, stride], [1, 0, pad], [1, 1, 1], ceil, kind, rng);
    }

    /// <summary>The ResNet stem's geometry on a few planes, with -0 and +0 tied in most windows.</summary>
    [Fact]
    public void StemGeometry_KeepsTheFirstOfTiedZeros()
    {
        int[] shape = [1, 3, 112, 112];
        var rng = new Random(5);
        double[] x = new double[3 * 112 * 112];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.Next(4) switch { 0 => 0.0, 1 => -0.0, 2 => -1.0, _ => rng.Next(3) == 0 ? 1.0 : -0.0 };
        }

        Check(shape, x, [3, 3], [2, 2], [1, 1], [1, 1], false);
    }

    private static void Check(int[] shape, int[] k, int[] s, int[] p, int[] d, bool ceil, DataKind kind, Random rng)
    {
        long length = shape.Aggregate(1L, (a, b) => a * b);
        double[] x = Harness.RoundTrip<float>(TestData.Make(kind, length, rng));
        if (kind == DataKind.Ties)
        {
            // Signed zeros tie with each other: the first in scan order must win, sign and index.
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] == 0 && rng.Next(2) == 0)
                {
                    x[i] = -0.0;
                }
            }
        }

        Check(shape, x, k, s, p, d, ceil);
    }

    private static void Check(int[] shape, double[] x, int[] k, int[] s, int[] p, int[] d, bool ceil)
    {
        int rank = k.Length;
        var input = Harness.ToLibrary<float>(x, shape, TensorLayout.ChannelsFirst);
        string where = $"shape [{string.Join(",", shape)}], kernel [{string.Join(",", k)}], stride [{string.Join(",", s)}], padding [{string.Join(",", p)}], dilation [{string.Join(",", d)}], ceil {ceil}";
        var g = PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, rank, k, s, p, d, ceil, TorchPoolKind.Max);
        var expected = NaiveOracle.TorchMaxPool(x, shape, k, s, p, d, ceilMode: ceil);
        var y = new float[g.OutputLength];
        var idx = new long[g.OutputLength];
        MaxPool.Forward(g, input, y, idx);
        Harness.AssertMax(expected.Values, y, signOfZero: true, where);
        Assert.Null(Harness.Exact(expected.Indices, idx, $"indices, {where}"));
    }
}
