using System.Numerics;
using NeuralPool.Modules;
using NeuralPool.Tests.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Api;

/// <summary>
/// The <c>nn.*</c> module objects (<see cref="NeuralPool.Modules"/>): Forward equals <see cref="Functional"/>,
/// Backward equals the oracle's backward for the most recent Forward, <see cref="MaxPoolNd.Indices"/>, and the
/// errors of a Backward without a Forward.
/// </summary>
public sealed class ModuleTests
{
    public static TheoryData<int, TensorLayout> RanksAndLayouts => ApiData.RanksAndLayouts();

    public static TheoryData<TensorLayout> Layouts => new() { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast };

    /// <summary>A random gradient for a channels-first output shape, and the same as a tensor of <paramref name="layout"/>.</summary>
    private static (double[] Cf, DenseTensor<T> Tensor) Gradient<T>(int[] cfShape, TensorLayout layout, int seed)
        where T : unmanaged, INumberBase<T>
    {
        var g = ApiData.Data<T>(cfShape, DataKind.Normal, seed);
        return (g, ApiData.Tensor<T>(g, cfShape, layout));
    }

    // ------------------------------------------------------------------ max

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void MaxPool_ForwardEqualsFunctional_BackwardEqualsOracle(int rank, TensorLayout layout)
    {
        MaxPool<float>(rank, layout);
        MaxPool<double>(rank, layout);
    }

