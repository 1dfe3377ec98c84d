using System.Numerics;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// <see cref="RoiAlign"/> forward and backward: against the independent <see cref="RoiAlignOracle"/> over random
/// shapes and boxes (both modes, aligned or not, fixed and adaptive sampling, spatial scales, boxes partly or
/// wholly outside the image, degenerate and inverted boxes, both layouts, float and double), against values
/// produced by torchvision 0.14.1 (Debian python3-torchvision, with torch 1.13), finite differences, and bad input.
/// </summary>
public sealed class RoiAlignTests
{
    private const double Sentinel = 4242;

    public static TheoryData<TensorLayout, string> LayoutsAndTypes => Harness.LayoutsAndTypes();

    public static TheoryData<TensorLayout> Layouts => Harness.Layouts();

    // ------------------------------------------------------------------ random sweeps against the oracle

    [Theory]
    [MemberData(nameof(LayoutsAndTypes))]
    public void Forward_MatchesOracle(TensorLayout layout, string type)
    {
        var failures = new Failures();
        foreach (var c in RandomCases(seed: 11, count: 400))
        {
            foreach (var mode in new[] { RoiAlignMode.Average, RoiAlignMode.Max })
            {
                failures.Count();
                var o = c.Options with { Mode = mode };
                failures.Add($"{mode} {type} {layout} {c}", type == "float" ? CompareForward<float>(c, o, layout) : CompareForward<double>(c, o, layout));
            }
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(LayoutsAndTypes))]
    public void Backward_MatchesOracle(TensorLayout layout, string type)
    {
        var failures = new Failures();
        foreach (var c in RandomCases(seed: 12, count: 300))
        {
            failures.Count();
            failures.Add($"{type} {layout} {c}", type == "float" ? CompareBackward<float>(c, layout) : CompareBackward<double>(c, layout));
        }

        failures.AssertNone();
    }

