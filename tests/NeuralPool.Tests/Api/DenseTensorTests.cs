namespace NeuralPool.Tests.Api;

/// <summary><see cref="DenseTensor{T}"/> (construction, indexer, shapes, layout conversion) and <see cref="Size"/>.</summary>
public sealed class DenseTensorTests
{
    // ------------------------------------------------------------------ construction

    [Fact]
    public void ShapeConstructor_ZeroFills()
    {
        var t = new DenseTensor<float>([2, 3, 4]);
        Assert.Equal(24, t.Length);
        Assert.Equal(24, t.Data.Length);
        Assert.All(t.Data, v => Assert.Equal(0f, v));
        Assert.Equal([2, 3, 4], t.Shape.ToArray());
        Assert.Equal(3, t.Rank);
        Assert.Equal(TensorLayout.ChannelsFirst, t.Layout);
        Assert.Equal(24, t.Span.Length);
    }

    [Fact]
    public void DataConstructor_WrapsWithoutCopying()
    {
        var data = Enumerable.Range(0, 12).Select(i => (double)i).ToArray();
        int[] shape = [1, 2, 3, 2];
        var t = new DenseTensor<double>(data, shape, TensorLayout.ChannelsLast);
        Assert.Same(data, t.Data);
        data[5] = 42;
        Assert.Equal(42, t.Span[5]);
        shape[0] = 7;   // the shape is copied
        Assert.Equal([1, 2, 3, 2], t.Shape.ToArray());
        Assert.Equal(TensorLayout.ChannelsLast, t.Layout);
    }

    [Fact]
    public void ZeroExtents_AreAllowed()
    {
        var t = new DenseTensor<float>([2, 0, 5]);
        Assert.Equal(0, t.Length);
        var u = new DenseTensor<float>([], [0, 3, 4, 4], TensorLayout.ChannelsLast);
        Assert.Equal(0, u.ToLayout(TensorLayout.ChannelsFirst).Length);
        Assert.Equal([0, 4, 3, 4], u.ToLayout(TensorLayout.ChannelsFirst).Shape.ToArray());
    }

    [Theory]
    [InlineData(new[] { -1 })]
    [InlineData(new[] { 2, -3, 4 })]
    [InlineData(new[] { 1, 2, 3, int.MinValue })]
    public void NegativeDimension_Throws(int[] shape)
    {
        var ex = Assert.Throws<ArgumentException>(() => new DenseTensor<float>(shape));
        Assert.Equal("shape", ex.ParamName);
        Assert.Contains("negative", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new DenseTensor<float>(new float[6], shape));
        Assert.Equal("shape", ex.ParamName);
    }

