using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Tests.Operators;

/// <summary>Every semantic rule by name, each with a hand-worked expected value (checked against torch 1.13 where PyTorch defines it).</summary>
public sealed class RuleTests
{
    private const double NaN = double.NaN;
    private const double NegInf = double.NegativeInfinity;

    public static TheoryData<TensorLayout> Layouts => new() { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast };

    [Fact]
    public void CeilMode_AddsLastWindow()
    {
        double[] x = [1, 2, 3, 4, 5];
        var floor = Torch1d(5, k: 2, s: 2);
        var ceil = Torch1d(5, k: 2, s: 2, ceil: true);
        Assert.Equal(2, floor.W.Out);
        Assert.Equal(3, ceil.W.Out);
        var (values, indices) = Max(ceil, x);
        Assert.Equal([2, 4, 5], values);
        Assert.Equal([1, 3, 4], indices);
    }

    [Fact]
    public void CeilMode_DropsLastWindowStartingInRightPadding()
    {
        // in 5, k 2, s 2, pad 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 would start at 3*2 - 1 = 5 = in: dropped.
        Assert.Equal(3, PoolGeometry.OutputSize(5, 2, 2, 1, 1, 1, ceilMode: true));
        var g = Torch1d(5, k: 2, s: 2, p: 1, ceil: true);
        Assert.Equal(3, g.W.Out);
        var (values, indices) = Max(g, [1, 2, 3, 4, 5]);
        Assert.Equal([1, 3, 5], values);
        Assert.Equal([0, 2, 4], indices);

        var onnx = PoolGeometry.Onnx([1, 1, 5], TensorLayout.ChannelsFirst, [2], [2], [1, 1], [], AutoPad.NotSet, ceilMode: true);
        Assert.Equal(3, onnx.W.Out);

        // in 3, k 2, s 2, pad 1: ceil(3 / 2) + 1 = 3, but window 2 would start at 2*2 - 1 = 3 = in: dropped.
        Assert.Equal(2, PoolGeometry.OutputSize(3, 2, 2, 1, 1, 1, ceilMode: true));
    }

    [Fact]
    public void Divisor_CountIncludePad_CountsDeclaredPadding()
    {
        double[] x = [1, 2, 3, 4];
        var g = Torch1d(4, k: 3, s: 1, p: 1, kind: TorchPoolKind.Average);
        AssertClose([1, 2, 3, 7.0 / 3], Avg(g, x, countIncludePad: true));
        AssertClose([1.5, 2, 3, 3.5], Avg(g, x, countIncludePad: false));
    }

