using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Output sizes: a hand-checked table (torch 1.13 agrees on every symmetric row) and an exhaustive comparison with the oracle's formula.</summary>
public sealed class GeometryTableTests
{
    public static TheoryData<int, int, int, int, int, int, bool, int> Table => new()
    {
        // in, k, s, pad begin, pad end, dilation, ceil -> out
        { 5, 2, 2, 0, 0, 1, false, 2 },
        { 5, 2, 2, 0, 0, 1, true, 3 },       // ceil adds the last, partial window
        { 5, 2, 2, 1, 1, 1, true, 3 },       // ceil would give 4; window 3 starts at 5 = in + pad_l: dropped
        { 3, 2, 2, 1, 1, 1, true, 2 },       // likewise (3 -> 2)
        { 1, 2, 2, 1, 1, 1, true, 1 },       // likewise (2 -> 1)
        { 4, 2, 2, 1, 1, 1, true, 3 },
        { 6, 3, 2, 1, 1, 1, true, 4 },
        { 6, 3, 2, 1, 1, 1, false, 3 },
        { 7, 3, 3, 1, 1, 1, true, 3 },
        { 10, 3, 1, 0, 0, 2, false, 6 },     // effective kernel 5
        { 8, 4, 3, 0, 0, 1, true, 3 },
        { 8, 4, 3, 0, 0, 1, false, 2 },
        { 32, 3, 2, 1, 1, 1, false, 16 },
        { 32, 3, 2, 1, 1, 1, true, 17 },
        { 1, 1, 1, 0, 0, 1, false, 1 },
        { 2, 3, 1, 0, 0, 1, false, 0 },      // kernel larger than the input: no output
        { 5, 4, 2, 1, 2, 1, false, 3 },      // ONNX asymmetric pads
        { 5, 4, 2, 2, 1, 1, false, 3 },
        { 6, 3, 4, 0, 2, 1, true, 2 },       // ceil(5 / 4) + 1 = 3, but window 2 starts at 8 >= 6 + 0: dropped
        { 7, 2, 3, 0, 1, 3, true, 3 },       // effective kernel 4: ceil(4 / 3) + 1 = 3; window 2 starts at 6 < 7: kept
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void OutputSize_Table(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceil, int expected)
    {
        Assert.Equal(expected, NaiveOracle.OutputSize(input, kernel, stride, padBegin, padEnd, dilation, ceil));
        Assert.Equal(expected, PoolGeometry.OutputSize(input, kernel, stride, padBegin, padEnd, dilation, ceil));
    }

    [Fact]
    public void OutputSize_MatchesOracleExhaustively()
    {
        var failures = new List<string>();
        for (int input = 0; input <= 40; input++)
        {
            for (int k = 1; k <= 5; k++)
            {
                for (int s = 1; s <= 4; s++)
                {
                    for (int pb = 0; pb <= 3; pb++)
                    {
                        for (int pe = 0; pe <= 3; pe++)
                        {
                            for (int d = 1; d <= 3; d++)
                            {
                                foreach (bool ceil in new[] { false, true })
                                {
                                    int expected = NaiveOracle.OutputSize(input, k, s, pb, pe, d, ceil);
                                    int actual = PoolGeometry.OutputSize(input, k, s, pb, pe, d, ceil);
                                    if (expected != actual)
                                    {
                                        failures.Add($"OutputSize({input}, {k}, {s}, {pb}, {pe}, {d}, {ceil}) = {actual}, expected {expected}");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void OnnxAutoPad_MatchesOracleExhaustively()
    {
        foreach (var autoPad in new[] { AutoPad.SameUpper, AutoPad.SameLower, AutoPad.Valid })
        {
            var oracle = autoPad switch
            {
                AutoPad.SameUpper => OracleAutoPad.SameUpper,
                AutoPad.SameLower => OracleAutoPad.SameLower,
                _ => OracleAutoPad.Valid,
            };
            for (int input = 1; input <= 20; input++)
            {
                for (int k = 1; k <= 5; k++)
                {
                    for (int s = 1; s <= 4; s++)
                    {
                        for (int d = 1; d <= 3; d++)
                        {
                            var (o, pb, pe) = NaiveOracle.OnnxAutoPadding(input, k, s, d, oracle);
                            if (o < 1)
                            {
                                Assert.Throws<ArgumentException>(() => PoolGeometry.Onnx([1, 1, input], TensorLayout.ChannelsFirst, [k], [s], [], [d], autoPad, false));
                                continue;
                            }

                            var g = PoolGeometry.Onnx([1, 1, input], TensorLayout.ChannelsFirst, [k], [s], [], [d], autoPad, false);
                            Assert.True((o, pb, pe) == (g.W.Out, g.W.PadBegin, g.W.PadEnd), $"{autoPad} in {input} k {k} s {s} d {d}: got {(g.W.Out, g.W.PadBegin, g.W.PadEnd)}, expected {(o, pb, pe)}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Shapes_FollowTheLayout()
    {
        var first = PoolGeometry.Torch([2, 3, 8, 9], TensorLayout.ChannelsFirst, 2, [2, 3], [], [], [], false, TorchPoolKind.Max);
        var last = PoolGeometry.Torch([2, 8, 9, 3], TensorLayout.ChannelsLast, 2, [2, 3], [], [], [], false, TorchPoolKind.Max);
        Assert.Equal([2, 3, 4, 3], first.OutputShape);
        Assert.Equal([2, 4, 3, 3], last.OutputShape);
        Assert.Equal([2, 8, 9, 3], last.InputShape);
        Assert.Equal(72L, first.OutputLength);
        Assert.Equal(first.OutputLength, last.OutputLength);
    }

    [Fact]
    public void UnpoolDefaultSize_IsPyTorchFormula()
    {
        // (in - 1) * stride + kernel - 2 * padding.
        Assert.Equal(10, MaxUnpool.DefaultSize(5, 2, 2, 0));
        Assert.Equal(9, MaxUnpool.DefaultSize(5, 3, 2, 1));
        Assert.Equal([10, 9], MaxUnpool.TorchOutputSize([5, 5], [2, 3], [2], [0, 1], []));
        Assert.Equal([11, 8], MaxUnpool.TorchOutputSize([5, 5], [2, 3], [2], [0, 1], [11, 8]));
        Assert.Equal([11, 8], MaxUnpool.TorchOutputSize([5, 5], [2, 3], [2], [0, 1], [1, 1, 11, 8]));

        // torch 1.13: max_unpool1d(ones(1, 1, 1), zeros, 2, 2, 1) has an empty output (0 + 2 - 2).
        Assert.Equal([0], MaxUnpool.TorchOutputSize([1], [2], [2], [1], []));
    }
}