    [Fact]
    public void TooManyElements_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DenseTensor<byte>([65536, 65536]));
        Assert.Equal("shape", ex.ParamName);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(0)]
    public void DataLengthMismatch_Throws(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => new DenseTensor<float>(new float[length], [2, 3]));
        Assert.Equal("data", ex.ParamName);
        Assert.Contains($"{length}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullData_Throws() => Assert.Throws<ArgumentNullException>(() => new DenseTensor<float>(null!, [1]));

    // ------------------------------------------------------------------ indexer

    [Fact]
    public void Indexer_IsRowMajorInMemoryOrder()
    {
        var t = new DenseTensor<int>([.. Enumerable.Range(0, 2 * 3 * 4 * 5)], [2, 3, 4, 5], TensorLayout.ChannelsLast);
        for (int a = 0; a < 2; a++)
        {
            for (int b = 0; b < 3; b++)
            {
                for (int c = 0; c < 4; c++)
                {
                    for (int d = 0; d < 5; d++)
                    {
                        Assert.Equal((((((a * 3) + b) * 4) + c) * 5) + d, t[a, b, c, d]);
                    }
                }
            }
        }

        t[1, 2, 3, 4] = -1;
        Assert.Equal(-1, t.Data[^1]);
        t[0, 0, 0, 1] = -2;
        Assert.Equal(-2, t.Data[1]);
    }

    [Fact]
    public void Indexer_RejectsBadIndices()
    {
        var t = new DenseTensor<float>([2, 3]);
        Assert.Equal("index", Assert.Throws<ArgumentException>(() => t[1]).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentException>(() => t[1, 1, 1]).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => t[2, 0]).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => t[0, 3]).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => t[-1, 0]).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => t[0, -1] = 1);
    }

    // ------------------------------------------------------------------ logical shape and layouts

    [Fact]
    public void LogicalShape_IsChannelsFirstOrder()
    {
        Assert.Equal([2, 3, 7], new DenseTensor<float>([2, 3, 7]).LogicalShape);
        Assert.Equal([2, 3, 7], new DenseTensor<float>([2, 7, 3], TensorLayout.ChannelsLast).LogicalShape);
        Assert.Equal([2, 3, 5, 7], new DenseTensor<float>([2, 5, 7, 3], TensorLayout.ChannelsLast).LogicalShape);
        Assert.Equal([2, 3, 4, 5, 7], new DenseTensor<float>([2, 4, 5, 7, 3], TensorLayout.ChannelsLast).LogicalShape);
        Assert.Equal([4, 5], new DenseTensor<float>([4, 5], TensorLayout.ChannelsLast).LogicalShape);

        var t = new DenseTensor<float>([2, 3, 4]);
        t.LogicalShape[0] = 99;   // a copy
        Assert.Equal([2, 3, 4], t.LogicalShape);
        Assert.Equal([2, 3, 4], t.Shape.ToArray());
    }

    /// <summary>NCL -> NLC by hand: y[n, l, c] = x[n, c, l].</summary>
    private static int[] Ncl2Nlc(int[] x, int n, int c, int l)
    {
        var y = new int[x.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int i = 0; i < l; i++)
                {
                    y[(((b * l) + i) * c) + ch] = x[(((b * c) + ch) * l) + i];
                }
            }
        }

        return y;
    }

    /// <summary>NCHW -> NHWC by hand.</summary>
    private static int[] Nchw2Nhwc(int[] x, int n, int c, int h, int w)
    {
        var y = new int[x.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < w; j++)
                    {
                        y[(((((b * h) + i) * w) + j) * c) + ch] = x[(((((b * c) + ch) * h) + i) * w) + j];
                    }
                }
            }
        }

        return y;
    }

    /// <summary>NCDHW -> NDHWC by hand.</summary>
    private static int[] Ncdhw2Ndhwc(int[] x, int n, int c, int d, int h, int w)
    {
        var y = new int[x.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int k = 0; k < d; k++)
                {
                    for (int i = 0; i < h; i++)
                    {
                        for (int j = 0; j < w; j++)
                        {
                            y[(((((((b * d) + k) * h) + i) * w) + j) * c) + ch] = x[(((((((b * c) + ch) * d) + k) * h) + i) * w) + j];
                        }
                    }
                }
            }
        }

        return y;
    }

    public static TheoryData<int[]> LayoutShapes => new()
    {
        new[] { 2, 3, 5 },
        new[] { 1, 1, 7 },
        new[] { 3, 4, 1 },
        new[] { 2, 3, 4, 5 },
        new[] { 1, 5, 1, 3 },
        new[] { 2, 3, 2, 4, 5 },
        new[] { 1, 2, 3, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(LayoutShapes))]
    public void ToLayout_MatchesAHandWrittenTranspose_AndRoundTrips(int[] cf)
    {
        int count = cf.Aggregate(1, (a, b) => a * b);
        var data = Enumerable.Range(0, count).Select(i => (i * 7919) % 10007).ToArray();
        var first = new DenseTensor<int>(data, cf);
        var expected = cf.Length switch
        {
            3 => Ncl2Nlc(data, cf[0], cf[1], cf[2]),
            4 => Nchw2Nhwc(data, cf[0], cf[1], cf[2], cf[3]),
            _ => Ncdhw2Ndhwc(data, cf[0], cf[1], cf[2], cf[3], cf[4]),
        };
        int[] lastShape = [cf[0], .. cf[2..], cf[1]];

        var last = first.ToLayout(TensorLayout.ChannelsLast);
        Assert.Equal(TensorLayout.ChannelsLast, last.Layout);
        Assert.Equal(lastShape, last.Shape.ToArray());
        Assert.Equal(cf, last.LogicalShape);
        Assert.Equal(expected, last.Data);
        Assert.NotSame(first.Data, last.Data);

        var back = last.ToLayout(TensorLayout.ChannelsFirst);
        Assert.Equal(TensorLayout.ChannelsFirst, back.Layout);
        Assert.Equal(cf, back.Shape.ToArray());
        Assert.Equal(data, back.Data);

        // the indexer agrees with the transpose element by element
        var index = new int[cf.Length];
        for (int i = 0; i < count; i++)
        {
            int rest = i;
            for (int a = cf.Length - 1; a >= 0; a--)
            {
                index[a] = rest % cf[a];
                rest /= cf[a];
            }

            int[] lastIndex = [index[0], .. index[2..], index[1]];
            Assert.Equal(first[index], last[lastIndex]);
        }
    }

    [Fact]
    public void ToLayout_SameLayout_ReturnsTheSameTensor()
    {
        var t = new DenseTensor<float>([1, 2, 3, 4]);
        Assert.Same(t, t.ToLayout(TensorLayout.ChannelsFirst));
        var u = new DenseTensor<float>([1, 3, 4, 2], TensorLayout.ChannelsLast);
        Assert.Same(u, u.ToLayout(TensorLayout.ChannelsLast));
    }

    [Fact]
    public void ToLayout_RankBelow3_OnlyChangesTheTag()
    {
        var t = new DenseTensor<float>([1, 2, 3, 4, 5, 6], [2, 3]);
        var u = t.ToLayout(TensorLayout.ChannelsLast);
        Assert.Equal(TensorLayout.ChannelsLast, u.Layout);
        Assert.Equal([2, 3], u.Shape.ToArray());
        Assert.Equal(t.Data, u.Data);
    }

    [Fact]
    public void ToString_NamesTypeShapeAndLayout()
    {
        Assert.Equal("DenseTensor<Single>(2, 3, 4) ChannelsFirst", new DenseTensor<float>([2, 3, 4]).ToString());
        Assert.Equal("DenseTensor<Double>(1, 4, 4, 3) ChannelsLast", new DenseTensor<double>([1, 4, 4, 3], TensorLayout.ChannelsLast).ToString());
    }

    // ------------------------------------------------------------------ Size

    [Fact]
    public void Size_ConversionsAndEquality()
    {
        Size one = 3;
        Size pair = (3, 2);
        Size triple = (2, 3, 3);
        Size array = new[] { 3, 2 };
        Assert.Equal([3], one.Values.ToArray());
        Assert.Equal([3, 2], pair.Values.ToArray());
        Assert.Equal([2, 3, 3], triple.Values.ToArray());
        Assert.True(pair == array);
        Assert.True(pair.Equals(array));
        Assert.True(pair.Equals((object)array));
        Assert.False(pair.Equals((object)new[] { 3, 2 }));
        Assert.Equal(pair.GetHashCode(), array.GetHashCode());
        Assert.True(pair != (2, 3));
        Assert.True(one != (3, 3));
        Assert.True(one == new Size(3));
        Assert.False(one.IsEmpty);
    }

    [Fact]
    public void Size_Default_IsEmpty()
    {
        Size d = default;
        Assert.True(d.IsEmpty);
        Assert.Equal(0, d.Values.Length);
        Assert.True(d == new Size());
        Assert.True(d == Array.Empty<int>());
        Assert.Equal(d.GetHashCode(), new Size().GetHashCode());
        Assert.Equal("()", d.ToString());
        Assert.True(new Size().IsEmpty);
    }

    [Fact]
    public void Size_ToString()
    {
        Assert.Equal("(3)", ((Size)3).ToString());
        Assert.Equal("(3, 2)", ((Size)(3, 2)).ToString());
        Assert.Equal("(2, 3, 4)", new Size(2, 3, 4).ToString());
    }

    [Fact]
    public void Size_CopiesItsValues()
    {
        int[] values = [2, 3];
        Size s = values;
        var t = new Size(values);
        values[0] = 9;
        Assert.Equal([2, 3], s.Values.ToArray());
        Assert.Equal([2, 3], t.Values.ToArray());
    }
}
