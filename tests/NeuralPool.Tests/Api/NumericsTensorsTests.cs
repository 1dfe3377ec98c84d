using System.Buffers;
using System.Numerics.Tensors;
using NeuralPool.Interop;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Api;

/// <summary>
/// <see cref="NumericsTensors"/>: conversions to and from <see cref="Tensor{T}"/> (dense, strided and broadcast
/// views) and the pooling overloads, which must equal <see cref="Functional"/> on the same data.
/// </summary>
public sealed class NumericsTensorsTests
{
    private static readonly nint[] Lengths = [2, 3, 7, 9];

    private static float[] Values(int count, int seed) => [.. TestData.Make(DataKind.Normal, count, new Random(seed)).Select(v => (float)v)];

    private static nint[] LengthsOf<T>(Tensor<T> t) => t.Lengths.ToArray();

    private static T[] Flat<T>(Tensor<T> t)
    {
        var result = new T[t.FlattenedLength];
        t.FlattenTo(result);
        return result;
    }

    [Fact]
    public void ToDense_CopiesShapeAndValues()
    {
        var values = Values(378, 1);
        var tensor = Tensor.Create(values, Lengths);
        var dense = tensor.ToDense();
        Assert.Equal([2, 3, 7, 9], dense.Shape.ToArray());
        Assert.Equal(TensorLayout.ChannelsFirst, dense.Layout);
        Assert.Equal(values, dense.Data);
        Assert.NotSame(values, dense.Data);

        var tagged = tensor.ToDense(TensorLayout.ChannelsLast);
        Assert.Equal(TensorLayout.ChannelsLast, tagged.Layout);
        Assert.Equal(values, tagged.Data);
    }

    [Fact]
    public void ToTensor_CopiesShapeAndValues()
    {
        var dense = new DenseTensor<double>([.. Enumerable.Range(0, 60).Select(i => i * 0.5)], [1, 3, 4, 5]);
        var tensor = dense.ToTensor();
        Assert.Equal(new nint[] { 1, 3, 4, 5 }, LengthsOf(tensor));
        Assert.Equal(dense.Data, Flat(tensor));
        Assert.Equal(dense.Data[17], tensor[0, 0, 3, 2]);
        dense.Data[0] = 42;   // a copy
        Assert.Equal(0, tensor[0, 0, 0, 0]);
    }

    [Fact]
    public void RoundTrips()
    {
        var values = Values(378, 2);
        var back = Tensor.Create(values, Lengths).ToDense().ToTensor();
        Assert.Equal(Lengths, LengthsOf(back));
        Assert.Equal(values, Flat(back));

        var dense = new DenseTensor<float>(Values(60, 3), [1, 4, 5, 3], TensorLayout.ChannelsLast);
        var again = dense.ToTensor().ToDense(TensorLayout.ChannelsLast);
        ApiData.Same(dense, again, "dense -> tensor -> dense");
    }

    [Fact]
    public void PoolingOverloads_EqualFunctional()
    {
        var values = Values(378, 4);
        var tensor = Tensor.Create(values, Lengths);
        var dense = new DenseTensor<float>(values, [2, 3, 7, 9]);
        Same(Functional.MaxPool2d(dense, 3, 2, 1), NumericsTensors.MaxPool2d(tensor, 3, 2, 1));
        Same(Functional.MaxPool2d(dense, (2, 3), 1, (1, 0), 2, true), NumericsTensors.MaxPool2d(tensor, (2, 3), 1, (1, 0), 2, true));
        Same(Functional.MaxPool2d(dense, 2), NumericsTensors.MaxPool2d(tensor, 2));
        Same(Functional.AvgPool2d(dense, 3, 2, 1, true, false), NumericsTensors.AvgPool2d(tensor, 3, 2, 1, true, false));
        Same(Functional.AvgPool2d(dense, 2, divisorOverride: 3), NumericsTensors.AvgPool2d(tensor, 2, divisorOverride: 3));
        Same(Functional.AdaptiveAvgPool2d(dense, (3, 4)), NumericsTensors.AdaptiveAvgPool2d(tensor, (3, 4)));
        Same(Functional.AdaptiveMaxPool2d(dense, (4, -1)), NumericsTensors.AdaptiveMaxPool2d(tensor, (4, -1)));

        var doubles = Tensor.Create(values.Select(v => (double)v).ToArray(), Lengths);
        var denseDoubles = new DenseTensor<double>([.. values.Select(v => (double)v)], [2, 3, 7, 9]);
        Same(Functional.AvgPool2d(denseDoubles, 3, 1, 1), NumericsTensors.AvgPool2d(doubles, 3, 1, 1));
        Same(Functional.MaxPool2d(denseDoubles, 3), NumericsTensors.MaxPool2d(doubles, 3));
    }

