using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Bad input at every public entry point: the exception type, the parameter it names, a phrase of its
/// message that names the problem, and that no output buffer (pre-filled with a sentinel) was written.
/// </summary>
public sealed class BadInputTests
{
    private const double Sentinel = 4242;

    // (1, 2, 6, 6) channels-first, kernel 2, stride 2: 72 inputs, 18 outputs in planes of 36 and 9.
    private static readonly int[] Shape = [1, 2, 6, 6];

    private static readonly Dictionary<string, BadCase> Cases = Build();

    public static TheoryData<string> Names => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Names))]
    public void Rejected_WithoutTouchingOutputs(string name)
    {
        var c = Cases[name];
        var run = c.Make();
        var before = run.Buffers.Select(b => (Array)b.Clone()).ToArray();
        var ex = Assert.Throws(c.Exception, run.Act);
        if (c.Parameter is not null)
        {
            Assert.Equal(c.Parameter, Assert.IsAssignableFrom<ArgumentException>(ex).ParamName);
        }

        Assert.Contains(c.Phrase, ex.Message, StringComparison.OrdinalIgnoreCase);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.True(Same(before[i], run.Buffers[i]), $"{name}: buffer {i} was written before validation failed");
        }
    }

    [Fact]
    public void LargeIndexTensor_FirstCulpritNamed_GradientUntouched()
    {
        // 65 536 indices: several chunks of the threaded range check, culprits in different chunks.
        var g = PoolGeometry.Torch([2, 8, 128, 128], TensorLayout.ChannelsFirst, 2, [2], [], [], [], false, TorchPoolKind.Max);
        var ix = new long[g.OutputLength];
        for (int i = 0; i < ix.Length; i++)
        {
            ix[i] = (i % 4096) * 4 % 16384;
        }

        ix[20001] = 16384;
        ix[60000] = -7;
        var dx = Enumerable.Repeat(Sentinel, (int)g.InputLength).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => MaxPool.Backward<double>(g, new double[g.OutputLength], ix, dx));
        Assert.Equal("indices", ex.ParamName);
        Assert.Contains("index 16384 at position 20001 is outside the spatial plane of 16384 elements", ex.Message, StringComparison.Ordinal);
        Assert.All(dx, v => Assert.Equal(Sentinel, v));
    }

    private static bool Same(Array a, Array b) => a.Length == b.Length && a.Cast<object>().SequenceEqual(b.Cast<object>());

    private static PoolGeometry G => PoolGeometry.Torch(Shape, TensorLayout.ChannelsFirst, 2, [2], [], [], [], false, TorchPoolKind.Max);

    private static PoolGeometry Lp => PoolGeometry.Torch(Shape, TensorLayout.ChannelsFirst, 2, [2], [], [], [], false, TorchPoolKind.Power);

    private static double[] D(int n) => Enumerable.Repeat(Sentinel, n).ToArray();

    private static long[] L(int n) => Enumerable.Repeat(4242L, n).ToArray();

    private static long[] ValidIndices => [.. Enumerable.Range(0, 18).Select(i => (long)(i % 9))];

    private static Dictionary<string, BadCase> Build()
    {
        var cases = new Dictionary<string, BadCase>();
        void Arg(string name, string? param, string phrase, Func<BadRun> make) => cases.Add(name, new BadCase(typeof(ArgumentException), param, phrase, make));
        void NotSupported(string name, string phrase, Func<BadRun> make) => cases.Add(name, new BadCase(typeof(NotSupportedException), null, phrase, make));
        static BadRun Geometry(Func<PoolGeometry> make) => new(() => make(), []);
        const TensorLayout CF = TensorLayout.ChannelsFirst;

        // ---- PoolGeometry.Torch
        Arg("Torch.ShapeRankMismatch", "inputShape", "must have 4 dimensions", () => Geometry(() => PoolGeometry.Torch([1, 2, 6], CF, 2, [2], [], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.SpatialRank0", "spatialRank", "must be 1, 2 or 3", () => Geometry(() => PoolGeometry.Torch([1, 2], CF, 0, [2], [], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.SpatialRank4", "spatialRank", "must be 1, 2 or 3", () => Geometry(() => PoolGeometry.Torch([1, 2, 3, 3, 3, 3], CF, 4, [2], [], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.NegativeDimension", "inputShape", "negative", () => Geometry(() => PoolGeometry.Torch([1, -2, 6, 6], CF, 2, [2], [], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.KernelZero", "kernelSize", "greater than zero", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2, 0], [1], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.KernelNegative", "kernelSize", "greater than zero", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [-1], [1], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.KernelListLength", "kernelSize", "1 or 2 values", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2, 2, 2], [], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.StrideZero", "stride", "greater than zero", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [0], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.StrideNegative", "stride", "greater than zero", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [1, -2], [], [], false, TorchPoolKind.Average)));
        Arg("Torch.DilationZero", "dilation", "greater than zero", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [], [], [0], false, TorchPoolKind.Max)));
        Arg("Torch.DilationNegative", "dilation", "greater than zero", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [], [], [-1], false, TorchPoolKind.Max)));
        Arg("Torch.PaddingNegative", "padding", "non-negative", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [], [-1], [], false, TorchPoolKind.Max)));
        Arg("Torch.PaddingAboveHalfKernel", "padding", "half the kernel", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [], [2], [], false, TorchPoolKind.Max)));
        Arg("Torch.OutputTooSmall", "inputShape", "too small", () => Geometry(() => PoolGeometry.Torch([1, 1, 2], CF, 1, [3], [], [], [], false, TorchPoolKind.Max)));
        Arg("Torch.HugeTensor", "inputShape", "exceeds the span limit", () => Geometry(() => PoolGeometry.Torch([4, 64, 100000, 100000], CF, 2, [2], [], [], [], false, TorchPoolKind.Max)));
        Arg("Adaptive.HugeOutput", "inputShape", "exceeds the span limit", () => Geometry(() => PoolGeometry.Adaptive([1, 1, 4, 4], CF, 2, [70000, 70000])));
        Arg("Adaptive.HugeOutputAxis", "inputShape", "exceeds the span limit", () => Geometry(() => PoolGeometry.Adaptive([1, 1, 4, 4], CF, 2, [int.MaxValue, int.MaxValue])));
        Arg("Torch.LpWithPadding", "padding", "no padding", () => Geometry(() => PoolGeometry.Torch(Shape, CF, 2, [2], [], [1], [], false, TorchPoolKind.Power)));
        Arg("Torch.AvgPool3dInputSmallerThanKernel", "inputShape", "smaller than the kernel", () => Geometry(() => PoolGeometry.Torch([1, 1, 1, 4, 4], CF, 3, [2], [1], [1], [], false, TorchPoolKind.Average)));

        // ---- PoolGeometry.Onnx
        Arg("Onnx.ShapeRank", "inputShape", "3 to 5 dimensions", () => Geometry(() => PoolGeometry.Onnx([1, 2], CF, [], [], [], [], AutoPad.NotSet, false)));
        Arg("Onnx.KernelShapeLength", "kernelShape", "one value per spatial axis", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2], [], [], [], AutoPad.NotSet, false)));
        Arg("Onnx.StridesLength", "strides", "one value per spatial axis", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [1], [], [], AutoPad.NotSet, false)));
        Arg("Onnx.DilationsLength", "dilations", "one value per spatial axis", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [], [], [1, 1, 1], AutoPad.NotSet, false)));
        Arg("Onnx.PadsLength", "pads", "two values per spatial axis", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [], [1, 1], [], AutoPad.NotSet, false)));
        Arg("Onnx.PadsWithAutoPad", "pads", "auto_pad", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [], [0, 1, 0, 0], [], AutoPad.SameUpper, false)));
        Arg("Onnx.KernelZero", "kernelShape", "positive", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 0], [], [], [], AutoPad.NotSet, false)));
        Arg("Onnx.StrideZero", "strides", "positive", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [1, 0], [], [], AutoPad.NotSet, false)));
        Arg("Onnx.DilationNegative", "dilations", "positive", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [], [], [-1, 1], AutoPad.NotSet, false)));
        Arg("Onnx.PadsNegative", "pads", "non-negative", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [], [0, 0, -1, 0], [], AutoPad.NotSet, false)));
        Arg("Onnx.PadsNotBelowEffectiveKernel", "pads", "smaller than the effective kernel", () => Geometry(() => PoolGeometry.Onnx(Shape, CF, [2, 2], [], [0, 2, 0, 0], [], AutoPad.NotSet, false)));
        Arg("Onnx.OutputTooSmall", "inputShape", "too small", () => Geometry(() => PoolGeometry.Onnx([1, 1, 2], CF, [3], [], [], [], AutoPad.Valid, false)));

        // ---- PoolGeometry.Adaptive / Global
        Arg("Adaptive.OutputSizeLength", "outputSize", "1 or 2 values", () => Geometry(() => PoolGeometry.Adaptive(Shape, CF, 2, [2, 2, 2])));
        Arg("Adaptive.EmptyInput", "inputShape", "empty axis", () => Geometry(() => PoolGeometry.Adaptive([1, 1, 0, 4], CF, 2, [2])));
        Arg("Adaptive.ShapeRankMismatch", "inputShape", "must have 4 dimensions", () => Geometry(() => PoolGeometry.Adaptive([1, 1, 4], CF, 2, [2])));
        Arg("Global.ShapeRank", "inputShape", "3 to 5 dimensions", () => Geometry(() => PoolGeometry.Global([1, 2], CF)));

        // ---- MaxPool.Forward
        Arg("MaxPool.Forward.InputLength", "input", "71 elements", () =>
        {
            var y = D(18);
            return new(() => MaxPool.Forward<double>(G, new double[71], y), [y]);
        });
        Arg("MaxPool.Forward.OutputLength", "output", "17 elements", () =>
        {
            var y = D(17);
            return new(() => MaxPool.Forward<double>(G, new double[72], y), [y]);
        });
        NotSupported("MaxPool.Forward.Int32", "Int32", () =>
        {
            var y = Enumerable.Repeat(4242, 18).ToArray();
            return new(() => MaxPool.Forward<int>(G, new int[72], y), [y]);
        });
        Arg("MaxPool.ForwardIndices.IndicesLength", "indices", "17 elements", () =>
        {
            var (y, ix) = (D(18), L(17));
            return new(() => MaxPool.Forward<double>(G, new double[72], y, ix), [y, ix]);
        });
        Arg("MaxPool.ForwardIndices.OutputLength", "output", "19 elements", () =>
        {
            var (y, ix) = (D(19), L(18));
            return new(() => MaxPool.Forward<double>(G, new double[72], y, ix), [y, ix]);
        });
        NotSupported("MaxPool.ForwardIndices.Int64", "Int64", () =>
        {
            var (y, ix) = (Enumerable.Repeat(4242L, 18).ToArray(), L(18));
            return new(() => MaxPool.Forward<long>(G, new long[72], y, ix), [y, ix]);
        });

        // ---- MaxPool.Backward (indices)
        Arg("MaxPool.Backward.GradOutputLength", "gradOutput", "17 elements", () =>
        {
            var dx = D(72);
            return new(() => MaxPool.Backward<double>(G, new double[17], ValidIndices, dx), [dx]);
        });
        Arg("MaxPool.Backward.IndicesLength", "indices", "19 elements", () =>
        {
            var dx = D(72);
            return new(() => MaxPool.Backward<double>(G, new double[18], L(19), dx), [dx]);
        });
        Arg("MaxPool.Backward.GradInputLength", "gradInput", "73 elements", () =>
        {
            var dx = D(73);
            return new(() => MaxPool.Backward<double>(G, new double[18], ValidIndices, dx), [dx]);
        });
        Arg("MaxPool.Backward.IndexOutsidePlane", "indices", "outside the spatial plane", () =>
        {
            var dx = D(72);
            var ix = ValidIndices;
            ix[17] = 36;
            return new(() => MaxPool.Backward<double>(G, new double[18], ix, dx), [dx]);
        });
        Arg("MaxPool.Backward.IndexBelowMinusOne", "indices", "outside the spatial plane", () =>
        {
            var dx = D(72);
            var ix = ValidIndices;
            ix[3] = -2;
            return new(() => MaxPool.Backward<double>(G, new double[18], ix, dx), [dx]);
        });
        Arg("MaxPool.Backward.OnnxIndexOfWrongPlane", "indices", "does not address the input plane", () =>
        {
            // Output 9 belongs to plane 1 (flat 36..71); flat index 5 addresses plane 0.
            var dx = D(72);
            var ix = Enumerable.Range(0, 18).Select(i => (long)((i / 9 * 36) + 1)).ToArray();
            ix[9] = 5;
            return new(() => MaxPool.Backward<double>(G, new double[18], ix, dx, IndexEncoding.OnnxRowMajor), [dx]);
        });
        Arg("MaxPool.Backward.OnnxColumnMajorIndexOfWrongPlane", "indices", "does not address the input plane", () =>
        {
            var dx = D(72);
            var ix = Enumerable.Range(0, 18).Select(i => (long)((i / 9 * 36) + 1)).ToArray();
            ix[0] = 40;
            return new(() => MaxPool.Backward<double>(G, new double[18], ix, dx, IndexEncoding.OnnxColumnMajor), [dx]);
        });
        NotSupported("MaxPool.Backward.Half", "Half", () =>
        {
            var dx = Enumerable.Repeat((Half)1, 72).ToArray();
            return new(() => MaxPool.Backward<Half>(G, new Half[18], ValidIndices, dx), [dx]);
        });

        // ---- MaxPool.Backward (input)
        Arg("MaxPool.BackwardInput.InputLength", "input", "70 elements", () =>
        {
            var dx = D(72);
            return new(() => MaxPool.Backward<double>(G, new double[70], new double[18], dx), [dx]);
        });
        Arg("MaxPool.BackwardInput.GradOutputLength", "gradOutput", "16 elements", () =>
        {
            var dx = D(72);
            return new(() => MaxPool.Backward<double>(G, new double[72], new double[16], dx), [dx]);
        });
        Arg("MaxPool.BackwardInput.GradInputLength", "gradInput", "71 elements", () =>
        {
            var dx = D(71);
            return new(() => MaxPool.Backward<double>(G, new double[72], new double[18], dx), [dx]);
        });
        NotSupported("MaxPool.BackwardInput.Half", "Half", () =>
        {
            var dx = Enumerable.Repeat((Half)1, 72).ToArray();
            return new(() => MaxPool.Backward<Half>(G, new Half[72], new Half[18], dx), [dx]);
        });

        // ---- AvgPool
        Arg("AvgPool.Forward.DivisorOverrideZero", "divisorOverride", "zero", () =>
        {
            var y = D(18);
            return new(() => AvgPool.Forward<double>(G, new double[72], y, true, 0), [y]);
        });
        Arg("AvgPool.Forward.InputLength", "input", "73 elements", () =>
        {
            var y = D(18);
            return new(() => AvgPool.Forward<double>(G, new double[73], y), [y]);
        });
        Arg("AvgPool.Forward.OutputLength", "output", "9 elements", () =>
        {
            var y = D(9);
            return new(() => AvgPool.Forward<double>(G, new double[72], y), [y]);
        });
        NotSupported("AvgPool.Forward.Half", "Half", () =>
        {
            var y = Enumerable.Repeat((Half)1, 18).ToArray();
            return new(() => AvgPool.Forward<Half>(G, new Half[72], y), [y]);
        });
        Arg("AvgPool.Backward.DivisorOverrideZero", "divisorOverride", "zero", () =>
        {
            var dx = D(72);
            return new(() => AvgPool.Backward<double>(G, new double[18], dx, false, 0), [dx]);
        });
        Arg("AvgPool.Backward.GradOutputLength", "gradOutput", "20 elements", () =>
        {
            var dx = D(72);
            return new(() => AvgPool.Backward<double>(G, new double[20], dx), [dx]);
        });
        Arg("AvgPool.Backward.GradInputLength", "gradInput", "36 elements", () =>
        {
            var dx = D(36);
            return new(() => AvgPool.Backward<double>(G, new double[18], dx), [dx]);
        });

        // ---- LpPool
        foreach (var (label, p) in new[] { ("Zero", 0.0), ("NaN", double.NaN), ("Infinity", double.PositiveInfinity) })
        {
            Arg($"LpPool.Forward.NormType{label}", "normType", "finite and non-zero", () =>
            {
                var y = D(18);
                return new(() => LpPool.Forward<double>(Lp, new double[72], p, y), [y]);
            });
            Arg($"LpPool.Backward.NormType{label}", "normType", "finite and non-zero", () =>
            {
                var dx = D(72);
                return new(() => LpPool.Backward<double>(Lp, new double[72], p, new double[18], dx), [dx]);
            });
        }

        Arg("LpPool.Forward.OnnxFractionalP", "normType", "positive integer", () =>
        {
            var y = D(18);
            return new(() => LpPool.Forward<double>(Lp, new double[72], 1.5, y, LpFlavor.Onnx), [y]);
        });
        Arg("LpPool.Forward.OnnxNegativeP", "normType", "positive integer", () =>
        {
            var y = D(18);
            return new(() => LpPool.Forward<double>(Lp, new double[72], -2, y, LpFlavor.Onnx), [y]);
        });
        Arg("LpPool.Forward.InputLength", "input", "1 elements", () =>
        {
            var y = D(18);
            return new(() => LpPool.Forward<double>(Lp, new double[1], 2, y), [y]);
        });
        Arg("LpPool.Forward.OutputLength", "output", "0 elements", () =>
        {
            var y = D(0);
            return new(() => LpPool.Forward<double>(Lp, new double[72], 2, y), [y]);
        });
        NotSupported("LpPool.Forward.Half", "Half", () =>
        {
            var y = Enumerable.Repeat((Half)1, 18).ToArray();
            return new(() => LpPool.Forward<Half>(Lp, new Half[72], 2, y), [y]);
        });
        Arg("LpPool.Backward.InputLength", "input", "71 elements", () =>
        {
            var dx = D(72);
            return new(() => LpPool.Backward<double>(Lp, new double[71], 2, new double[18], dx), [dx]);
        });
        Arg("LpPool.Backward.GradOutputLength", "gradOutput", "17 elements", () =>
        {
            var dx = D(72);
            return new(() => LpPool.Backward<double>(Lp, new double[72], 2, new double[17], dx), [dx]);
        });
        Arg("LpPool.Backward.GradInputLength", "gradInput", "70 elements", () =>
        {
            var dx = D(70);
            return new(() => LpPool.Backward<double>(Lp, new double[72], 2, new double[18], dx), [dx]);
        });

        // ---- MaxUnpool (input (1, 2, 3, 3) into 6 x 6 planes)
        int[] pooled = [1, 2, 3, 3];
        Arg("MaxUnpool.Forward.IndexOutOfRange", "indices", "invalid max index 36", () =>
        {
            var y = D(72);
            var ix = ValidIndices;
            ix[4] = 36;
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ix, [6, 6], y), [y]);
        });
        Arg("MaxUnpool.Forward.NegativeIndex", "indices", "invalid max index -1", () =>
        {
            var y = D(72);
            var ix = ValidIndices;
            ix[17] = -1;
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ix, [6, 6], y), [y]);
        });
        Arg("MaxUnpool.Forward.OnnxIndexOfWrongPlane", "indices", "does not address the output plane", () =>
        {
            var y = D(72);
            var ix = Enumerable.Range(0, 18).Select(i => (long)(i / 9 * 36)).ToArray();
            ix[2] = 40;
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ix, [6, 6], y, IndexEncoding.OnnxRowMajor), [y]);
        });
        Arg("MaxUnpool.Forward.ColumnMajorEncoding", "encoding", "row-major", () =>
        {
            var y = D(72);
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ValidIndices, [6, 6], y, IndexEncoding.OnnxColumnMajor), [y]);
        });
        Arg("MaxUnpool.Forward.InputLength", "input", "17 elements", () =>
        {
            var y = D(72);
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[17], ValidIndices, [6, 6], y), [y]);
        });
        Arg("MaxUnpool.Forward.IndicesLength", "indices", "17 elements", () =>
        {
            var y = D(72);
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], L(17), [6, 6], y), [y]);
        });
        Arg("MaxUnpool.Forward.OutputLength", "output", "71 elements", () =>
        {
            var y = D(71);
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ValidIndices, [6, 6], y), [y]);
        });
        Arg("MaxUnpool.Forward.OutputSpatialLength", "outputSpatial", "2 spatial values", () =>
        {
            var y = D(72);
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ValidIndices, [36], y), [y]);
        });
        Arg("MaxUnpool.Forward.NegativeOutputSpatial", "outputSpatial", "non-negative", () =>
        {
            var y = D(72);
            return new(() => MaxUnpool.Forward<double>(CF, pooled, new double[18], ValidIndices, [-6, -12], y), [y]);
        });
        Arg("MaxUnpool.Forward.ShapeRank", "inputShape", "3 to 5 dimensions", () =>
        {
            var y = D(72);
            return new(() => MaxUnpool.Forward<double>(CF, [1, 18], new double[18], ValidIndices, [], y), [y]);
        });
        NotSupported("MaxUnpool.Forward.Int32", "Int32", () =>
        {
            var y = Enumerable.Repeat(4242, 72).ToArray();
            return new(() => MaxUnpool.Forward<int>(CF, pooled, new int[18], ValidIndices, [6, 6], y), [y]);
        });
        Arg("MaxUnpool.Backward.IndexOutOfRange", "indices", "invalid max index 99", () =>
        {
            var dx = D(18);
            var ix = ValidIndices;
            ix[0] = 99;
            return new(() => MaxUnpool.Backward<double>(CF, pooled, ix, [6, 6], new double[72], dx), [dx]);
        });
        Arg("MaxUnpool.Backward.OnnxIndexOfWrongPlane", "indices", "does not address the output plane", () =>
        {
            var dx = D(18);
            var ix = Enumerable.Range(0, 18).Select(i => (long)(i / 9 * 36)).ToArray();
            ix[10] = 3;
            return new(() => MaxUnpool.Backward<double>(CF, pooled, ix, [6, 6], new double[72], dx, IndexEncoding.OnnxRowMajor), [dx]);
        });
        Arg("MaxUnpool.Backward.GradOutputLength", "gradOutput", "70 elements", () =>
        {
            var dx = D(18);
            return new(() => MaxUnpool.Backward<double>(CF, pooled, ValidIndices, [6, 6], new double[70], dx), [dx]);
        });
        Arg("MaxUnpool.Backward.GradInputLength", "gradInput", "19 elements", () =>
        {
            var dx = D(19);
            return new(() => MaxUnpool.Backward<double>(CF, pooled, ValidIndices, [6, 6], new double[72], dx), [dx]);
        });
        NotSupported("MaxUnpool.Backward.Half", "Half", () =>
        {
            var dx = Enumerable.Repeat((Half)1, 18).ToArray();
            return new(() => MaxUnpool.Backward<Half>(CF, pooled, ValidIndices, [6, 6], new Half[72], dx), [dx]);
        });

        // ---- MaxUnpool.TorchOutputSize
        Arg("MaxUnpool.TorchOutputSize.OutOfRange", "outputSize", "strictly between", () =>
            new(() => MaxUnpool.TorchOutputSize([3, 3], [2], [2], [0], [6, 8]), []));
        Arg("MaxUnpool.TorchOutputSize.Length", "outputSize", "must have 2 or 4 values", () =>
            new(() => MaxUnpool.TorchOutputSize([3, 3], [2], [2], [0], [6, 6, 6]), []));
        Arg("MaxUnpool.TorchOutputSize.KernelZero", null, "kernel 0", () =>
            new(() => MaxUnpool.TorchOutputSize([3, 3], [0], [2], [0], []), []));
        Arg("MaxUnpool.TorchOutputSize.StrideZero", null, "stride 0", () =>
            new(() => MaxUnpool.TorchOutputSize([3, 3], [2], [0], [0], []), []));
        Arg("MaxUnpool.TorchOutputSize.PaddingNegative", null, "padding -1", () =>
            new(() => MaxUnpool.TorchOutputSize([3, 3], [2], [2], [-1], []), []));
        Arg("MaxUnpool.TorchOutputSize.Negative", "outputSize", "negative", () =>
            new(() => MaxUnpool.TorchOutputSize([1], [1], [1], [1], []), []));
        return cases;
    }

    private sealed record BadCase(Type Exception, string? Parameter, string Phrase, Func<BadRun> Make);

    private sealed record BadRun(Action Act, Array[] Buffers);
}