    /// <summary>Average mode is linear in x, so central differences of L = Σ g·y are exact up to rounding.</summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        foreach (var c in RandomCases(seed: 13, count: 40))
        {
            var o = c.Options;
            var shape = Harness.Shape(c.Shape, layout);
            var x = Harness.ToLibrary<double>(c.X, c.Shape, layout);
            int outLength = c.Batch.Length * c.Shape[1] * o.OutputHeight * o.OutputWidth;
            var gy = TestData.Make(DataKind.Normal, outLength, new Random(5));
            var dx = Enumerable.Repeat(double.NaN, x.Length).ToArray();
            RoiAlign.Backward<double>(layout, shape, c.Rois, c.Batch, o, gy, dx);
            Harness.AssertGradient(x, gy, dx, (input, y) => RoiAlign.Forward<double>(layout, shape, input, c.Rois, c.Batch, o, y), eps: 1e-3, tolerance: 1e-8);
        }
    }

    // ------------------------------------------------------------------ torchvision

    // The torchvision values below were produced with Debian's python3-torchvision 0.14.1 (torch 1.13):
    //
    //   import torch; from torchvision.ops import roi_align
    //   N, C, H, W = 2, 2, 5, 6
    //   x = torch.tensor([((i*37) % 101)/10.0 - 5 for i in range(N*C*H*W)], dtype=torch.float64).reshape(N, C, H, W)
    //   boxes = torch.tensor([[0, 0.5, 0.7, 4.2, 3.9], [1, -1.5, -0.8, 2.3, 6.5],
    //                         [0, 3.0, 2.0, 3.0, 2.0], [1, 4.4, 1.1, 7.9, 4.6]], dtype=torch.float64)
    //   roi_align(x, boxes, (2, 3), spatial_scale=1.0, sampling_ratio=sr, aligned=a).flatten()   # sr in (-1, 2), a in (False, True)
    //   roi_align(x, boxes, (3, 2), spatial_scale=0.625, sampling_ratio=0, aligned=False).flatten()
    //   gy = torch.tensor([((i*13) % 7) - 3.0 for i in range(48)], dtype=torch.float64).reshape(4, C, 2, 3)
    //   xr = x.clone().requires_grad_(True); roi_align(xr, boxes, (2, 3), 1.0, sr, a).backward(gy); xr.grad.flatten()
    //                                                               # (a, sr) in ((True, -1), (False, 2))
    //
    // Box 1 reaches outside the image on the left, top and bottom, box 2 is degenerate (a point), box 3 leaves on the right.
    private static readonly int[] TvShape = [2, 2, 5, 6];
    private static readonly double[] TvRois = [0.5, 0.7, 4.2, 3.9, -1.5, -0.8, 2.3, 6.5, 3.0, 2.0, 3.0, 2.0, 4.4, 1.1, 7.9, 4.6];
    private static readonly long[] TvBatch = [0, 1, 0, 1];

    private static double[] TvInput => [.. Enumerable.Range(0, 120).Select(i => (((i * 37) % 101) / 10.0) - 5)];

    private static double[] TvGradOutput => [.. Enumerable.Range(0, 48).Select(i => ((i * 13) % 7) - 3.0)];

    [Theory]
    [MemberData(nameof(LayoutsAndTypes))]
    public void Forward_MatchesTorchvision(TensorLayout layout, string type)
    {
        var cases = new (RoiAlignOptions Options, double[] Expected)[]
        {
            (new RoiAlignOptions(2, 3, 1.0, -1, Aligned: false), TvAlignedFalseSrAdaptive),
            (new RoiAlignOptions(2, 3, 1.0, 2, Aligned: false), TvAlignedFalseSr2),
            (new RoiAlignOptions(2, 3, 1.0, -1, Aligned: true), TvAlignedTrueSrAdaptive),
            (new RoiAlignOptions(2, 3, 1.0, 2, Aligned: true), TvAlignedTrueSr2),
            (new RoiAlignOptions(3, 2, 0.625, 0, Aligned: false), TvScale0625Out3x2),
        };
        foreach (var (o, expected) in cases)
        {
            var actual = type == "float" ? RunForward<float>(TvInput, TvShape, TvRois, TvBatch, o, layout) : RunForward<double>(TvInput, TvShape, TvRois, TvBatch, o, layout);
            Assert.Null(Harness.CloseToMax(expected, actual, type == "float" ? 1e-5 : 1e-13, $"{o} {type} {layout}"));
        }
    }

    [Theory]
    [MemberData(nameof(LayoutsAndTypes))]
    public void Backward_MatchesTorchvision(TensorLayout layout, string type)
    {
        var cases = new (RoiAlignOptions Options, double[] Expected)[]
        {
            (new RoiAlignOptions(2, 3, 1.0, -1, Aligned: true), TvGradAlignedTrueSrAdaptive),
            (new RoiAlignOptions(2, 3, 1.0, 2, Aligned: false), TvGradAlignedFalseSr2),
        };
        foreach (var (o, expected) in cases)
        {
            var actual = type == "float" ? RunBackward<float>(TvGradOutput, TvShape, TvRois, TvBatch, o, layout) : RunBackward<double>(TvGradOutput, TvShape, TvRois, TvBatch, o, layout);
            Assert.Null(Harness.CloseToMax(expected, actual, type == "float" ? 1e-5 : 1e-13, $"{o} {type} {layout}"));
        }
    }

    // ------------------------------------------------------------------ rules by name

    /// <summary>
    /// ONNX max mode is the maximum of the individually weighted corners: a constant 1 image sampled at the
    /// centre of four pixels gives 0.25 (each corner weighs 1/4), while the average gives 1.
    /// </summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void MaxMode_IsTheMaximumOfWeightedCorners(TensorLayout layout)
    {
        int[] shape = [1, 1, 2, 2];
        double[] ones = [1, 1, 1, 1];
        var avg = RunForward<double>(ones, shape, [0, 0, 1, 1], [0], new RoiAlignOptions(1, 1, 1.0, 1, Aligned: false), layout);
        var max = RunForward<double>(ones, shape, [0, 0, 1, 1], [0], new RoiAlignOptions(1, 1, 1.0, 1, Aligned: false, Mode: RoiAlignMode.Max), layout);
        Assert.Equal([1.0], avg);
        Assert.Equal([0.25], max);

        // A negative image: the weighted corners are -0.25 each; samples on a pixel centre (weight 1, 0, 0, 0) give max(-1, 0, 0, 0) = 0.
        double[] minus = [-1, -1, -1, -1];
        Assert.Equal([-0.25], RunForward<double>(minus, shape, [0, 0, 1, 1], [0], new RoiAlignOptions(1, 1, 1.0, 1, Aligned: false, Mode: RoiAlignMode.Max), layout));
        Assert.Equal([0.0], RunForward<double>(minus, shape, [0, 0, 0, 0], [0], new RoiAlignOptions(1, 1, 1.0, 1, Aligned: true, Mode: RoiAlignMode.Max), layout));
    }

    [Theory]
    [MemberData(nameof(LayoutsAndTypes))]
    public void SpatialScale_EqualsScaledBoxes(TensorLayout layout, string type)
    {
        var doubled = TvRois.Select(v => v * 4).ToArray();
        foreach (bool aligned in new[] { false, true })
        {
            foreach (int sr in new[] { 0, 2 })
            {
                foreach (var mode in new[] { RoiAlignMode.Average, RoiAlignMode.Max })
                {
                    var o = new RoiAlignOptions(2, 3, 1.0, sr, aligned, mode);
                    var plain = type == "float" ? RunForward<float>(TvInput, TvShape, TvRois, TvBatch, o, layout) : RunForward<double>(TvInput, TvShape, TvRois, TvBatch, o, layout);
                    var scaled = type == "float"
                        ? RunForward<float>(TvInput, TvShape, doubled, TvBatch, o with { SpatialScale = 0.25 }, layout)
                        : RunForward<double>(TvInput, TvShape, doubled, TvBatch, o with { SpatialScale = 0.25 }, layout);
                    Assert.Null(Harness.Exact(plain, scaled, $"{o} {type} {layout}"));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void DegenerateAndOutsideBoxes(TensorLayout layout)
    {
        int[] shape = [1, 2, 4, 5];
        var x = TestData.Make(DataKind.Positive, 40, new Random(3));
        double[] rois =
        [
            2, 1, 2, 1,         // a point
            3, 3, 1, 2,         // inverted
            20, 20, 30, 30,     // wholly below and right of the image
            -9, -9, -4, -3,     // wholly above and left
        ];
        long[] batch = [0, 0, 0, 0];
        foreach (var mode in new[] { RoiAlignMode.Average, RoiAlignMode.Max })
        {
            // aligned, adaptive grid: a point or an inverted box has no sample, so every output is 0.
            var y = RunForward<double>(x, shape, rois, batch, new RoiAlignOptions(2, 2, 1.0, 0, Aligned: true, Mode: mode), layout);
            Assert.All(y, v => Assert.Equal(0.0, v));

            // not aligned: the RoI grows to 1×1 and samples the image; boxes outside still give 0.
            var o = new RoiAlignOptions(2, 2, 1.0, 0, Aligned: false, Mode: mode);
            y = RunForward<double>(x, shape, rois, batch, o, layout);
            Assert.Null(Harness.CloseToMax(RoiAlignOracle.Forward(x, shape, rois, batch, 2, 2, 1.0, 0, false, mode == RoiAlignMode.Max), y, 1e-13, $"{mode} not aligned"));
            Assert.All(y.AsSpan(0, 8).ToArray(), v => Assert.True(v > 0, "the point box samples the positive image"));
            Assert.All(y.AsSpan(16, 16).ToArray(), v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void FloatBins_AreComputedInFloat_AsTorchvisionDoes()
    {
        // x = 0.7f .. 2.7f: in float the width is exactly 2 (two samples per bin); in double it is 2.0000000596
        // (three). Values from torchvision 0.14.1: roi_align((arange(16)**2).reshape(1,1,4,4), [[0, 0.7, 0.5, 2.7, 1.5]],
        // (1, 1), 1.0, 0, False) in float32 and float64.
        var plane = Enumerable.Range(0, 16).Select(i => (double)i * i).ToArray();
        var o = new RoiAlignOptions(1, 1, 1.0, 0, Aligned: false);
        var yf = new float[1];
        RoiAlign.Forward<float>(TensorLayout.ChannelsFirst, [1, 1, 4, 4], plane.Select(v => (float)v).ToArray(), [0.7f, 0.5f, 2.7f, 1.5f], [0], o, yf);
        Assert.Equal(32.900001525878906, yf[0], 1e-5);
        var yd = new double[1];
        RoiAlign.Forward<double>(TensorLayout.ChannelsFirst, [1, 1, 4, 4], plane, [0.7f, 0.5f, 2.7f, 1.5f], [0], o, yd);
        Assert.Equal(32.944444666306175, yd[0], 1e-12);
    }

    [Fact]
    public void FloatAndDouble_Agree()
    {
        foreach (var c in RandomCases(seed: 14, count: 100))
        {
            var d = RunForward<double>(Harness.RoundTrip<float>(c.X), c.Shape, Harness.RoundTrip<float>(c.Rois), c.Batch, c.Options, TensorLayout.ChannelsFirst);
            var f = RunForward<float>(c.X, c.Shape, c.Rois, c.Batch, c.Options, TensorLayout.ChannelsFirst);
            Assert.Null(Harness.CloseToMax(d, f, 1e-5, c.ToString()));
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Backward_OverwritesGradInput(TensorLayout layout)
    {
        var o = new RoiAlignOptions(2, 3, 1.0, 0);
        var shape = Harness.Shape(TvShape, layout);
        var clean = new double[120];
        var dirty = Enumerable.Repeat(Sentinel, 120).ToArray();
        var gy = Harness.ToLibrary<double>(TvGradOutput, [4, 2, 2, 3], layout);
        RoiAlign.Backward<double>(layout, shape, TvRois, TvBatch, o, gy, clean);
        RoiAlign.Backward<double>(layout, shape, TvRois, TvBatch, o, gy, dirty);
        Assert.Equal(clean, dirty);
    }

    [Fact]
    public void NoRois_GiveEmptyOutput()
    {
        var o = new RoiAlignOptions(2, 2);
        RoiAlign.Forward<float>(TensorLayout.ChannelsFirst, [1, 1, 3, 3], new float[9], [], [], o, []);
        var dx = Enumerable.Repeat(1f, 9).ToArray();
        RoiAlign.Backward<float>(TensorLayout.ChannelsFirst, [1, 1, 3, 3], [], [], o, [], dx);
        Assert.All(dx, v => Assert.Equal(0f, v));
    }

    // ------------------------------------------------------------------ bad input

    public static TheoryData<string> BadNames => new(BadCases().Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(BadNames))]
    public void BadInput_ThrowsAndLeavesOutputUntouched(string name)
    {
        var (act, buffer, param, phrase) = BadCases()[name];
        var ex = Assert.Throws<ArgumentException>(act);
        if (param is not null)
        {
            Assert.Equal(param, ex.ParamName);
        }

        Assert.Contains(phrase, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.All(buffer, v => Assert.Equal(Sentinel, v));
    }

    private static Dictionary<string, (Action Act, double[] Buffer, string? Param, string Phrase)> BadCases()
    {
        const TensorLayout CF = TensorLayout.ChannelsFirst;
        int[] shape = [2, 3, 4, 4];
        var x = new double[96];
        var ok = new RoiAlignOptions(2, 2);
        double[] Out(int k) => Enumerable.Repeat(Sentinel, k * 12).ToArray();
        var cases = new Dictionary<string, (Action, double[], string?, string)>();
        void Fwd(string name, int[] s, double[] input, double[] rois, long[] batch, RoiAlignOptions o, double[] output, string? param, string phrase) =>
            cases.Add("Forward." + name, (() => RoiAlign.Forward<double>(CF, s, input, rois, batch, o, output), output, param, phrase));
        void Bwd(string name, double[] rois, long[] batch, RoiAlignOptions o, double[] gradOutput, string? param, string phrase)
        {
            var gx = Enumerable.Repeat(Sentinel, 96).ToArray();
            cases.Add("Backward." + name, (() => RoiAlign.Backward<double>(CF, shape, rois, batch, o, gradOutput, gx), gx, param, phrase));
        }

        Fwd("RoisNotMultipleOf4", shape, x, [0, 0, 1, 1, 2, 2, 3], [0], ok, Out(1), "rois", "multiple of 4");
        Fwd("BatchIndexTooLarge", shape, x, [0, 0, 1, 1, 0, 0, 2, 2], [1, 2], ok, Out(2), "batchIndices", "batch index 2");
        Fwd("BatchIndexNegative", shape, x, [0, 0, 1, 1], [-1], ok, Out(1), "batchIndices", "batch index -1");
        Fwd("BatchIndicesLength", shape, x, [0, 0, 1, 1], [0, 0], ok, Out(1), "batchIndices", "batchIndices");
        Fwd("OutputHeightZero", shape, x, [0, 0, 1, 1], [0], ok with { OutputHeight = 0 }, Out(1), null, "must be positive");
        Fwd("OutputWidthNegative", shape, x, [0, 0, 1, 1], [0], ok with { OutputWidth = -2 }, Out(1), null, "must be positive");
        Fwd("SpatialScaleNaN", shape, x, [0, 0, 1, 1], [0], ok with { SpatialScale = double.NaN }, Out(1), null, "finite");
        Fwd("OutputLength", shape, x, [0, 0, 1, 1], [0], ok, Out(2), "output", "output");
        Fwd("InputLength", shape, new double[95], [0, 0, 1, 1], [0], ok, Out(1), "input", "input");
        Fwd("InputShapeRank3", [2, 3, 16], x, [0, 0, 1, 1], [0], ok, Out(1), "inputShape", "dimensions");
        Bwd("MaxMode", [0, 0, 1, 1], [0], ok with { Mode = RoiAlignMode.Max }, new double[12], "options", "average mode");
        Bwd("RoisNotMultipleOf4", [0, 0, 1], [0], ok, new double[12], "rois", "multiple of 4");
        Bwd("BatchIndexTooLarge", [0, 0, 1, 1], [2], ok, new double[12], "batchIndices", "batch index 2");
        Bwd("OutputSizeZero", [0, 0, 1, 1], [0], ok with { OutputWidth = 0 }, [], null, "must be positive");
        Bwd("GradOutputLength", [0, 0, 1, 1], [0], ok, new double[11], "gradOutput", "gradOutput");
        return cases;
    }

    // ------------------------------------------------------------------ helpers

    private sealed record Case(int[] Shape, double[] X, double[] Rois, long[] Batch, RoiAlignOptions Options)
    {
        public override string ToString() =>
            $"shape {Harness.Format(Shape)} rois [{string.Join(", ", Rois.Select(v => v.ToString("0.###")))}] batch [{string.Join(",", Batch)}] {Options}";
    }

    /// <summary>
    /// Random shapes, options and boxes: a sixth of the boxes are points, a sixth are inverted, the others lie
    /// anywhere from well outside to inside the image (in box coordinates, i.e. before the spatial scale).
    /// </summary>
    private static IEnumerable<Case> RandomCases(int seed, int count)
    {
        var rng = new Random(seed);
        double[] scales = [1.0, 0.5, 0.25, 1.7, 0.625];
        int[] ratios = [-1, 0, 1, 2, 3];
        for (int i = 0; i < count; i++)
        {
            int[] shape = [rng.Next(1, 4), rng.Next(1, 5), rng.Next(1, 10), rng.Next(1, 10)];
            double scale = scales[rng.Next(scales.Length)];
            var o = new RoiAlignOptions(rng.Next(1, 5), rng.Next(1, 5), scale, ratios[rng.Next(ratios.Length)], Aligned: rng.Next(2) == 0);
            int k = rng.Next(0, 6);
            var rois = new double[4 * k];
            var batch = new long[k];
            for (int r = 0; r < k; r++)
            {
                batch[r] = rng.Next(shape[0]);
                double h = shape[2] / scale, w = shape[3] / scale;
                double x1 = Math.Round((rng.NextDouble() * (w + 4)) - 2, 3), y1 = Math.Round((rng.NextDouble() * (h + 4)) - 2, 3);
                double x2, y2;
                switch (rng.Next(6))
                {
                    case 0:
                        (x2, y2) = (x1, y1);
                        break;
                    case 1:
                        (x2, y2) = (x1 - Math.Round(rng.NextDouble() * 3, 3), y1 - Math.Round(rng.NextDouble() * 3, 3));
                        break;
                    default:
                        (x2, y2) = (x1 + Math.Round(rng.NextDouble() * w, 3), y1 + Math.Round(rng.NextDouble() * h, 3));
                        break;
                }

                (rois[4 * r], rois[(4 * r) + 1], rois[(4 * r) + 2], rois[(4 * r) + 3]) = (x1, y1, x2, y2);
            }

            var x = TestData.Make(DataKind.Normal, TestData.Volume(shape), rng);
            yield return new Case(shape, x, rois, batch, o);
        }
    }

    /// <summary>Runs the library on channels-first data laid out in <paramref name="layout"/>; the result comes back channels-first.</summary>
    private static double[] RunForward<T>(double[] x, int[] shape, double[] rois, long[] batch, RoiAlignOptions o, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] outShape = [batch.Length, shape[1], o.OutputHeight, o.OutputWidth];
        var y = Enumerable.Repeat(T.CreateChecked(Sentinel), (int)TestData.Volume(outShape)).ToArray();
        RoiAlign.Forward<T>(layout, Harness.Shape(shape, layout), Harness.ToLibrary<T>(x, shape, layout), rois.Select(T.CreateChecked).ToArray(), batch, o, y);
        return Harness.FromLibrary(y, outShape, layout);
    }

    /// <summary>The gradient with respect to the input, channels-first, for a channels-first gradOutput.</summary>
    private static double[] RunBackward<T>(double[] gy, int[] shape, double[] rois, long[] batch, RoiAlignOptions o, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] outShape = [batch.Length, shape[1], o.OutputHeight, o.OutputWidth];
        var dx = Enumerable.Repeat(T.CreateChecked(Sentinel), (int)TestData.Volume(shape)).ToArray();
        RoiAlign.Backward<T>(layout, Harness.Shape(shape, layout), rois.Select(T.CreateChecked).ToArray(), batch, o, Harness.ToLibrary<T>(gy, outShape, layout), dx);
        return Harness.FromLibrary(dx, shape, layout);
    }

    private static string? CompareForward<T>(Case c, RoiAlignOptions o, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Harness.RoundTrip<T>(c.X);
        var rois = Harness.RoundTrip<T>(c.Rois);
        var expected = RoiAlignOracle.Forward(x, c.Shape, rois, c.Batch, o.OutputHeight, o.OutputWidth, o.SpatialScale, o.SamplingRatio, o.Aligned, o.Mode == RoiAlignMode.Max);
        var actual = RunForward<T>(x, c.Shape, rois, c.Batch, o, layout);
        return Harness.Close(expected, actual, Scale(x, expected.Length), Tolerance<T>(), "y");
    }

    private static string? CompareBackward<T>(Case c, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = c.Options;
        var rois = Harness.RoundTrip<T>(c.Rois);
        int outLength = c.Batch.Length * c.Shape[1] * o.OutputHeight * o.OutputWidth;
        var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, outLength, new Random(outLength)));
        var expected = RoiAlignOracle.Backward(gy, c.Shape, rois, c.Batch, o.OutputHeight, o.OutputWidth, o.SpatialScale, o.SamplingRatio, o.Aligned);
        var actual = RunBackward<T>(gy, c.Shape, rois, c.Batch, o, layout);

        // a gradient element collects up to (RoIs × bins × samples) terms of size |g|; scale by the total |g|.
        double total = gy.Sum(Math.Abs);
        return Harness.Close(expected, actual, Enumerable.Repeat(Math.Max(total, 1), expected.Length).ToArray(), Tolerance<T>(), "dx");
    }

    /// <summary>A magnitude for every output: the largest |x| (every output is a weighted mean or a weighted corner of x).</summary>
    private static double[] Scale(double[] x, int length)
    {
        double max = x.Select(Math.Abs).DefaultIfEmpty(0).Max();
        return Enumerable.Repeat(Math.Max(max, 1), length).ToArray();
    }

    private static double Tolerance<T>() => typeof(T) == typeof(float) ? 1e-5 : 1e-12;

    private static readonly double[] TvAlignedFalseSrAdaptive =
    [
        1.0585416666666667, -0.12250000000000072, 1.158333333333334, 1.4389583333333327, -0.20500000000000007, -0.6495833333333336, 0.9585416666666664, -0.22250000000000042,
        1.058333333333334, 1.338958333333333, -0.3049999999999997, -0.7495833333333334, 0.31789062500000004, 0.6702187500000001, 0.6951041666666667, 0.5265624999999998,
        0.4738125000000005, -0.3296354166666667, 0.2678906250000002, 0.5702187500000004, 0.5951041666666665, 0.5015624999999999, 0.4238125000000005, -0.37963541666666656,
        0.6958333333333331, 1.0874999999999997, 1.4791666666666656, 0.8541666666666672, -0.4375000000000002, -1.7291666666666656, 0.5958333333333334, 0.9875,
        1.379166666666666, 0.7541666666666675, -0.5374999999999999, -1.8291666666666657, -2.284481770833335, -1.475, 0.0, -0.18291666666666606,
        0.19374999999999964, 0.0, -2.384481770833335, -1.5250000000000001, 0.0, -0.2829166666666658, 0.14374999999999982, 0.0,
    ];

    private static readonly double[] TvAlignedFalseSr2 =
    [
        1.0585416666666667, -0.12250000000000072, 1.158333333333334, 1.4389583333333327, -0.20500000000000007, -0.6495833333333336, 0.9585416666666664, -0.22250000000000042,
        1.058333333333334, 1.338958333333333, -0.3049999999999997, -0.7495833333333334, 0.6659375000000001, 1.0191250000000003, -0.13958333333333273, 0.5812499999999998,
        0.36225000000000035, -0.404375, 0.6159375000000001, 0.9191250000000003, -0.23958333333333282, 0.5562499999999999, 0.31225000000000047, -0.454375,
        0.6958333333333333, 1.0875, 1.4791666666666659, 0.8541666666666663, -0.437500000000001, -1.7291666666666667, 0.5958333333333337, 0.9875000000000003,
        1.3791666666666662, 0.7541666666666665, -0.5375000000000006, -1.8291666666666664, -2.284481770833335, -1.475, 0.0, -0.18291666666666606,
        0.19374999999999964, 0.0, -2.384481770833335, -1.5250000000000001, 0.0, -0.2829166666666658, 0.14374999999999982, 0.0,
    ];

    private static readonly double[] TvAlignedTrueSrAdaptive =
    [
        -0.7183333333333328, 1.6482500000000002, -0.7826666666666676, 2.4816666666666665, -0.7404166666666671, 0.321583333333334, -0.043999999999999984, 1.5482500000000003,
        -0.8826666666666674, 2.381666666666667, -0.8404166666666669, 0.2215833333333343, 0.0, 1.063052083333334, 0.41244921874999996, 0.0,
        1.1929752604166661, -0.19618489583333304, 0.0, 0.9630520833333343, 0.31244921875, 0.0, 1.1179752604166664, -0.27118489583333294,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, -0.6433333333333364, -3.95, 0.0, -1.8072187499999985,
        -0.45000000000000107, 0.0, -0.7433333333333363, -4.050000000000001, 0.0, -1.9072187499999986, -0.5500000000000007, 0.0,
    ];

    private static readonly double[] TvAlignedTrueSr2 =
    [
        -0.7183333333333328, 1.6482500000000002, -0.7826666666666676, 2.4816666666666665, -0.7404166666666671, 0.321583333333334, -0.043999999999999984, 1.5482500000000003,
        -0.8826666666666674, 2.381666666666667, -0.8404166666666669, 0.2215833333333343, 0.0, 1.1412499999999997, 0.39898437499999995, 0.0,
        0.7193072916666664, 0.6945729166666677, 0.0, 1.04125, 0.2989843750000001, 0.0, 0.6693072916666666, 0.6445729166666677,
        -0.32499999999999996, -0.32499999999999996, -0.32499999999999996, -0.32499999999999996, -0.32499999999999996, -0.32499999999999996, -0.4249999999999997, -0.4249999999999997,
        -0.4249999999999997, -0.4249999999999997, -0.4249999999999997, -0.4249999999999997, -0.6433333333333364, -3.95, 0.0, -1.8072187499999985,
        -0.45000000000000107, 0.0, -0.7433333333333363, -4.050000000000001, 0.0, -1.9072187499999986, -0.5500000000000007, 0.0,
    ];

    private static readonly double[] TvScale0625Out3x2 =
    [
        -0.16302083333333328, 2.418619791666667, 0.7733154296875, 0.6104980468750013, 1.5962239583333329, -2.095182291666667, 0.19808756510416656, 2.318619791666667,
        0.6733154296874997, 0.5104980468750016, 1.4962239583333328, -2.195182291666667, 2.30546875, 0.11781616210937507, -1.6375000000000006, 0.9868957519531245,
        1.4041666666666663, 1.3932169596354171, 2.2054687500000005, 0.01781616210937518, -1.7375000000000003, 0.8868957519531249, 1.3041666666666667, 1.2932169596354175,
        0.7510416666666666, -0.3447916666666667, -1.528125, -0.940625, -3.0708333333333337, -1.220833333333334, 0.6510416666666664, -0.44479166666666653,
        -1.6281249999999998, -1.0406249999999997, -3.170833333333334, -1.3208333333333335, -0.9973958333333336, -0.8958333333333338, 0.4609374999999995, 0.5624999999999993,
        0.388818359375, -1.120621744791666, -1.0973958333333333, -0.9958333333333333, 0.3609374999999998, 0.4624999999999999, 0.2888183593750002, -1.220621744791666,
    ];

    private static readonly double[] TvGradAlignedTrueSrAdaptive =
    [
        -0.23, -0.23250000000000007, 0.46, 0.3241666666666667, 0.07833333333333332, 0.0, -0.6899999999999998, -0.6974999999999999,
        1.38, 0.9725, 0.23499999999999993, 0.0, -0.07666666666666674, 0.014166666666666494, 0.41500000000000015, 0.04750000000000015,
        4.163336342344337e-17, 0.0, 0.23, 0.3700000000000001, -0.06749999999999991, -0.4150000000000002, -0.1175, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.15333333333333332, -0.38416666666666666,
        -0.3475000000000002, 0.36750000000000016, 0.1175, 0.0, -0.4599999999999999, -1.1524999999999999, -1.0425000000000004, 1.1025000000000005,
        0.3524999999999999, 0.0, 0.15333333333333324, 0.2008333333333331, -0.07083333333333361, 0.3991666666666669, 0.11750000000000002, 0.0,
        0.46, 0.8775000000000002, 0.41500000000000015, 0.04749999999999997, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, -0.9790625000000002, -1.1050000000000002, -0.35343749999999996, 0.0,
        0.0, 0.0, -0.5805338541666667, -0.6552083333333332, -0.20957031249999986, 0.0, 0.8137499999999992, 1.8112500000000011,
        -0.35872395833333315, -0.46286458333333325, -0.15028645833333323, 0.0, 0.7362499999999992, 1.5325000000000002, 0.505234375, 0.2446875,
        0.06570312499999997, 0.0, 0.0, -0.5625, 0.7985026041666665, 0.3867187499999998, 0.10384114583333327, 0.0,
        0.0, -0.3312499999999998, -0.5078125000000001, -0.7190625, -0.23562499999999992, 0.0, 0.0, 0.0,
        -0.3011067708333333, -0.4263671874999999, -0.13971354166666658, 0.0, -0.8137499999999992, 0.8137499999999991, -0.09591145833333298, -0.24763020833333307,
        -0.08458333333333325, 0.0, -0.6813541666666658, 0.7876041666666662, 0.7680468750000001, 0.45992187500000004, 0.13140624999999995, 0.0,
        0.29062499999999974, 0.27187500000000026, 1.2138671874999998, 0.726888020833333, 0.20768229166666655, 0.0, 0.17114583333333308, 0.16010416666666677,
    ];

    private static readonly double[] TvGradAlignedFalseSr2 =
    [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.14374999999999993, -1.0374999999999996,
        0.6562499999999996, 0.9416666666666664, 0.5833333333333335, 0.0, -0.12937500000000005, -0.9337500000000002, 0.688125, 0.7125000000000002,
        0.16250000000000014, 0.0, 0.05749999999999998, 0.4149999999999999, 0.1275, -2.083333333333333, -0.01666666666666705, 0.0,
        0.02395833333333333, 0.17291666666666666, 0.053125000000000006, -0.10416666666666663, -0.14583333333333337, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, -0.0958333333333333, -0.6916666666666665, -1.1874999999999996, 0.09999999999999964,
        0.8750000000000001, 0.0, -0.06708333333333333, -0.48416666666666675, -1.02625, 1.194166666666666, 0.5833333333333341, 0.0,
        0.11499999999999996, 0.8299999999999998, 0.6449999999999999, -0.9983333333333332, -2.541666666666667, 0.0, 0.04791666666666666, 0.3458333333333333,
        0.26875, 0.08750000000000002, 0.0, 0.0, -0.7543750000000002, -0.7987500000000001, -0.8875, 0.0,
        0.0, 0.0, -0.14875000000000013, -0.1575000000000002, -0.1750000000000001, 0.0, 0.10695312499999976, 0.8180468750000001,
        -0.7968749999999999, -0.8437499999999999, -0.9374999999999996, 0.0, 0.26015624999999953, 1.9898437500000015, 0.3206250000000004, 0.13458333333333347,
        0.07916666666666675, 0.0, 0.09539062499999972, 0.5514843749999995, 1.0293749999999997, 0.4320833333333332, 0.25416666666666654, 0.0,
        0.0, -0.3218749999999999, -0.2662500000000001, -0.4733333333333334, -0.5916666666666666, 0.0, 0.0, 0.0,
        -0.05250000000000006, -0.09333333333333343, -0.11666666666666674, 0.0, -0.10695312499999976, -0.23992187500000017, -0.28125, -0.49999999999999994,
        -0.6249999999999998, 0.0, -0.26015624999999953, -0.5835937500000008, 0.03562500000000006, 0.22166666666666693, 0.1583333333333335, 0.0,
        -0.040468749999999803, 0.08734375000000026, 0.11437500000000003, 0.7116666666666664, 0.5083333333333331, 0.0, 0.09924479166666643, 0.5445052083333334,
    ];
}
