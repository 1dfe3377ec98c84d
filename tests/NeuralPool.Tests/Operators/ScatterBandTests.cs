using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Max-pool backward from given indices, in both layouts: indices from the forward stay in their windows'
/// rows and take the banded scatter (rows cleared just before the first output row that can write them); valid
/// indices anywhere else in the plane take the unbanded one; invalid ones are named and leave the gradient
/// untouched. Every case against the oracle's scatter.
/// </summary>
public class ScatterBandTests
{
    private const double Sentinel = 12345.5;

    public static TheoryData<int, int, int, int, TensorLayout> Windows()
    {
        var data = new TheoryData<int, int, int, int, TensorLayout>();
        foreach (var layout in new[] { TensorLayout.ChannelsLast, TensorLayout.ChannelsFirst })
        {
            // kernel, stride, padding, dilation
            data.Add(3, 2, 1, 1, layout);
            data.Add(2, 2, 0, 1, layout);
            data.Add(3, 1, 1, 1, layout);
            data.Add(3, 3, 0, 2, layout);
            data.Add(1, 2, 0, 1, layout);
        }

        return data;
    }

    public static TheoryData<TensorLayout> Layouts() => new() { TensorLayout.ChannelsLast, TensorLayout.ChannelsFirst };

    [Theory]
    [MemberData(nameof(Windows))]
    public void ForwardIndices_MatchTheOracle(int kernel, int stride, int padding, int dilation, TensorLayout layout)
    {
        int[] cf = [2, 70, 11, 9];
        var rng = new Random(kernel + (10 * stride) + (100 * padding));
        double[] x = TestData.Make(DataKind.Ties, cf.Aggregate(1L, (a, b) => a * b), rng);
        var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [kernel], [stride], [padding], [dilation], false, TorchPoolKind.Max);
        var y = new double[g.OutputLength];
        var ix = new long[g.OutputLength];
        MaxPool.Forward<double>(g, Harness.ToLibrary<double>(x, cf, layout), y, ix);
        AssertScatter(g, cf, ix, rng);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void IndicesOutsideTheirRows_MatchTheOracle(TensorLayout layout)
    {
        // Valid plane positions, most of them far from their windows: output row 0 writes the last input row, and so on.
        int[] cf = [2, 70, 11, 9];
        var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [3], [2], [1], [], false, TorchPoolKind.Max);
        var rng = new Random(5);
        var ix = new long[g.OutputLength];
        for (int i = 0; i < ix.Length; i++)
        {
            ix[i] = i % 7 == 0 ? -1 : rng.Next((int)g.InputPlane);
        }

        AssertScatter(g, cf, ix, rng);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void InvalidIndex_IsNamed_GradientUntouched(TensorLayout layout)
    {
        int[] cf = [2, 70, 11, 9];
        var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [3], [2], [1], [], false, TorchPoolKind.Max);
        var ix = new long[g.OutputLength];
        ix[777] = g.InputPlane;
        var dx = Enumerable.Repeat(Sentinel, (int)g.InputLength).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => MaxPool.Backward<double>(g, new double[g.OutputLength], ix, dx));
        Assert.Equal("indices", ex.ParamName);
        Assert.Contains($"index {g.InputPlane} at position 777", ex.Message, StringComparison.Ordinal);
        Assert.All(dx, v => Assert.Equal(Sentinel, v));
    }

    private static void AssertScatter(PoolGeometry g, int[] cf, long[] ix, Random rng)
    {
        int[] outCf = [cf[0], cf[1], g.H.Out, g.W.Out];
        double[] gy = TestData.Make(DataKind.Normal, g.OutputLength, rng);
        var dx = Enumerable.Repeat(Sentinel, (int)g.InputLength).ToArray();
        MaxPool.Backward<double>(g, gy, ix, dx);
        var expected = NaiveOracle.MaxPoolBackward(Harness.FromLibrary(gy, outCf, g.Layout),
            Harness.FromLibrary(ix, outCf, g.Layout), cf, outCf);
        Assert.Equal(expected, Harness.FromLibrary(dx, cf, g.Layout));
    }
}