    [Fact]
    public void Divisor_CeilOverhangNeverCounted()
    {
        // Window 2 of [1..5] with k 2, s 2, ceil: taps 4 (x = 5) and 5 (beyond in + pad): divisor 1, even with count_include_pad.
        AssertClose([1.5, 3.5, 5], Avg(Torch1d(5, k: 2, s: 2, ceil: true, kind: TorchPoolKind.Average), [1, 2, 3, 4, 5], countIncludePad: true));

        // [1..6], k 3, s 2, pad 1, ceil: window 3 has x[5] = 6, one declared pad (counted) and one overhang tap (not counted): 6 / 2.
        var g = Torch1d(6, k: 3, s: 2, p: 1, ceil: true, kind: TorchPoolKind.Average);
        AssertClose([1, 3, 5, 3], Avg(g, [1, 2, 3, 4, 5, 6], countIncludePad: true));
        AssertClose([1.5, 3, 5, 6], Avg(g, [1, 2, 3, 4, 5, 6], countIncludePad: false));

        // PyTorch: avg_pool2d(arange(1, 13).view(1, 1, 3, 4), 2, 2, padding 1, ceil_mode True, count_include_pad True).
        var g2 = PoolGeometry.Torch([1, 1, 3, 4], TensorLayout.ChannelsFirst, 2, [2], [2], [1], [], ceilMode: true, TorchPoolKind.Average);
        AssertClose([0.25, 1.25, 1.0, 3.5, 8.5, 5.0], Avg(g2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], countIncludePad: true));
    }

    [Fact]
    public void DivisorOverride_DividesEveryWindow()
    {
        // avg_pool2d(arange(1, 5).view(1, 1, 1, 4), (1, 2), 1, (0, 1), divisor_override=3).
        var g = PoolGeometry.Torch([1, 1, 1, 4], TensorLayout.ChannelsFirst, 2, [1, 2], [1], [0, 1], [], ceilMode: false, TorchPoolKind.Average);
        double[] expected = [1.0 / 3, 1, 5.0 / 3, 7.0 / 3, 4.0 / 3];
        AssertClose(expected, Avg(g, [1, 2, 3, 4], countIncludePad: true, divisorOverride: 3));
        AssertClose(expected, Avg(g, [1, 2, 3, 4], countIncludePad: false, divisorOverride: 3));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Ties_FirstMaximumWins(TensorLayout layout)
    {
        var g = PoolGeometry.Torch(Harness.Shape([1, 1, 2, 3], layout), layout, 2, [2], [1], [], [], false, TorchPoolKind.Max);
        var (values, indices) = Max(g, [1, 5, 5, 5, 2, 5]);
        Assert.Equal([5, 5], values);
        Assert.Equal([1, 1], indices);

        // A ReLU'd row wide enough for the vector paths (33 columns, 9 channels): every window is all zeros.
        foreach (var type in new[] { typeof(float), typeof(double) })
        {
            var wide = PoolGeometry.Torch(layout == TensorLayout.ChannelsFirst ? [1, 9, 33] : [1, 33, 9], layout, 1, [3], [1], [], [], false, TorchPoolKind.Max);
            var idx = type == typeof(float) ? MaxIndices<float>(wide, new float[9 * 33]) : MaxIndices<double>(wide, new double[9 * 33]);
            for (int i = 0; i < idx.Length; i++)
            {
                int ow = layout == TensorLayout.ChannelsFirst ? i % 31 : i / 9;
                Assert.Equal(ow, idx[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void NaN_Propagates_LastNaNIndex(TensorLayout layout)
    {
        var (values, indices) = Max(Torch1d(5, k: 5, s: 1, layout: layout), [1, NaN, 3, NaN, 2]);
        Assert.True(double.IsNaN(values[0]));
        Assert.Equal(3, indices[0]);

        (values, indices) = Max(Torch1d(2, k: 2, s: 1, layout: layout), [NaN, 5]);
        Assert.True(double.IsNaN(values[0]));
        Assert.Equal(0, indices[0]);

        // 33 columns (vector paths): NaN at 10 and 12, k 4, s 1.
        var x = Enumerable.Repeat(1.0, 33).ToArray();
        x[10] = NaN;
        x[12] = NaN;
        var g = Torch1d(33, k: 4, s: 1, layout: layout);
        (values, indices) = Max(g, x);
        var avg = Avg(PoolGeometry.Torch(Harness.Shape([1, 1, 33], layout), layout, 1, [4], [1], [], [], false, TorchPoolKind.Average), x, true);
        for (int o = 0; o < values.Length; o++)
        {
            bool has10 = o <= 10 && 10 <= o + 3, has12 = o <= 12 && 12 <= o + 3;
            Assert.Equal(has10 || has12, double.IsNaN(values[o]));
            Assert.Equal(has10 || has12, double.IsNaN(avg[o]));
            Assert.Equal(has12 ? 12 : has10 ? 10 : o, indices[o]);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Indices_PlaneLocal(TensorLayout layout)
    {
        // N 2, C 3, 4 x 5 planes; plane q has its maximum at position 3q + 1, and one window covers the plane.
        int[] cf = [2, 3, 4, 5];
        var x = new double[120];
        for (int q = 0; q < 6; q++)
        {
            x[(q * 20) + (3 * q) + 1] = 100 + q;
        }

        var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [4, 5], [], [], [], false, TorchPoolKind.Max);
        var values = new double[6];
        var indices = new long[6];
        MaxPool.Forward<double>(g, Harness.ToLibrary<double>(x, cf, layout), values, indices);
        int[] outCf = [2, 3, 1, 1];
        Assert.Equal([100, 101, 102, 103, 104, 105], Harness.FromLibrary(values, outCf, layout));
        Assert.Equal([1, 4, 7, 10, 13, 16], Harness.FromLibrary(indices, outCf, layout));
    }

    [Fact]
    public void OnnxIndices_FlatOverTensor_RowMajor()
    {
        // x = arange(24) as (2, 2, 2, 3), k 2x2, stride 1: the maximum is the bottom-right tap (1, ow + 1), local 4 + ow.
        var g = PoolGeometry.Onnx([2, 2, 2, 3], TensorLayout.ChannelsFirst, [2, 2], [], [], [], AutoPad.NotSet, false);
        Assert.Equal([4, 5, 10, 11, 16, 17, 22, 23], OnnxIndices(g, 24, IndexEncoding.OnnxRowMajor));

        var g3 = PoolGeometry.Onnx([1, 1, 2, 2, 3], TensorLayout.ChannelsFirst, [2, 2, 2], [], [], [], AutoPad.NotSet, false);
        Assert.Equal([10, 11], OnnxIndices(g3, 12, IndexEncoding.OnnxRowMajor));
    }

    [Fact]
    public void OnnxIndices_FlatOverTensor_StorageOrder1()
    {
        // Column-major: plane * 6 + h + w * H with (h, w) = (1, ow + 1): 3 + 2 ow.
        var g = PoolGeometry.Onnx([2, 2, 2, 3], TensorLayout.ChannelsFirst, [2, 2], [], [], [], AutoPad.NotSet, false);
        Assert.Equal([3, 5, 9, 11, 15, 17, 21, 23], OnnxIndices(g, 24, IndexEncoding.OnnxColumnMajor));

        // 3-D: h + w * H + d * H * W with (d, h, w) = (1, 1, ow + 1): 1 + 2 (ow + 1) + 6.
        var g3 = PoolGeometry.Onnx([1, 1, 2, 2, 3], TensorLayout.ChannelsFirst, [2, 2, 2], [], [], [], AutoPad.NotSet, false);
        Assert.Equal([9, 11], OnnxIndices(g3, 12, IndexEncoding.OnnxColumnMajor));
    }

    [Fact]
    public void AdaptiveBins_FloorCeil()
    {
        // in 5, out 3: bins [0, 2), [1, 4), [3, 5).
        var g = PoolGeometry.Adaptive([1, 1, 5], TensorLayout.ChannelsFirst, 1, [3]);
        Assert.Equal([0, 1, 3], Enumerable.Range(0, 3).Select(g.W.Start));
        Assert.Equal([2, 3, 2], Enumerable.Range(0, 3).Select(g.W.TapCount));
        double[] x = [1, 5, 2, 4, 3];
        var (values, indices) = Max(g, x);
        Assert.Equal([5, 5, 4], values);
        Assert.Equal([1, 1, 3], indices);
        AssertClose([3, 11.0 / 3, 3.5], Avg(g, x, countIncludePad: true));

        // Out > In repeats elements: in 2, out 5 -> bins [0,1), [0,1), [0,2), [1,2), [1,2).
        var up = PoolGeometry.Adaptive([1, 1, 2], TensorLayout.ChannelsFirst, 1, [5]);
        Assert.Equal([0, 0, 0, 1, 1], Enumerable.Range(0, 5).Select(up.W.Start));
        Assert.Equal([1, 1, 2, 1, 1], Enumerable.Range(0, 5).Select(up.W.TapCount));
        Assert.Equal([4, 4, 7, 7, 7], Max(up, [4, 7]).Values);

        // A negative entry keeps that input extent (PyTorch's None).
        var keep = PoolGeometry.Adaptive([1, 1, 4, 5], TensorLayout.ChannelsFirst, 2, [-1, 2]);
        Assert.Equal([1, 1, 4, 2], keep.OutputShape);
    }

    [Fact]
    public void PaddingLimit_HalfKernel()
    {
        static ArgumentException Bad(int[] shape, int rank, int[] k, int[] p, int[] d) =>
            Assert.Throws<ArgumentException>(() => PoolGeometry.Torch(shape, TensorLayout.ChannelsFirst, rank, k, [1], p, d, false, TorchPoolKind.Max));

        var ex = Bad([1, 1, 9], 1, [3], [2], []);
        Assert.Equal("padding", ex.ParamName);
        Assert.Contains("half the kernel", ex.Message, StringComparison.Ordinal);

        // torch 1.13 checks pad <= kernel_size / 2 on the plain kernel, whatever the dilation.
        Assert.Equal("padding", Bad([1, 1, 9], 1, [3], [2], [2]).ParamName);
        Assert.Equal("padding", Bad([1, 1, 9], 1, [4], [3], []).ParamName);
        Assert.Equal("padding", Bad([1, 1, 9, 9, 9], 3, [3], [1, 1, 2], []).ParamName);
        Assert.Equal("padding", Bad([1, 1, 9, 9], 2, [2, 3], [1, 2], []).ParamName);

        _ = PoolGeometry.Torch([1, 1, 9], TensorLayout.ChannelsFirst, 1, [4], [1], [2], [], false, TorchPoolKind.Max);
        _ = PoolGeometry.Torch([1, 1, 9], TensorLayout.ChannelsFirst, 1, [3], [1], [1], [2], false, TorchPoolKind.Max);
    }

    [Fact]
    public void OnnxSameUpper_PutsExtraPaddingAtTheEnd()
    {
        // in 5, k 4, s 2: out ceil(5 / 2) = 3, total pad (3 - 1) * 2 + 4 - 5 = 3: begin 1, end 2.
        var g = PoolGeometry.Onnx([1, 1, 5], TensorLayout.ChannelsFirst, [4], [2], [], [], AutoPad.SameUpper, false);
        Assert.Equal((3, 1, 2), (g.W.Out, g.W.PadBegin, g.W.PadEnd));
        Assert.Equal([3, 5, 5], Max(g, [1, 2, 3, 4, 5]).Values);
        AssertClose([2, 3.5, 4.5], Avg(g, [1, 2, 3, 4, 5], countIncludePad: false));

        var odd = PoolGeometry.Onnx([1, 1, 6], TensorLayout.ChannelsFirst, [3], [2], [], [], AutoPad.SameUpper, false);
        Assert.Equal((3, 0, 1), (odd.W.Out, odd.W.PadBegin, odd.W.PadEnd));
    }

    [Fact]
    public void OnnxSameLower_PutsExtraPaddingAtTheBeginning()
    {
        var g = PoolGeometry.Onnx([1, 1, 5], TensorLayout.ChannelsFirst, [4], [2], [], [], AutoPad.SameLower, false);
        Assert.Equal((3, 2, 1), (g.W.Out, g.W.PadBegin, g.W.PadEnd));
        Assert.Equal([2, 4, 5], Max(g, [1, 2, 3, 4, 5]).Values);
        AssertClose([1.5, 2.5, 4], Avg(g, [1, 2, 3, 4, 5], countIncludePad: false));

        var odd = PoolGeometry.Onnx([1, 1, 6], TensorLayout.ChannelsFirst, [3], [2], [], [], AutoPad.SameLower, false);
        Assert.Equal((3, 1, 0), (odd.W.Out, odd.W.PadBegin, odd.W.PadEnd));
    }

    [Fact]
    public void LpPool_Torch_NoAbs()
    {
        // torch 1.13: lp_pool1d([-1, 2, -2, -1], p, 2): p 1 -> [1, -3]; p 3 -> [7^(1/3), nan]; p 1.5 -> [nan, nan].
        var g = Torch1d(4, k: 2, s: 2, kind: TorchPoolKind.Power);
        double[] x = [-1, 2, -2, -1];
        AssertClose([1, -3], Lp(g, x, 1, LpFlavor.Torch));
        AssertClose([Math.Cbrt(7), NaN], Lp(g, x, 3, LpFlavor.Torch));
        AssertClose([NaN, NaN], Lp(g, x, 1.5, LpFlavor.Torch));
        AssertClose([Math.Sqrt(5), Math.Sqrt(5)], Lp(g, x, 2, LpFlavor.Torch));
    }

    [Fact]
    public void LpPool_Onnx_Abs()
    {
        var g = PoolGeometry.Onnx([1, 1, 4], TensorLayout.ChannelsFirst, [2], [2], [], [], AutoPad.NotSet, false);
        double[] x = [-1, 2, -2, -1];
        AssertClose([3, 3], Lp(g, x, 1, LpFlavor.Onnx));
        AssertClose([Math.Sqrt(5), Math.Sqrt(5)], Lp(g, x, 2, LpFlavor.Onnx));
        AssertClose([Math.Cbrt(9), Math.Cbrt(9)], Lp(g, x, 3, LpFlavor.Onnx));

        // Padding contributes 0: pads [1, 1], k 2, s 2 over [-3, 4]: |-3| alone, then |4| alone.
        var padded = PoolGeometry.Onnx([1, 1, 2], TensorLayout.ChannelsFirst, [2], [2], [1, 1], [], AutoPad.NotSet, false);
        AssertClose([3, 4], Lp(padded, [-3, 4], 2, LpFlavor.Onnx));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Unpool_DuplicateIndices_LastWins(TensorLayout layout)
    {
        int[] cf = [1, 2, 3];
        double[] x = [1, 2, 3, 10, 20, 30];
        long[] idx = [0, 2, 0, 1, 1, 3];
        var output = new double[8];
        MaxUnpool.Forward<double>(layout, Harness.Shape(cf, layout), Harness.ToLibrary<double>(x, cf, layout), Harness.ToLibrary(idx, cf, layout), [4], output);
        Assert.Equal([3, 0, 2, 0, 0, 20, 0, 30], Harness.FromLibrary(output, [1, 2, 4], layout));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void AllNegativeInfinityWindow_GivesMinusInfinityAndFirstIndex(TensorLayout layout)
    {
        var (values, indices) = Max(Torch1d(4, k: 3, s: 1, layout: layout), [NegInf, NegInf, NegInf, 1]);
        Assert.Equal([NegInf, 1], values);
        Assert.Equal([0, 3], indices);

        // torch 1.13: max_pool1d([-inf, -inf], 2, 1, 1, return_indices=True) -> [-inf] * 3, indices [0, 0, 1].
        (values, indices) = Max(Torch1d(2, k: 2, s: 1, p: 1, layout: layout), [NegInf, NegInf]);
        Assert.Equal([NegInf, NegInf, NegInf], values);
        Assert.Equal([0, 0, 1], indices);

        // Vector paths: 33 columns, 9 channels, all -inf, k 3, s 1.
        var wide = PoolGeometry.Torch(layout == TensorLayout.ChannelsFirst ? [1, 9, 33] : [1, 33, 9], layout, 1, [3], [1], [], [], false, TorchPoolKind.Max);
        var y = new float[9 * 31];
        var ix = new long[9 * 31];
        MaxPool.Forward<float>(wide, Enumerable.Repeat(float.NegativeInfinity, 9 * 33).ToArray(), y, ix);
        Assert.All(y, v => Assert.Equal(float.NegativeInfinity, v));
        for (int i = 0; i < ix.Length; i++)
        {
            Assert.Equal(layout == TensorLayout.ChannelsFirst ? i % 31 : i / 9, ix[i]);
        }
    }

    [Fact]
    public void EmptyDilatedWindow_GivesMinusInfinityAndIndexMinusOne()
    {
        // in 1, k 2, pad 1, dilation 2: taps -1 and 1, both outside. The library documents -inf and index -1
        // (torch 1.13 reports -inf with index 1, a position outside the plane).
        var g = PoolGeometry.Torch([1, 1, 1], TensorLayout.ChannelsFirst, 1, [2], [1], [1], [2], false, TorchPoolKind.Max);
        var (values, indices) = Max(g, [5]);
        Assert.Equal([NegInf], values);
        Assert.Equal([-1], indices);
        var dx = new double[] { 7 };
        MaxPool.Backward<double>(g, [1.0], indices, dx);
        Assert.Equal([0.0], dx);
    }

    [Fact]
    public void OnnxBackward_AcceptsEmptyWindowIndex()
    {
        // ONNX in 1, k 2, dilation 2, pads [1, 2]: window 0 reads taps -1 and 1 (both outside), window 1 reads 0 and 2.
        // Forward reports index -1 for window 0 in every encoding; Backward must accept what Forward produced.
        var g = PoolGeometry.Onnx([1, 1, 1], TensorLayout.ChannelsFirst, [2], [1], [1, 2], [2], AutoPad.NotSet, false);
        Assert.Equal(2, g.W.Out);
        foreach (var encoding in new[] { IndexEncoding.OnnxRowMajor, IndexEncoding.OnnxColumnMajor })
        {
            var values = new double[2];
            var indices = new long[2];
            MaxPool.Forward<double>(g, [5.0], values, indices, encoding);
            Assert.Equal([NegInf, 5], values);
            Assert.Equal([-1, 0], indices);
            var dx = new double[] { 99 };
            MaxPool.Backward<double>(g, [1.0, 2.0], indices, dx, encoding);
            Assert.Equal([2.0], dx);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void EmptyBatch_GivesEmptyOutputs(TensorLayout layout)
    {
        // torch 1.13 accepts a batch of 0 (max_pool2d(zeros(0, 2, 6, 6), 2).shape == (0, 2, 3, 3)).
        var g = PoolGeometry.Torch(Harness.Shape([0, 2, 6, 6], layout), layout, 2, [2], [], [], [], false, TorchPoolKind.Max);
        Assert.Equal(Harness.Shape([0, 2, 3, 3], layout), g.OutputShape);
        Assert.Equal(0, g.OutputLength);
        MaxPool.Forward<float>(g, [], []);
        MaxPool.Forward<float>(g, [], [], []);
        MaxPool.Backward<float>(g, [], [], []);
        MaxPool.Backward<float>(g, ReadOnlySpan<float>.Empty, [], []);
        AvgPool.Forward<float>(g, [], []);
        AvgPool.Backward<float>(g, [], []);
        LpPool.Forward<float>(g, [], 2, []);
        LpPool.Backward<float>(g, [], 2, [], []);
        MaxUnpool.Forward<float>(layout, Harness.Shape([0, 2, 3, 3], layout), [], [], [6, 6], []);
    }

    // ------------------------------------------------------------------ helpers

    private static PoolGeometry Torch1d(int length, int k, int s, int p = 0, int d = 1, bool ceil = false,
        TorchPoolKind kind = TorchPoolKind.Max, TensorLayout layout = TensorLayout.ChannelsFirst) =>
        PoolGeometry.Torch(Harness.Shape([1, 1, length], layout), layout, 1, [k], [s], [p], [d], ceil, kind);

    private static (double[] Values, long[] Indices) Max(PoolGeometry g, double[] x)
    {
        var values = new double[g.OutputLength];
        var indices = new long[g.OutputLength];
        MaxPool.Forward<double>(g, x, values, indices);
        var plain = new double[g.OutputLength];
        MaxPool.Forward<double>(g, x, plain);
        Assert.Equal(values, plain);
        var single = new float[g.OutputLength];
        var singleIndices = new long[g.OutputLength];
        MaxPool.Forward<float>(g, x.Select(v => (float)v).ToArray(), single, singleIndices);
        Assert.Equal(values, single.Select(v => (double)v));
        Assert.Equal(indices, singleIndices);
        return (values, indices);
    }

    private static long[] MaxIndices<T>(PoolGeometry g, T[] x)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>, System.Numerics.IMinMaxValue<T>
    {
        var values = new T[g.OutputLength];
        var indices = new long[g.OutputLength];
        MaxPool.Forward<T>(g, x, values, indices);
        return indices;
    }

    private static long[] OnnxIndices(PoolGeometry g, int length, IndexEncoding encoding)
    {
        var values = new double[g.OutputLength];
        var indices = new long[g.OutputLength];
        MaxPool.Forward<double>(g, Enumerable.Range(0, length).Select(v => (double)v).ToArray(), values, indices, encoding);
        return indices;
    }

    private static double[] Avg(PoolGeometry g, double[] x, bool countIncludePad, int? divisorOverride = null)
    {
        var y = new double[g.OutputLength];
        AvgPool.Forward<double>(g, x, y, countIncludePad, divisorOverride);
        var single = new float[g.OutputLength];
        AvgPool.Forward<float>(g, x.Select(v => (float)v).ToArray(), single, countIncludePad, divisorOverride);
        AssertClose(y, single.Select(v => (double)v).ToArray(), 1e-6);
        return y;
    }

    private static double[] Lp(PoolGeometry g, double[] x, double p, LpFlavor flavor)
    {
        var y = new double[g.OutputLength];
        LpPool.Forward<double>(g, x, p, y, flavor);
        return y;
    }

    private static void AssertClose(double[] expected, double[] actual, double rtol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]))
            {
                Assert.True(double.IsNaN(actual[i]), $"[{i}] = {actual[i]}, expected NaN");
            }
            else
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= rtol * Math.Max(1, Math.Abs(expected[i])), $"[{i}] = {actual[i]:R}, expected {expected[i]:R}");
            }
        }
    }
}