    private static void MaxPool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<T>(cf, DataKind.Ties, 100 + rank);
        var input = ApiData.Tensor<T>(x, cf, layout);
        var cases = new (int[] K, int[]? S, int[] P, int[] D, bool Ceil)[]
        {
            ([2], null, [0], [1], false),
            ([3], [2], [1], [1], true),
            ([3], [1], [1], [2], false),
        };
        foreach (var (k, s, p, d, ceil) in cases)
        {
            string what = $"MaxPool{rank}d {typeof(T).Name} {layout} k {k[0]} s {Harness.Format(s)} p {p[0]} d {d[0]} ceil {ceil}";
            Size stride = s is null ? default(Size) : new Size(s);
            MaxPoolNd module = rank switch
            {
                1 => new MaxPool1d(k, stride, p, d, ceil),
                2 => new MaxPool2d(k, stride, p, d, ceil),
                _ => new MaxPool3d(k, stride, p, d, ceil),
            };
            Assert.Equal(rank, module.Rank);
            Assert.Null(module.Indices);
            var y = module.Forward(input);
            var (fy, fidx) = rank switch
            {
                1 => Functional.MaxPool1dWithIndices(input, k, stride, p, d, ceil),
                2 => Functional.MaxPool2dWithIndices(input, k, stride, p, d, ceil),
                _ => Functional.MaxPool3dWithIndices(input, k, stride, p, d, ceil),
            };
            ApiData.Same(fy, y, what);
            Assert.NotNull(module.Indices);
            ApiData.Same(fidx, module.Indices, what + " indices");

            var oracle = NaiveOracle.TorchMaxPool(x, cf, k, s, p, d, ceil);
            ApiData.Exact(oracle.Indices, ApiData.IndexValues(module.Indices, oracle.Shape, layout), what + " indices vs oracle");
            var (gy, gyTensor) = Gradient<T>(oracle.Shape, layout, 7);
            var expected = NaiveOracle.MaxPoolBackward(gy, oracle.Indices, cf, oracle.Shape);
            ApiData.Close<T>(expected, ApiData.Values(module.Backward(gyTensor), cf, layout), what + " backward");
        }
    }

    /// <summary>The README's example: <c>new MaxPool2d(kernelSize: 3, stride: 2, padding: 1)</c>, Forward then Backward.</summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void ReadmeMaxPool2d(TensorLayout layout)
    {
        int[] cf = [2, 4, 12, 12];
        var data = ApiData.Data<float>(cf, DataKind.Normal, 112);
        var x = ApiData.Tensor<float>(data, cf, layout);

        var pool = new MaxPool2d(kernelSize: 3, stride: 2, padding: 1);
        var out1 = pool.Forward(x);
        ApiData.Same(Functional.MaxPool2d(x, kernelSize: 3, stride: 2, padding: 1), out1, "forward");
        var oracle = NaiveOracle.TorchMaxPool(data, cf, [3], [2], [1]);
        Assert.Equal([2, 4, 6, 6], oracle.Shape);
        ApiData.Exact(oracle.Values, ApiData.Values(out1, oracle.Shape, layout), "forward vs oracle");

        var (gy, gradOut) = Gradient<float>(oracle.Shape, layout, 3);
        var dx = pool.Backward(gradOut);
        ApiData.Close<float>(NaiveOracle.MaxPoolBackward(gy, oracle.Indices, cf, oracle.Shape), ApiData.Values(dx, cf, layout), "backward");
    }

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void AdaptiveMaxPool_ForwardEqualsFunctional_BackwardEqualsOracle(int rank, TensorLayout layout)
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<double>(cf, DataKind.Ties, 110 + rank);
        var input = ApiData.Tensor<double>(x, cf, layout);
        foreach (var size in new[] { new[] { 3 }, ApiData.PerAxis(rank, i => 2 + i) })
        {
            string what = $"AdaptiveMaxPool rank {rank} {layout} size {Harness.Format(size)}";
            var module = new AdaptiveMaxPool(rank, size);
            var y = module.Forward(input);
            Size s = size;
            ApiData.Same(rank switch
            {
                1 => Functional.AdaptiveMaxPool1d(input, s),
                2 => Functional.AdaptiveMaxPool2d(input, s),
                _ => Functional.AdaptiveMaxPool3d(input, s),
            }, y, what);
            ApiData.Same(Functional.AdaptiveMaxPoolWithIndices(input, s).Indices, module.Indices!, what + " indices");

            var oracle = NaiveOracle.AdaptiveMaxPool(x, cf, size);
            var (gy, gyTensor) = Gradient<double>(oracle.Shape, layout, 8);
            ApiData.Close<double>(NaiveOracle.MaxPoolBackward(gy, oracle.Indices, cf, oracle.Shape), ApiData.Values(module.Backward(gyTensor), cf, layout), what + " backward");
        }
    }

    // ------------------------------------------------------------------ average

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void AvgPool_ForwardEqualsFunctional_BackwardEqualsOracle(int rank, TensorLayout layout)
    {
        AvgPool<float>(rank, layout);
        AvgPool<double>(rank, layout);
    }

    private static void AvgPool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<T>(cf, DataKind.Normal, 120 + rank);
        var input = ApiData.Tensor<T>(x, cf, layout);
        var cases = new List<(int K, int? S, int P, bool Ceil, bool Cip, int? Div)>
        {
            (2, null, 0, false, true, null),
            (3, 2, 1, true, true, null),
            (3, 2, 1, true, false, null),
        };
        if (rank > 1)
        {
            cases.Add((3, 2, 1, false, true, 4));
        }

        foreach (var (k, s, p, ceil, cip, div) in cases)
        {
            string what = $"AvgPool{rank}d {typeof(T).Name} {layout} k {k} s {s} p {p} ceil {ceil} cip {cip} div {div}";
            Size stride = s is { } sv ? sv : default(Size);
            AvgPoolNd module = rank switch
            {
                1 => new AvgPool1d(k, stride, p, ceil, cip),
                2 => new AvgPool2d(k, stride, p, ceil, cip, div),
                _ => new AvgPool3d(k, stride, p, ceil, cip, div),
            };
            Assert.Equal(rank, module.Rank);
            var y = module.Forward(input);
            ApiData.Same(rank switch
            {
                1 => Functional.AvgPool1d(input, k, stride, p, ceil, cip),
                2 => Functional.AvgPool2d(input, k, stride, p, ceil, cip, div),
                _ => Functional.AvgPool3d(input, k, stride, p, ceil, cip, div),
            }, y, what);

            int[]? sArr = s is { } sv2 ? [sv2] : null;
            var axes = NaiveOracle.TorchAxes(cf, [k], sArr, [p], null, ceil);
            var outShape = NaiveOracle.OutputShape(cf, axes);
            var (gy, gyTensor) = Gradient<T>(outShape, layout, 9);
            ApiData.Close<T>(NaiveOracle.AvgPoolBackward(gy, cf, axes, cip, div), ApiData.Values(module.Backward(gyTensor), cf, layout), what + " backward");
        }
    }

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void AdaptiveAvgPool_ForwardEqualsFunctional_BackwardEqualsOracle(int rank, TensorLayout layout)
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<float>(cf, DataKind.Normal, 130 + rank);
        var input = ApiData.Tensor<float>(x, cf, layout);
        foreach (var size in new[] { new[] { 4 }, ApiData.PerAxis(rank, i => 3 + i) })
        {
            string what = $"AdaptiveAvgPool rank {rank} {layout} size {Harness.Format(size)}";
            var module = new AdaptiveAvgPool(rank, size);
            Assert.Equal(rank, module.Rank);
            var y = module.Forward(input);
            Size s = size;
            ApiData.Same(rank switch
            {
                1 => Functional.AdaptiveAvgPool1d(input, s),
                2 => Functional.AdaptiveAvgPool2d(input, s),
                _ => Functional.AdaptiveAvgPool3d(input, s),
            }, y, what);

            var axes = NaiveOracle.AdaptiveAxes(cf, size);
            var (gy, gyTensor) = Gradient<float>(NaiveOracle.OutputShape(cf, axes), layout, 10);
            ApiData.Close<float>(NaiveOracle.AvgPoolBackward(gy, cf, axes, false, null), ApiData.Values(module.Backward(gyTensor), cf, layout), what + " backward");
        }
    }

    // ------------------------------------------------------------------ power average

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void LPPool_ForwardEqualsFunctional_BackwardEqualsOracle(int rank, TensorLayout layout)
    {
        LPPool<float>(rank, layout);
        LPPool<double>(rank, layout);
    }

    private static void LPPool<T>(int rank, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cf = ApiData.ShapeOfRank[rank];
        var x = ApiData.Data<T>(cf, DataKind.Positive, 140 + rank);
        var input = ApiData.Tensor<T>(x, cf, layout);
        foreach (var (p, k, s, ceil) in new (double P, int K, int? S, bool Ceil)[] { (2, 2, null, false), (3, 3, 2, true), (1.5, 2, 1, false) })
        {
            string what = $"LPPool{rank}d {typeof(T).Name} {layout} p {p} k {k} s {s} ceil {ceil}";
            Size stride = s is { } sv ? sv : default(Size);
            LPPoolNd module = rank switch
            {
                1 => new LPPool1d(p, k, stride, ceil),
                2 => new LPPool2d(p, k, stride, ceil),
                _ => new LPPool3d(p, k, stride, ceil),
            };
            var y = module.Forward(input);
            ApiData.Same(rank switch
            {
                1 => Functional.LpPool1d(input, p, k, stride, ceil),
                2 => Functional.LpPool2d(input, p, k, stride, ceil),
                _ => Functional.LpPool3d(input, p, k, stride, ceil),
            }, y, what);

            int[]? sArr = s is { } sv2 ? [sv2] : null;
            var axes = NaiveOracle.TorchAxes(cf, [k], sArr, null, null, ceil);
            var (gy, gyTensor) = Gradient<T>(NaiveOracle.OutputShape(cf, axes), layout, 11);
            var expected = NaiveOracle.TorchLpPoolBackward(x, gy, cf, axes, p);
            Assert.Null(Harness.CloseToMax(expected, ApiData.Values(module.Backward(gyTensor), cf, layout), typeof(T) == typeof(float) ? 1e-4 : 1e-11, what + " backward"));
        }
    }

    // ------------------------------------------------------------------ unpooling

    [Theory]
    [MemberData(nameof(RanksAndLayouts))]
    public void MaxUnpool_ForwardEqualsFunctional_BackwardEqualsOracle(int rank, TensorLayout layout)
    {
        int[] cf = [2, 3, .. new[] { 7, 9, 5 }[..rank]];
        var x = ApiData.Data<double>(cf, DataKind.Normal, 150 + rank);
        var input = ApiData.Tensor<double>(x, cf, layout);
        var (pooled, idx) = rank switch
        {
            1 => Functional.MaxPool1dWithIndices(input, 3, 2, 1),
            2 => Functional.MaxPool2dWithIndices(input, 3, 2, 1),
            _ => Functional.MaxPool3dWithIndices(input, 3, 2, 1),
        };
        var oracle = NaiveOracle.TorchMaxPool(x, cf, [3], [2], [1]);
        foreach (var outputSize in new[] { default(Size), new Size(cf[2..]), new Size([.. cf[2..].Select(v => v + 1)]) })
        {
            string what = $"MaxUnpool{rank}d {layout} output {outputSize}";
            MaxUnpoolNd module = rank switch
            {
                1 => new MaxUnpool1d(3, 2, 1),
                2 => new MaxUnpool2d(3, 2, 1),
                _ => new MaxUnpool3d(3, 2, 1),
            };
            var y = module.Forward(pooled, idx, outputSize);
            ApiData.Same(rank switch
            {
                1 => Functional.MaxUnpool1d(pooled, idx, 3, 2, 1, outputSize),
                2 => Functional.MaxUnpool2d(pooled, idx, 3, 2, 1, outputSize),
                _ => Functional.MaxUnpool3d(pooled, idx, 3, 2, 1, outputSize),
            }, y, what);

            var outSpatial = outputSize.IsEmpty ? cf[2..] : outputSize.Values.ToArray();
            int[] outShape = [.. cf[..2], .. outSpatial];
            ApiData.Exact(NaiveOracle.MaxUnpool(oracle.Values, oracle.Indices, oracle.Shape, outSpatial), ApiData.Values(y, outShape, layout), what + " vs oracle");
            var (gy, gyTensor) = Gradient<double>(outShape, layout, 12);
            ApiData.Exact(NaiveOracle.MaxUnpoolBackward(gy, oracle.Indices, oracle.Shape, outSpatial), ApiData.Values(module.Backward(gyTensor), oracle.Shape, layout), what + " backward");
        }
    }

    // ------------------------------------------------------------------ state

    [Fact]
    public void Backward_UsesTheMostRecentForward()
    {
        int[] a = [1, 2, 8, 8], b = [2, 3, 5, 7];
        var xa = ApiData.Tensor<double>(ApiData.Data<double>(a, DataKind.Normal, 1), a, TensorLayout.ChannelsFirst);
        var xbData = ApiData.Data<double>(b, DataKind.Positive, 2);
        var xb = ApiData.Tensor<double>(xbData, b, TensorLayout.ChannelsLast);

        var max = new MaxPool2d(2);
        _ = max.Forward(xa);
        var firstIndices = max.Indices;
        _ = max.Forward(xb);
        Assert.NotSame(firstIndices, max.Indices);
        var oracle = NaiveOracle.TorchMaxPool(xbData, b, [2]);
        var (gy, gyTensor) = Gradient<double>(oracle.Shape, TensorLayout.ChannelsLast, 3);
        ApiData.Exact(NaiveOracle.MaxPoolBackward(gy, oracle.Indices, b, oracle.Shape), ApiData.Values(max.Backward(gyTensor), b, TensorLayout.ChannelsLast), "max");

        var lp = new LPPool2d(2, 2);
        _ = lp.Forward(xa);
        _ = lp.Forward(xb);
        var axes = NaiveOracle.TorchAxes(b, [2], null, null, null, false);
        Assert.Null(Harness.CloseToMax(NaiveOracle.TorchLpPoolBackward(xbData, gy, b, axes, 2), ApiData.Values(lp.Backward(gyTensor), b, TensorLayout.ChannelsLast), 1e-11, "lp"));

        var avg = new AvgPool2d(2);
        _ = avg.Forward(xa);
        _ = avg.Forward(xb);
        ApiData.Close<double>(NaiveOracle.AvgPoolBackward(gy, b, axes, true, null), ApiData.Values(avg.Backward(gyTensor), b, TensorLayout.ChannelsLast), "avg");
    }

    [Fact]
    public void Backward_CanBeCalledTwice_WithTheSameResult()
    {
        int[] cf = [1, 2, 6, 6];
        var x = ApiData.Tensor<float>(ApiData.Data<float>(cf, DataKind.Normal, 5), cf, TensorLayout.ChannelsFirst);
        var pool = new MaxPool2d(3, 1, 1);
        var y = pool.Forward(x);
        var g = new DenseTensor<float>([.. Enumerable.Repeat(1f, y.Length)], y.Shape);
        ApiData.Same(pool.Backward(g), pool.Backward(g), "twice");
    }

    public static TheoryData<string> ModuleNames => new(Modules().Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, (object Module, Func<DenseTensor<float>, DenseTensor<float>> Backward)> Modules()
    {
        var d = new Dictionary<string, (object, Func<DenseTensor<float>, DenseTensor<float>>)>();
        void Add(object m, Func<DenseTensor<float>, DenseTensor<float>> b) => d.Add(m.GetType().Name, (m, b));
        var max1 = new MaxPool1d(2);
        Add(max1, max1.Backward);
        var max2 = new MaxPool2d(2);
        Add(max2, max2.Backward);
        var max3 = new MaxPool3d(2);
        Add(max3, max3.Backward);
        var amax = new AdaptiveMaxPool(2, 3);
        Add(amax, amax.Backward);
        var avg1 = new AvgPool1d(2);
        Add(avg1, avg1.Backward);
        var avg2 = new AvgPool2d(2);
        Add(avg2, avg2.Backward);
        var avg3 = new AvgPool3d(2);
        Add(avg3, avg3.Backward);
        var aavg = new AdaptiveAvgPool(1, 3);
        Add(aavg, aavg.Backward);
        var lp1 = new LPPool1d(2, 2);
        Add(lp1, lp1.Backward);
        var lp2 = new LPPool2d(2, 2);
        Add(lp2, lp2.Backward);
        var lp3 = new LPPool3d(2, 2);
        Add(lp3, lp3.Backward);
        var un1 = new MaxUnpool1d(2);
        Add(un1, un1.Backward);
        var un2 = new MaxUnpool2d(2);
        Add(un2, un2.Backward);
        var un3 = new MaxUnpool3d(2);
        Add(un3, un3.Backward);
        return d;
    }

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void BackwardBeforeForward_ThrowsInvalidOperation(string name)
    {
        var (_, backward) = Modules()[name];
        var ex = Assert.Throws<InvalidOperationException>(() => backward(new DenseTensor<float>([1, 1, 2, 2])));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.Contains("before Forward", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indices_AreNullBeforeForward()
    {
        Assert.Null(new MaxPool2d(2).Indices);
        Assert.Null(new AdaptiveMaxPool(1, 2).Indices);
    }

    [Fact]
    public void LPPool_BackwardOfAnotherElementType_ThrowsInvalidOperation()
    {
        var lp = new LPPool2d(2, 2);
        _ = lp.Forward(new DenseTensor<float>([1, 1, 4, 4]));
        var ex = Assert.Throws<InvalidOperationException>(() => lp.Backward(new DenseTensor<double>([1, 1, 2, 2])));
        Assert.Contains("element type", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_WrongRank_ThrowsNamingInput()
    {
        var x3 = new DenseTensor<float>([1, 2, 6]);
        var x4 = new DenseTensor<float>([1, 2, 6, 6]);
        var idx = new DenseTensor<long>([1, 2, 6]);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new MaxPool2d(2).Forward(x3)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new MaxPool1d(2).Forward(x4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new AvgPool3d(2).Forward(x4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new LPPool2d(2, 2).Forward(x3)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new AdaptiveMaxPool(2, 2).Forward(x3)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool(3, 2).Forward(x4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => new MaxUnpool2d(2).Forward(x3, idx)).ParamName);
    }

    [Fact]
    public void Backward_WrongGradientLength_ThrowsArgument()
    {
        var x = new DenseTensor<double>([1, 2, 6, 6]);
        var wrong = new DenseTensor<double>([1, 2, 2, 2]);
        var max = new MaxPool2d(2);
        _ = max.Forward(x);
        Assert.Throws<ArgumentException>(() => max.Backward(wrong));
        var avg = new AvgPool2d(2);
        _ = avg.Forward(x);
        Assert.Throws<ArgumentException>(() => avg.Backward(wrong));
        var lp = new LPPool2d(2, 2);
        _ = lp.Forward(x);
        Assert.Throws<ArgumentException>(() => lp.Backward(wrong));
        var un = new MaxUnpool2d(2);
        var (v, idx) = Functional.MaxPool2dWithIndices(x, 2);
        _ = un.Forward(v, idx);
        Assert.Throws<ArgumentException>(() => un.Backward(wrong));
    }

    [Fact]
    public void FailedForward_KeepsThePreviousState()
    {
        int[] cf = [1, 1, 4, 4];
        var data = ApiData.Data<double>(cf, DataKind.Distinct, 1);
        var pool = new MaxPool2d(2);
        _ = pool.Forward(ApiData.Tensor<double>(data, cf, TensorLayout.ChannelsFirst));
        var indices = pool.Indices;
        Assert.Throws<ArgumentException>(() => pool.Forward(new DenseTensor<double>([1, 1, 1, 1])));
        Assert.Same(indices, pool.Indices);
        var oracle = NaiveOracle.TorchMaxPool(data, cf, [2]);
        var g = new DenseTensor<double>([1, 2, 3, 4], [1, 1, 2, 2]);
        ApiData.Exact(NaiveOracle.MaxPoolBackward([1, 2, 3, 4], oracle.Indices, cf, oracle.Shape), pool.Backward(g).Data, "backward after a failed forward");
    }
}
