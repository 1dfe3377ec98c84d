using System.Numerics;
using NeuralPool.Tests.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Api;

/// <summary>
/// <see cref="Functional"/>: every method against the naive oracle in both layouts (float and double), the
/// <see cref="Size"/> conversions and PyTorch's defaults, and bad input.
/// </summary>
public sealed class FunctionalTests
{
    public static TheoryData<int, TensorLayout> RanksAndLayouts => ApiData.RanksAndLayouts();

    public static TheoryData<TensorLayout> Layouts => new() { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast };

    /// <summary>(kernel, stride or null for the default, padding, dilation, ceil) per rank: scalars and one value per axis.</summary>
    private static IEnumerable<(int[] K, int[]? S, int[] P, int[] D, bool Ceil)> SlidingCases(int rank)
    {
        yield return ([2], null, [0], [1], false);
        yield return ([3], [2], [1], [1], true);
        yield return (ApiData.PerAxis(rank, i => 2 + (i % 2)), ApiData.PerAxis(rank, i => 1 + (i % 2)), ApiData.PerAxis(rank, i => i % 2), ApiData.PerAxis(rank, i => 2 - (i % 2)), true);
    }

    private static string Describe(int[] k, int[]? s, int[]? p, int[]? d, bool ceil) =>
        $"k {Harness.Format(k)} s {Harness.Format(s)} p {Harness.Format(p)} d {Harness.Format(d)} ceil {ceil}";

    // ------------------------------------------------------------------ max

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void MaxPool_MatchesOracle(int rank, TensorLayout layout)
    {
        MaxPool<float>(rank, layout);
        MaxPool<double>(rank, layout);
    }

