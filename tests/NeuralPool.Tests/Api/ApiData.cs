using System.Numerics;
using NeuralPool.Tests.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Api;

/// <summary>Builds <see cref="DenseTensor{T}"/>s from the oracle's channels-first doubles and reads them back.</summary>
internal static class ApiData
{
    public static readonly TensorLayout[] BothLayouts = [TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast];

    /// <summary>Channels-first shapes per spatial rank (index 1, 2, 3).</summary>
    public static readonly int[][] ShapeOfRank = [[], [2, 3, 11], [2, 3, 7, 9], [1, 2, 5, 6, 7]];

    public static TheoryData<int, TensorLayout> RanksAndLayouts()
    {
        var data = new TheoryData<int, TensorLayout>();
        foreach (int rank in new[] { 1, 2, 3 })
        {
            foreach (var layout in BothLayouts)
            {
                data.Add(rank, layout);
            }
        }

        return data;
    }

    /// <summary>A tensor of <paramref name="layout"/> holding the channels-first data <paramref name="cf"/>.</summary>
    public static DenseTensor<T> Tensor<T>(double[] cf, int[] cfShape, TensorLayout layout)
        where T : unmanaged, INumberBase<T> =>
        new(Harness.ToLibrary<T>(cf, cfShape, layout), Harness.Shape(cfShape, layout), layout);

    /// <summary>Indices (channels-first order) as a tensor of <paramref name="layout"/>.</summary>
    public static DenseTensor<long> Indices(long[] cf, int[] cfShape, TensorLayout layout) =>
        new(Harness.ToLibrary(cf, cfShape, layout), Harness.Shape(cfShape, layout), layout);

    /// <summary>The channels-first values of <paramref name="t"/>, after checking that its shape and layout are those expected.</summary>
    public static double[] Values<T>(DenseTensor<T> t, int[] cfShape, TensorLayout layout)
        where T : unmanaged, INumberBase<T>
    {
        Assert.Equal(layout, t.Layout);
        Assert.Equal(Harness.Shape(cfShape, layout), t.Shape.ToArray());
        return Harness.FromLibrary(t.Data, cfShape, layout);
    }

    /// <summary>The channels-first indices of <paramref name="t"/>.</summary>
    public static long[] IndexValues(DenseTensor<long> t, int[] cfShape, TensorLayout layout)
    {
        Assert.Equal(layout, t.Layout);
        Assert.Equal(Harness.Shape(cfShape, layout), t.Shape.ToArray());
        return Harness.FromLibrary(t.Data, cfShape, layout);
    }

    /// <summary>Random data of <paramref name="kind"/> for a channels-first shape, rounded through T.</summary>
    public static double[] Data<T>(int[] cfShape, DataKind kind, int seed)
        where T : INumberBase<T> => Harness.RoundTrip<T>(TestData.Make(kind, TestData.Volume(cfShape), new Random(seed)));

    /// <summary>Asserts equality (NaN equals NaN).</summary>
    public static void Exact(double[] expected, double[] actual, string what) => Assert.Null(Harness.Exact(expected, actual, what));

    /// <summary>Asserts equality of indices.</summary>
    public static void Exact(long[] expected, long[] actual, string what) => Assert.Null(Harness.Exact(expected, actual, what));

    /// <summary>Asserts closeness relative to the largest |expected|.</summary>
    public static void Close<T>(double[] expected, double[] actual, string what) =>
        Assert.Null(Harness.CloseToMax(expected, actual, typeof(T) == typeof(float) ? 2e-5 : 1e-12, what));

    /// <summary>Asserts that two tensors have the same layout, shape and elements (bitwise for floating point, NaN equals NaN).</summary>
    public static void Same<T>(DenseTensor<T> expected, DenseTensor<T> actual, string what)
        where T : unmanaged, INumberBase<T>
    {
        Assert.Equal(expected.Layout, actual.Layout);
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        Assert.Null(Harness.Exact(expected.Data.Select(double.CreateChecked).ToArray(), actual.Data.Select(double.CreateChecked).ToArray(), what));
    }

    /// <summary>The i-th of one value per spatial axis built by <paramref name="f"/>.</summary>
    public static int[] PerAxis(int rank, Func<int, int> f) => [.. Enumerable.Range(0, rank).Select(f)];
}