    [Fact]
    public void PoolingOverloads_MatchTheOracle()
    {
        int[] cf = [2, 3, 7, 9];
        var x = TestData.Make(DataKind.Normal, 378, new Random(5));
        var tensor = Tensor.Create(x, Lengths);
        var max = NaiveOracle.TorchMaxPool(x, cf, [3], [2], [1]);
        var y = NumericsTensors.MaxPool2d(tensor, 3, 2, 1);
        Assert.Equal(max.Shape.Select(v => (nint)v).ToArray(), LengthsOf(y));
        ApiData.Exact(max.Values, Flat(y), "max");
        var avg = NaiveOracle.AdaptiveAvgPool(x, cf, [3, 4]);
        ApiData.Close<double>(avg.Values, Flat(NumericsTensors.AdaptiveAvgPool2d(tensor, (3, 4))), "adaptive avg");
    }

    [Fact]
    public void BadInput_IsRejectedLikeFunctional()
    {
        var tensor = Tensor.Create(new float[36], [1, 6, 6]);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => NumericsTensors.MaxPool2d(tensor, 2)).ParamName);
        var ok = Tensor.Create(new float[36], [1, 1, 6, 6]);
        Assert.Equal("padding", Assert.Throws<ArgumentException>(() => NumericsTensors.AvgPool2d(ok, 2, 1, 2)).ParamName);
    }

    // ------------------------------------------------------------------ non-dense tensors

    /// <summary>A channels-last buffer viewed as (N, C, H, W) through strides comes out dense in channels-first order.</summary>
    [Fact]
    public void StridedView_ComesOutDense()
    {
        int[] cf = [2, 3, 7, 9];
        var x = TestData.Make(DataKind.Normal, 378, new Random(6));
        var nhwc = LayoutTranspose.ToChannelsLast(x, cf);
        var view = Tensor.Create(nhwc, Lengths, [7 * 9 * 3, 1, 9 * 3, 3]);
        Assert.False(view.IsDense);
        var dense = view.ToDense();
        Assert.Equal(cf, dense.Shape.ToArray());
        Assert.Equal(x, dense.Data);
        Same(Functional.MaxPool2d(new DenseTensor<double>(x, cf), 3, 2, 1), NumericsTensors.MaxPool2d(view, 3, 2, 1));
        Same(Functional.AdaptiveAvgPool2d(new DenseTensor<double>(x, cf), 2), NumericsTensors.AdaptiveAvgPool2d(view, 2));
    }

    /// <summary>A view with a zero stride (one image broadcast over the batch) comes out with the image repeated.</summary>
    [Fact]
    public void BroadcastView_ComesOutDense()
    {
        var image = Values(3 * 4 * 5, 7);
        var view = Tensor.Create(image, [4, 3, 4, 5], [0, 20, 5, 1]);
        var dense = view.ToDense();
        Assert.Equal([4, 3, 4, 5], dense.Shape.ToArray());
        for (int b = 0; b < 4; b++)
        {
            Assert.Equal(image, dense.Data.AsSpan(b * 60, 60).ToArray());
        }

        var pooled = NumericsTensors.AvgPool2d(view, 2);
        var single = Functional.AvgPool2d(new DenseTensor<float>(image, [1, 3, 4, 5]), 2).Data;
        Assert.Equal([.. Enumerable.Repeat(single, 4).SelectMany(v => v)], Flat(pooled));
    }

    /// <summary>A slice of a larger tensor (a crop of every image, every other channel) comes out dense and correct.</summary>
    [Fact]
    public void Slice_ComesOutDense()
    {
        int[] big = [2, 4, 8, 10];
        var x = Values(640, 8);
        var whole = Tensor.Create(x, [2, 4, 8, 10]);
        var slice = whole.Slice([NRange.All, new NRange(1, 3), new NRange(2, 7), new NRange(1, 10)]);
        Assert.Equal(new nint[] { 2, 2, 5, 9 }, LengthsOf(slice));
        var expected = new float[2 * 2 * 5 * 9];
        int o = 0;
        for (int n = 0; n < 2; n++)
        {
            for (int c = 1; c < 3; c++)
            {
                for (int h = 2; h < 7; h++)
                {
                    for (int w = 1; w < 10; w++)
                    {
                        expected[o++] = x[(((((n * big[1]) + c) * big[2]) + h) * big[3]) + w];
                    }
                }
            }
        }

        var dense = slice.ToDense();
        Assert.Equal([2, 2, 5, 9], dense.Shape.ToArray());
        Assert.Equal(expected, dense.Data);
        Same(Functional.MaxPool2d(new DenseTensor<float>(expected, [2, 2, 5, 9]), 2, 1), NumericsTensors.MaxPool2d(slice, 2, 1));
        Same(Functional.AdaptiveMaxPool2d(new DenseTensor<float>(expected, [2, 2, 5, 9]), 3), NumericsTensors.AdaptiveMaxPool2d(slice, 3));
    }

    private static void Same<T>(DenseTensor<T> expected, Tensor<T> actual)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        Assert.Equal(expected.Shape.ToArray().Select(v => (nint)v).ToArray(), LengthsOf(actual));
        Assert.True(actual.IsDense);
        ApiData.Exact(expected.Data.Select(double.CreateChecked).ToArray(), Flat(actual).Select(double.CreateChecked).ToArray(), "overload");
    }
}