    private static void MaxPool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        foreach (var kind in new[] { DataKind.Normal, DataKind.Ties, DataKind.NaNs })
        {
            var x = ApiData.Data<T>(cf, kind, rank);
            var input = ApiData.Tensor<T>(x, cf, layout);
            foreach (var (k, s, p, d, ceil) in SlidingCases(rank))
            {
                string what = $"max_pool{rank}d {typeof(T).Name} {layout} {kind} {Describe(k, s, p, d, ceil)}";
                var expected = NaiveOracle.TorchMaxPool(x, cf, k, s, p, d, ceil);
                Size stride = s is null ? default(Size) : new Size(s);
                var y = rank switch
                {
                    1 => Functional.MaxPool1d(input, k, stride, p, d, ceil),
                    2 => Functional.MaxPool2d(input, k, stride, p, d, ceil),
                    _ => Functional.MaxPool3d(input, k, stride, p, d, ceil),
                };
                ApiData.Exact(expected.Values, ApiData.Values(y, expected.Shape, layout), what);

                var (v, idx) = rank switch
                {
                    1 => Functional.MaxPool1dWithIndices(input, k, stride, p, d, ceil),
                    2 => Functional.MaxPool2dWithIndices(input, k, stride, p, d, ceil),
                    _ => Functional.MaxPool3dWithIndices(input, k, stride, p, d, ceil),
                };
                ApiData.Exact(expected.Values, ApiData.Values(v, expected.Shape, layout), what + " (with indices)");
                ApiData.Exact(expected.Indices, ApiData.IndexValues(idx, expected.Shape, layout), what + " indices");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void MaxPool_ByteAndSbyte_MatchOracle(TensorLayout layout)
    {
        int[] cf = [2, 3, 7, 9];
        var x = TestData.Make(DataKind.Normal, TestData.Volume(cf), new Random(4)).Select(v => Math.Clamp(Math.Round(v * 30), -128, 127)).ToArray();
        var expected = NaiveOracle.TorchMaxPool(x, cf, [3], [2], [1]);
        var signed = Functional.MaxPool2dWithIndices(ApiData.Tensor<sbyte>(x, cf, layout), 3, 2, 1);
        ApiData.Exact(expected.Values, ApiData.Values(signed.Output, expected.Shape, layout), "sbyte");
        ApiData.Exact(expected.Indices, ApiData.IndexValues(signed.Indices, expected.Shape, layout), "sbyte indices");

        var bytes = x.Select(v => Math.Abs(v) + 7).ToArray();
        expected = NaiveOracle.TorchMaxPool(bytes, cf, [3], [2], [1]);
        ApiData.Exact(expected.Values, ApiData.Values(Functional.MaxPool2d(ApiData.Tensor<byte>(bytes, cf, layout), 3, 2, 1), expected.Shape, layout), "byte");
    }

    // ------------------------------------------------------------------ average

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void AvgPool_MatchesOracle(int rank, TensorLayout layout)
    {
        AvgPool<float>(rank, layout);
        AvgPool<double>(rank, layout);
    }

    private static void AvgPool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<T>(cf, DataKind.Normal, 10 + rank);
        var input = ApiData.Tensor<T>(x, cf, layout);
        var cases = new List<(int[] K, int[]? S, int[] P, bool Ceil, bool Cip, int? Div)>
        {
            ([2], null, [0], false, true, null),
            ([3], [2], [1], true, true, null),
            ([3], [2], [1], true, false, null),
            (ApiData.PerAxis(rank, i => 2 + (i % 2)), ApiData.PerAxis(rank, i => 1 + (i % 2)), ApiData.PerAxis(rank, i => 1 - (i % 2)), false, false, null),
        };
        if (rank > 1)
        {
            cases.Add(([3], [2], [1], true, true, 5));
            cases.Add(([2], [1], [1], false, false, -3));
        }

        foreach (var (k, s, p, ceil, cip, div) in cases)
        {
            string what = $"avg_pool{rank}d {typeof(T).Name} {layout} {Describe(k, s, p, null, ceil)} cip {cip} div {div}";
            var expected = NaiveOracle.TorchAvgPool(x, cf, k, s, p, ceil, cip, div);
            Size stride = s is null ? default(Size) : new Size(s);
            var y = rank switch
            {
                1 => Functional.AvgPool1d(input, k, stride, p, ceil, cip),
                2 => Functional.AvgPool2d(input, k, stride, p, ceil, cip, div),
                _ => Functional.AvgPool3d(input, k, stride, p, ceil, cip, div),
            };
            ApiData.Close<T>(expected.Values, ApiData.Values(y, expected.Shape, layout), what);
        }
    }

    // ------------------------------------------------------------------ power average

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void LpPool_MatchesOracle(int rank, TensorLayout layout)
    {
        LpPool<float>(rank, layout);
        LpPool<double>(rank, layout);
    }

    private static void LpPool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        foreach (var (p, kind) in new[] { (2.0, DataKind.Normal), (3.0, DataKind.Normal), (1.5, DataKind.Positive) })
        {
            var x = ApiData.Data<T>(cf, kind, 20 + rank);
            var input = ApiData.Tensor<T>(x, cf, layout);
            var cases = new (int[] K, int[]? S, bool Ceil)[]
            {
                ([2], null, false),
                ([3], [2], true),
                (ApiData.PerAxis(rank, i => 2 + (i % 2)), ApiData.PerAxis(rank, i => 1 + (i % 2)), false),
            };
            foreach (var (k, s, ceil) in cases)
            {
                string what = $"lp_pool{rank}d p {p} {typeof(T).Name} {layout} {Describe(k, s, null, null, ceil)}";
                var expected = NaiveOracle.TorchLpPool(x, cf, p, k, s, ceil);
                Size stride = s is null ? default(Size) : new Size(s);
                var y = rank switch
                {
                    1 => Functional.LpPool1d(input, p, k, stride, ceil),
                    2 => Functional.LpPool2d(input, p, k, stride, ceil),
                    _ => Functional.LpPool3d(input, p, k, stride, ceil),
                };
                ApiData.Close<T>(expected.Values, ApiData.Values(y, expected.Shape, layout), what);
            }
        }
    }

    // ------------------------------------------------------------------ adaptive and global

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void Adaptive_MatchesOracle(int rank, TensorLayout layout)
    {
        Adaptive<float>(rank, layout);
        Adaptive<double>(rank, layout);
    }

    private static void Adaptive<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        var spatial = cf[2..];
        var x = ApiData.Data<T>(cf, DataKind.Ties, 30 + rank);
        var input = ApiData.Tensor<T>(x, cf, layout);
        int[][] sizes =
        [
            [3],
            [1],
            ApiData.PerAxis(rank, i => i == 0 ? -1 : 4 + i),    // -1: keep the axis (PyTorch's None)
            ApiData.PerAxis(rank, i => spatial[i] + 2 - i),     // more bins than elements on some axes
        ];
        foreach (var size in sizes)
        {
            var resolved = ApiData.PerAxis(rank, i => size[size.Length == 1 ? 0 : i] is var v && v < 0 ? spatial[i] : v);
            string what = $"adaptive{rank}d {typeof(T).Name} {layout} size {Harness.Format(size)}";
            var max = NaiveOracle.AdaptiveMaxPool(x, cf, resolved);
            var avg = NaiveOracle.AdaptiveAvgPool(x, cf, resolved);
            var yMax = rank switch
            {
                1 => Functional.AdaptiveMaxPool1d(input, size),
                2 => Functional.AdaptiveMaxPool2d(input, size),
                _ => Functional.AdaptiveMaxPool3d(input, size),
            };
            var yAvg = rank switch
            {
                1 => Functional.AdaptiveAvgPool1d(input, size),
                2 => Functional.AdaptiveAvgPool2d(input, size),
                _ => Functional.AdaptiveAvgPool3d(input, size),
            };
            var (v, idx) = Functional.AdaptiveMaxPoolWithIndices(input, size);
            ApiData.Exact(max.Values, ApiData.Values(yMax, max.Shape, layout), what + " max");
            ApiData.Exact(max.Values, ApiData.Values(v, max.Shape, layout), what + " max (with indices)");
            ApiData.Exact(max.Indices, ApiData.IndexValues(idx, max.Shape, layout), what + " indices");
            ApiData.Close<T>(avg.Values, ApiData.Values(yAvg, avg.Shape, layout), what + " avg");
        }
    }

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void Global_MatchesOracle(int rank, TensorLayout layout)
    {
        Global<float>(rank, layout);
        Global<double>(rank, layout);
    }

    private static void Global<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<T>(cf, DataKind.Normal, 40 + rank);
        var input = ApiData.Tensor<T>(x, cf, layout);
        string what = $"global {rank}d {typeof(T).Name} {layout}";
        var max = NaiveOracle.AdaptiveMaxPool(x, cf, [1]);
        ApiData.Exact(max.Values, ApiData.Values(Functional.GlobalMaxPool(input), max.Shape, layout), what + " max");
        var avg = NaiveOracle.AdaptiveAvgPool(x, cf, [1]);
        ApiData.Close<T>(avg.Values, ApiData.Values(Functional.GlobalAvgPool(input), avg.Shape, layout), what + " avg");
        foreach (int p in new[] { 1, 2, 3 })
        {
            var lp = NaiveOracle.OnnxLpPool(x, cf, p, cf[2..]);
            var y = p == 2 ? Functional.GlobalLpPool(input) : Functional.GlobalLpPool(input, p);
            ApiData.Close<T>(lp.Values, ApiData.Values(y, lp.Shape, layout), $"{what} lp {p}");
        }
    }

    // ------------------------------------------------------------------ unpooling

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void MaxUnpool_MatchesOracle(int rank, TensorLayout layout)
    {
        MaxUnpool<float>(rank, layout);
        MaxUnpool<double>(rank, layout);
    }

    private static void MaxUnpool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        // Spatial sizes for which the default unpooled size is the pooled input's size, so every index fits.
        var cases = new (int[] K, int[]? S, int[] P, int[] Spatial)[]
        {
            ([2], null, [0], [6, 8, 4]),
            ([3], [2], [1], [7, 9, 5]),
            (ApiData.PerAxis(rank, i => 2 + (i % 2)), ApiData.PerAxis(rank, i => 2 - (i % 2)), ApiData.PerAxis(rank, i => i % 2), [6, 7, 4]),
        };
        foreach (var (k, s, p, spatialOf3) in cases)
        {
            int[] spatial = spatialOf3[..rank];
            int[] cf = [2, 3, .. spatial];
            var x = ApiData.Data<T>(cf, DataKind.Ties, 50 + rank);
            var input = ApiData.Tensor<T>(x, cf, layout);
            Size stride = s is null ? default(Size) : new Size(s);
            var (pooled, idx) = rank switch
            {
                1 => Functional.MaxPool1dWithIndices(input, k, stride, p),
                2 => Functional.MaxPool2dWithIndices(input, k, stride, p),
                _ => Functional.MaxPool3dWithIndices(input, k, stride, p),
            };
            var pooledCf = NaiveOracle.TorchMaxPool(x, cf, k, s, p);
            int[] Per(int[] v, int i) => [v[v.Length == 1 ? 0 : i]];
            var larger = ApiData.PerAxis(rank, i => spatial[i] + (s is null ? Per(k, i)[0] : Per(s, i)[0]) - 1);

            // The default output size, a larger one within one stride (as spatial sizes, then as N, C and spatial sizes).
            foreach (var (outputSize, outSpatial) in new (int[]? Requested, int[] Spatial)[] { (null, spatial), (larger, larger), ([.. cf[..2], .. larger], larger) })
            {
                string what = $"max_unpool{rank}d {typeof(T).Name} {layout} k {Harness.Format(k)} s {Harness.Format(s)} p {Harness.Format(p)} output {Harness.Format(outputSize)}";
                var expected = NaiveOracle.MaxUnpool(pooledCf.Values, pooledCf.Indices, pooledCf.Shape, outSpatial);
                int[] outShape = [.. cf[..2], .. outSpatial];
                Size requested = outputSize is null ? default(Size) : new Size(outputSize);
                var generic = Functional.MaxUnpool(pooled, idx, k, stride, p, requested);
                ApiData.Exact(expected, ApiData.Values(generic, outShape, layout), what);
                var specific = rank switch
                {
                    1 => Functional.MaxUnpool1d(pooled, idx, k, stride, p, requested),
                    2 => Functional.MaxUnpool2d(pooled, idx, k, stride, p, requested),
                    _ => Functional.MaxUnpool3d(pooled, idx, k, stride, p, requested),
                };
                ApiData.Same(generic, specific, what + " (rank-specific)");
            }
        }
    }

    // ------------------------------------------------------------------ sizes and defaults

    [Theory]
    [MemberData(nameof(Layouts))]
    public void SizeConversions_GiveTheSameResultAsExplicitArrays(TensorLayout layout)
    {
        var x1 = ApiData.Tensor<float>(ApiData.Data<float>([2, 3, 11], DataKind.Normal, 1), [2, 3, 11], layout);
        var x2 = ApiData.Tensor<float>(ApiData.Data<float>([2, 3, 7, 9], DataKind.Normal, 2), [2, 3, 7, 9], layout);
        var x3 = ApiData.Tensor<float>(ApiData.Data<float>([1, 2, 5, 6, 7], DataKind.Normal, 3), [1, 2, 5, 6, 7], layout);

        var explicit1 = Functional.MaxPool1d(x1, new[] { 3 }, new[] { 2 }, new[] { 1 }, new[] { 1 });
        ApiData.Same(explicit1, Functional.MaxPool1d(x1, 3, 2, 1, 1), "1d int");
        ApiData.Same(explicit1, Functional.MaxPool1d(x1, new Size(3), new Size(2), new Size(1)), "1d Size");

        var explicit2 = Functional.MaxPool2d(x2, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1 });
        ApiData.Same(explicit2, Functional.MaxPool2d(x2, 3, 2, 1), "2d int");
        ApiData.Same(explicit2, Functional.MaxPool2d(x2, (3, 3), (2, 2), (1, 1), (1, 1)), "2d tuple");
        ApiData.Same(explicit2, Functional.MaxPool2d(x2, new Size(3, 3), new Size(2), new Size(1, 1)), "2d Size");

        var rect = Functional.AvgPool2d(x2, new[] { 2, 3 }, new[] { 1, 2 }, new[] { 1, 0 });
        ApiData.Same(rect, Functional.AvgPool2d(x2, (2, 3), (1, 2), (1, 0)), "2d avg tuple");
        Assert.Equal(Harness.Shape([2, 3, 8, 4], layout), rect.Shape.ToArray());

        var explicit3 = Functional.MaxPool3d(x3, new[] { 2, 2, 2 }, new[] { 1, 2, 2 });
        ApiData.Same(explicit3, Functional.MaxPool3d(x3, 2, (1, 2, 2)), "3d int + tuple");
        ApiData.Same(explicit3, Functional.MaxPool3d(x3, (2, 2, 2), new Size(1, 2, 2), 0, 1), "3d tuple");

        ApiData.Same(Functional.AdaptiveAvgPool2d(x2, new[] { 4, 4 }), Functional.AdaptiveAvgPool2d(x2, 4), "adaptive int");
        ApiData.Same(Functional.AdaptiveAvgPool2d(x2, new[] { 3, 5 }), Functional.AdaptiveAvgPool2d(x2, (3, 5)), "adaptive tuple");
        ApiData.Same(Functional.AdaptiveMaxPool3d(x3, new[] { 2, 3, 4 }), Functional.AdaptiveMaxPool3d(x3, (2, 3, 4)), "adaptive 3d tuple");
        ApiData.Same(Functional.LpPool2d(x2, 2, new[] { 2, 3 }), Functional.LpPool2d(x2, 2, (2, 3)), "lp tuple");
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void OmittedArguments_TakePyTorchDefaults(TensorLayout layout)
    {
        var x1 = ApiData.Tensor<double>(ApiData.Data<double>([2, 3, 11], DataKind.Positive, 1), [2, 3, 11], layout);
        var x2 = ApiData.Tensor<double>(ApiData.Data<double>([2, 3, 7, 9], DataKind.Positive, 2), [2, 3, 7, 9], layout);
        var x3 = ApiData.Tensor<double>(ApiData.Data<double>([1, 2, 5, 6, 7], DataKind.Positive, 3), [1, 2, 5, 6, 7], layout);

        // stride = kernel size, padding 0, dilation 1, no ceil mode, count_include_pad
        ApiData.Same(Functional.MaxPool1d(x1, 3, 3, 0, 1, false), Functional.MaxPool1d(x1, 3), "max1d");
        ApiData.Same(Functional.MaxPool2d(x2, (2, 3), (2, 3), 0, 1, false), Functional.MaxPool2d(x2, (2, 3)), "max2d");
        ApiData.Same(Functional.MaxPool3d(x3, 2, 2, 0, 1, false), Functional.MaxPool3d(x3, 2), "max3d");
        ApiData.Same(Functional.MaxPool2dWithIndices(x2, 2, 2).Indices, Functional.MaxPool2dWithIndices(x2, 2).Indices, "max2d indices");
        ApiData.Same(Functional.AvgPool1d(x1, 2, 2, 0, false, true), Functional.AvgPool1d(x1, 2), "avg1d");
        ApiData.Same(Functional.AvgPool2d(x2, 3, 3, 0, false, true, null), Functional.AvgPool2d(x2, 3), "avg2d");
        ApiData.Same(Functional.AvgPool3d(x3, (1, 2, 3), (1, 2, 3)), Functional.AvgPool3d(x3, (1, 2, 3)), "avg3d");
        ApiData.Same(Functional.LpPool1d(x1, 2, 3, 3, false), Functional.LpPool1d(x1, 2, 3), "lp1d");
        ApiData.Same(Functional.LpPool2d(x2, 2, 2, 2), Functional.LpPool2d(x2, 2, 2), "lp2d");
        ApiData.Same(Functional.LpPool3d(x3, 1.5, 2, 2), Functional.LpPool3d(x3, 1.5, 2), "lp3d");
        Assert.Equal(Harness.Shape([2, 3, 3, 3], layout), Functional.MaxPool2d(x2, (2, 3)).Shape.ToArray());
        Assert.Equal(Harness.Shape([2, 3, 3], layout), Functional.AvgPool1d(x1, 3).Shape.ToArray());

        // ceil mode off: the trailing partial window is dropped; on: it is kept
        Assert.Equal(Harness.Shape([2, 3, 4], layout), Functional.MaxPool1d(x1, 3, ceilMode: true).Shape.ToArray());

        // max_unpool: stride = kernel size, padding 0
        var even = ApiData.Tensor<double>(ApiData.Data<double>([2, 3, 6, 8], DataKind.Positive, 4), [2, 3, 6, 8], layout);
        var (v, idx) = Functional.MaxPool2dWithIndices(even, 2);
        ApiData.Same(Functional.MaxUnpool2d(v, idx, 2, 2, 0), Functional.MaxUnpool2d(v, idx, 2), "unpool2d");
        Assert.Equal(Harness.Shape([2, 3, 6, 8], layout), Functional.MaxUnpool2d(v, idx, 2).Shape.ToArray());
    }

    [Fact]
    public void Results_AreNewTensors_AndLeaveTheInputAlone()
    {
        int[] cf = [1, 2, 4, 4];
        var x = ApiData.Data<float>(cf, DataKind.Normal, 7);
        var input = ApiData.Tensor<float>(x, cf, TensorLayout.ChannelsFirst);
        var copy = (float[])input.Data.Clone();
        var a = Functional.AvgPool2d(input, 1);
        Assert.NotSame(input.Data, a.Data);
        Assert.Equal(copy, a.Data);
        _ = Functional.MaxPool2dWithIndices(input, 2);
        _ = Functional.LpPool2d(input, 2, 2);
        _ = Functional.GlobalLpPool(input);
        Assert.Equal(copy, input.Data);
    }

    // ------------------------------------------------------------------ bad input

    private static DenseTensor<float> Rank(int dims) =>
        new(dims switch { 2 => [2, 3], 3 => [1, 2, 6], 4 => [1, 2, 6, 6], 5 => [1, 2, 4, 4, 4], _ => [1, 1, 2, 2, 2, 2] });

    private static DenseTensor<long> Idx(DenseTensor<float> x) => new(x.Shape);

    public static TheoryData<string> WrongRankNames => new(WrongRank().Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, Action> WrongRank()
    {
        var d = new Dictionary<string, Action>
        {
            ["MaxPool1d.Rank4"] = () => Functional.MaxPool1d(Rank(4), 2),
            ["MaxPool2d.Rank3"] = () => Functional.MaxPool2d(Rank(3), 2),
            ["MaxPool2d.Rank5"] = () => Functional.MaxPool2d(Rank(5), 2),
            ["MaxPool3d.Rank4"] = () => Functional.MaxPool3d(Rank(4), 2),
            ["MaxPool1dWithIndices.Rank5"] = () => Functional.MaxPool1dWithIndices(Rank(5), 2),
            ["MaxPool2dWithIndices.Rank3"] = () => Functional.MaxPool2dWithIndices(Rank(3), 2),
            ["MaxPool3dWithIndices.Rank6"] = () => Functional.MaxPool3dWithIndices(Rank(6), 2),
            ["AvgPool1d.Rank4"] = () => Functional.AvgPool1d(Rank(4), 2),
            ["AvgPool2d.Rank5"] = () => Functional.AvgPool2d(Rank(5), 2),
            ["AvgPool3d.Rank4"] = () => Functional.AvgPool3d(Rank(4), 2),
            ["LpPool1d.Rank2"] = () => Functional.LpPool1d(Rank(2), 2, 2),
            ["LpPool2d.Rank3"] = () => Functional.LpPool2d(Rank(3), 2, 2),
            ["LpPool3d.Rank4"] = () => Functional.LpPool3d(Rank(4), 2, 2),
            ["AdaptiveMaxPool1d.Rank4"] = () => Functional.AdaptiveMaxPool1d(Rank(4), 2),
            ["AdaptiveMaxPool2d.Rank5"] = () => Functional.AdaptiveMaxPool2d(Rank(5), 2),
            ["AdaptiveMaxPool3d.Rank3"] = () => Functional.AdaptiveMaxPool3d(Rank(3), 2),
            ["AdaptiveAvgPool1d.Rank5"] = () => Functional.AdaptiveAvgPool1d(Rank(5), 2),
            ["AdaptiveAvgPool2d.Rank3"] = () => Functional.AdaptiveAvgPool2d(Rank(3), 2),
            ["AdaptiveAvgPool3d.Rank4"] = () => Functional.AdaptiveAvgPool3d(Rank(4), 2),
            ["MaxUnpool1d.Rank4"] = () => Functional.MaxUnpool1d(Rank(4), Idx(Rank(4)), 2),
            ["MaxUnpool2d.Rank3"] = () => Functional.MaxUnpool2d(Rank(3), Idx(Rank(3)), 2),
            ["MaxUnpool3d.Rank4"] = () => Functional.MaxUnpool3d(Rank(4), Idx(Rank(4)), 2),
            ["MaxUnpool.Rank2"] = () => Functional.MaxUnpool(Rank(2), Idx(Rank(2)), 2),
            ["MaxUnpool.Rank6"] = () => Functional.MaxUnpool(Rank(6), Idx(Rank(6)), 2),
        };
        return d;
    }

    [Theory]
    [MemberData(nameof(WrongRankNames))]
    public void WrongRank_ThrowsNamingInput(string name)
    {
        var ex = Assert.Throws<ArgumentException>(WrongRank()[name]);
        Assert.Equal("input", ex.ParamName);
        Assert.Contains("dimensions", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> BadArgumentNames => new(BadArguments().Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, (Action Act, string Param, string Phrase)> BadArguments()
    {
        var x4 = Rank(4);
        var x3 = Rank(3);
        var (pooled, idx) = Functional.MaxPool2dWithIndices(x4, 2);   // (1, 2, 3, 3), planes of 9 -> unpooled 6 x 6
        var outside = new DenseTensor<long>([.. idx.Data.Select((v, i) => i == 4 ? 36L : v)], idx.Shape);
        var negative = new DenseTensor<long>([.. idx.Data.Select((v, i) => i == 0 ? -1L : v)], idx.Shape);
        var shortIdx = new DenseTensor<long>([1, 2, 3, 2]);
        return new Dictionary<string, (Action, string, string)>
        {
            ["MaxPool2d.PaddingOverHalfKernel"] = (() => Functional.MaxPool2d(x4, 3, 1, 2), "padding", "half the kernel"),
            ["MaxPool1d.PaddingOverHalfKernel"] = (() => Functional.MaxPool1d(x3, 2, 1, 2), "padding", "half the kernel"),
            ["AvgPool2d.PaddingOverHalfKernelOnOneAxis"] = (() => Functional.AvgPool2d(x4, (4, 2), 1, (2, 2)), "padding", "half the kernel"),
            ["MaxPool2d.NegativePadding"] = (() => Functional.MaxPool2d(x4, 2, 1, -1), "padding", "non-negative"),
            ["MaxPool2d.KernelZero"] = (() => Functional.MaxPool2d(x4, 0), "kernelSize", "greater than zero"),
            ["MaxPool2d.StrideZero"] = (() => Functional.MaxPool2d(x4, 2, 0), "stride", "greater than zero"),
            ["MaxPool2d.DilationZero"] = (() => Functional.MaxPool2d(x4, 2, 1, 0, 0), "dilation", "greater than zero"),
            ["MaxPool2d.KernelOfThreeValues"] = (() => Functional.MaxPool2d(x4, (2, 2, 2)), "kernelSize", "1 or 2 values"),
            ["MaxPool1d.OutputTooSmall"] = (() => Functional.MaxPool1d(x3, 7), "inputShape", "too small"),
            ["AvgPool3d.InputSmallerThanKernel"] = (() => Functional.AvgPool3d(Rank(5), 5, 1, 2), "inputShape", "smaller than the kernel"),
            ["AvgPool2d.DivisorOverrideZero"] = (() => Functional.AvgPool2d(x4, 2, divisorOverride: 0), "divisorOverride", "not be zero"),
            ["LpPool2d.NormTypeZero"] = (() => Functional.LpPool2d(x4, 0, 2), "normType", "non-zero"),
            ["GlobalLpPool.PZero"] = (() => Functional.GlobalLpPool(x4, 0), "normType", "norm type 0"),
            ["GlobalLpPool.PNegative"] = (() => Functional.GlobalLpPool(x4, -2), "normType", "positive integer"),
            ["AdaptiveAvgPool2d.ThreeSizes"] = (() => Functional.AdaptiveAvgPool2d(x4, (2, 2, 2)), "outputSize", "1 or 2 values"),
            ["AdaptiveMaxPoolWithIndices.ThreeSizesFor2d"] = (() => Functional.AdaptiveMaxPoolWithIndices(x4, (2, 2, 2)), "outputSize", "1 or 2 values"),
            ["GlobalMaxPool.Rank2"] = (() => Functional.GlobalMaxPool(Rank(2)), "inputShape", "3 to 5 dimensions"),
            ["GlobalAvgPool.Rank6"] = (() => Functional.GlobalAvgPool(Rank(6)), "inputShape", "3 to 5 dimensions"),
            ["MaxUnpool2d.OutputSizeTooLarge"] = (() => Functional.MaxUnpool2d(pooled, idx, 2, outputSize: (8, 6)), "outputSize", "strictly between"),
            ["MaxUnpool2d.OutputSizeTooSmall"] = (() => Functional.MaxUnpool2d(pooled, idx, 2, outputSize: (6, 4)), "outputSize", "strictly between"),
            ["MaxUnpool2d.OutputSizeOfThreeValues"] = (() => Functional.MaxUnpool2d(pooled, idx, 2, outputSize: (1, 6, 6)), "outputSize", "2 or 4 values"),
            ["MaxUnpool2d.IndexOutsidePlane"] = (() => Functional.MaxUnpool2d(pooled, outside, 2), "indices", "36"),
            ["MaxUnpool2d.NegativeIndex"] = (() => Functional.MaxUnpool2d(pooled, negative, 2), "indices", "-1"),
            ["MaxUnpool2d.IndicesLength"] = (() => Functional.MaxUnpool2d(pooled, shortIdx, 2), "indices", "indices"),
        };
    }

    [Theory]
    [MemberData(nameof(BadArgumentNames))]
    public void BadArguments_Throw(string name)
    {
        var (act, param, phrase) = BadArguments()[name];
        var ex = Assert.Throws<ArgumentException>(act);
        Assert.Equal(param, ex.ParamName);
        Assert.Contains(phrase, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// PyTorch rejects indices whose shape differs from the input's ("Expected shape of indices to be same as that of
    /// the input tensor"); the library takes any indices tensor of the right length.
    /// </summary>
    [Fact]
    public void MaxUnpool_IndicesOfAnotherShape_Throw()
    {
        var (pooled, idx) = Functional.MaxPool2dWithIndices(Rank(4), 2);   // (1, 2, 3, 3)
        var reshaped = new DenseTensor<long>(idx.Data, [1, 2, 9, 1]);
        var ex = Assert.Throws<ArgumentException>(() => Functional.MaxUnpool2d(pooled, reshaped, 2));
        Assert.Equal("indices", ex.ParamName);
    }

    /// <summary>
    /// Indices in the other layout (the same indices, transposed to channels last) must either be rejected or be read
    /// in their own layout; reading their memory in the input's layout scatters values to the wrong places.
    /// </summary>
    [Fact]
    public void MaxUnpool_IndicesInTheOtherLayout_AreRejectedOrReadCorrectly()
    {
        int[] cf = [1, 3, 4, 4];
        var x = ApiData.Tensor<float>(ApiData.Data<float>(cf, DataKind.Normal, 9), cf, TensorLayout.ChannelsFirst);
        var (pooled, idx) = Functional.MaxPool2dWithIndices(x, 2);
        var expected = Functional.MaxUnpool2d(pooled, idx, 2);
        var channelsLast = idx.ToLayout(TensorLayout.ChannelsLast);
        DenseTensor<float> actual;
        try
        {
            actual = Functional.MaxUnpool2d(pooled, channelsLast, 2);
        }
        catch (ArgumentException ex)
        {
            Assert.Equal("indices", ex.ParamName);
            return;
        }

        ApiData.Same(expected, actual, "unpooled with channels-last indices");
    }

    public static TheoryData<string> NullNames => new(NullInputs().Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, Action> NullInputs()
    {
        DenseTensor<float> none = null!;
        var (pooled, idx) = Functional.MaxPool2dWithIndices(Rank(4), 2);
        return new Dictionary<string, Action>
        {
            ["MaxPool2d"] = () => Functional.MaxPool2d(none, 2),
            ["AvgPool1d"] = () => Functional.AvgPool1d(none, 2),
            ["LpPool3d"] = () => Functional.LpPool3d(none, 2, 2),
            ["AdaptiveAvgPool2d"] = () => Functional.AdaptiveAvgPool2d(none, 2),
            ["AdaptiveMaxPoolWithIndices"] = () => Functional.AdaptiveMaxPoolWithIndices(none, 2),
            ["GlobalMaxPool"] = () => Functional.GlobalMaxPool(none),
            ["GlobalAvgPool"] = () => Functional.GlobalAvgPool(none),
            ["GlobalLpPool"] = () => Functional.GlobalLpPool(none),
            ["MaxUnpool.Input"] = () => Functional.MaxUnpool(none, idx, 2),
            ["MaxUnpool2d.Indices"] = () => Functional.MaxUnpool2d(pooled, null!, 2),
        };
    }

    /// <summary>A null tensor is an <see cref="ArgumentNullException"/>, as the rank-checked entry points already do.</summary>
    [Theory]
    [MemberData(nameof(NullNames))]
    public void NullTensor_ThrowsArgumentNull(string name) => Assert.Throws<ArgumentNullException>(NullInputs()[name]);
}
