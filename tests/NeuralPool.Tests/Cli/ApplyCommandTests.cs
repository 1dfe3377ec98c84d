using NeuralPool.Interop;

namespace NeuralPool.Tests.Cli;

public class ApplyCommandTests
{
    /// <summary>1..32 as (N, C, H, W) = (1, 2, 4, 4).</summary>
    private static readonly float[] Ramp = Enumerable.Range(1, 32).Select(v => (float)v).ToArray();

    [Theory]
    [InlineData("nchw")]
    [InlineData("nhwc")]
    public void MaxPool2dWithIndices(string layout)
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", ToLayout(Ramp, [1, 2, 4, 4], layout), Shape([1, 2, 4, 4], layout));

        var (code, _, error) = CliHarness.Run("apply", "--op", "max_pool2d", "--input", input, "--kernel-size", "2",
            "--output", t["y.npy"], "--output-indices", t["i.npy"], "--layout", layout);

        Assert.True(code == 0, error);
        var y = Npy.Read(t["y.npy"]);
        var i = Npy.Read(t["i.npy"]);
        Assert.Equal(Shape([1, 2, 2, 2], layout), y.Shape);
        Assert.Equal(ToLayout([6f, 8, 14, 16, 22, 24, 30, 32], [1, 2, 2, 2], layout), y.GetData<float>());
        Assert.Equal(ToLayout([5L, 7, 13, 15, 5, 7, 13, 15], [1, 2, 2, 2], layout), i.GetData<long>());
    }

    [Theory]
    [InlineData("nchw")]
    [InlineData("nhwc")]
    public void AvgPool2dCeilModeAndPadding(string layout)
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", ToLayout(Ramp, [1, 2, 4, 4], layout), Shape([1, 2, 4, 4], layout));

        var (code, _, error) = CliHarness.Run("apply", "--op", "avg_pool2d", "--input", input, "--kernel-size", "3",
            "--stride", "2", "--padding", "1", "--count-include-pad", "false", "--output", t["y.npy"], "--layout", layout);

        Assert.True(code == 0, error);
        var y = Npy.Read(t["y.npy"]);
        // Channel 0, windows rows/cols {-1..1} and {1..3}: mean of the valid taps.
        float[] c0 = [Mean(1, 2, 5, 6), Mean(2, 3, 4, 6, 7, 8), Mean(5, 6, 9, 10, 13, 14), Mean(6, 7, 8, 10, 11, 12, 14, 15, 16)];
        float[] expected = [.. c0, .. c0.Select(v => v + 16)];
        Assert.Equal(ToLayout(expected, [1, 2, 2, 2], layout), y.GetData<float>());
    }

    [Theory]
    [InlineData("nchw")]
    [InlineData("nhwc")]
    public void OnnxMaxPoolAndMaxUnpoolRoundTrip(string layout)
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", ToLayout(Ramp, [1, 2, 4, 4], layout), Shape([1, 2, 4, 4], layout));

        var pool = CliHarness.Run("apply", "--op", "MaxPool", "--input", input, "--kernel-size", "2,2", "--stride", "2,2",
            "--output", t["y.npy"], "--output-indices", t["i.npy"], "--layout", layout);
        Assert.True(pool.ExitCode == 0, pool.Stderr);
        Assert.Equal(ToLayout([5L, 7, 13, 15, 21, 23, 29, 31], [1, 2, 2, 2], layout), Npy.Read(t["i.npy"]).GetData<long>());

        var unpool = CliHarness.Run("apply", "--op", "MaxUnpool", "--input", t["y.npy"], "--indices", t["i.npy"],
            "--kernel-size", "2,2", "--stride", "2,2", "--output", t["u.npy"], "--layout", layout);
        Assert.True(unpool.ExitCode == 0, unpool.Stderr);
        var u = Npy.Read(t["u.npy"]);
        float[] expected = Ramp.Select((v, k) => k % 16 is 5 or 7 or 13 or 15 ? v : 0f).ToArray();
        Assert.Equal(Shape([1, 2, 4, 4], layout), u.Shape);
        Assert.Equal(ToLayout(expected, [1, 2, 4, 4], layout), u.GetData<float>());
    }

    /// <summary>Region and fractional pooling through apply reproduce committed torchvision / torch cases (channels-first).</summary>
    [Theory]
    [InlineData("torchvision/roi_align_fwd_f64_001", "--op roi_align --output-size 1,1 --spatial-scale 0.5 --sampling-ratio 0 --aligned")]
    [InlineData("torchvision/onnx_maxroipool_fwd_f32_000", "--op MaxRoiPool --output-size 3,1")]
    [InlineData("torch_fractional/fractional_max_pool2d_fwd_f32_001", "--op fractional_max_pool2d --kernel-size 3,2 --output-ratio 0.5,0.3")]
    public void RegionAndFractionalOperatorsReproduceTheirReferences(string fixture, string arguments)
    {
        using var t = new TempFolder();
        string folder = Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", fixture);
        bool fractional = fixture.Contains("fractional", StringComparison.Ordinal);
        string[] args =
        [
            "apply", .. arguments.Split(' '), "--input", Path.Combine(folder, "input_0.npy"),
            fractional ? "--random-samples" : "--boxes", Path.Combine(folder, "input_1.npy"), "--output", t["y.npy"],
        ];

        var (code, _, error) = CliHarness.Run(args);

        Assert.True(code == 0, error);
        var expected = Npy.Read(Path.Combine(folder, "output_0.npy"));
        var actual = Npy.Read(t["y.npy"]);
        Assert.Equal(expected.Shape, actual.Shape);
        if (expected.DType == NpyDType.Float64)
        {
            Assert.Equal(expected.GetData<double>().ToArray(), actual.GetData<double>().ToArray());
        }
        else
        {
            Assert.Equal(expected.GetData<float>().ToArray(), actual.GetData<float>().ToArray());
        }
    }

    /// <summary>ONNX RoiAlign through apply (rois, batch indices, mode, coordinate mode) reproduces the ONNX suite's cases.</summary>
    [Theory]
    [InlineData("test_roialign_aligned_false", "--aligned false")]
    [InlineData("test_roialign_aligned_true", "")]
    [InlineData("test_roialign_mode_max", "--aligned false --mode max")]
    public void OnnxRoiAlignReproducesTheOnnxSuite(string name, string extra)
    {
        using var t = new TempFolder();
        string folder = Path.Combine(CliHarness.RepositoryRoot(), "..", "shared", "conformance", "onnx", name);
        string[] args =
        [
            "apply", "--op", "RoiAlign", "--domain", "onnx", "--input", Path.Combine(folder, "input_0.npy"), "--boxes", Path.Combine(folder, "input_1.npy"),
            "--batch-indices", Path.Combine(folder, "input_2.npy"), "--output-size", "5,5", "--sampling-ratio", "2", .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            "--output", t["y.npy"],
        ];

        var (code, _, error) = CliHarness.Run(args);

        Assert.True(code == 0, error);
        var expected = Npy.Read(Path.Combine(folder, "output_0.npy")).GetData<float>().ToArray();
        var actual = Npy.Read(t["y.npy"]).GetData<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{p.Second} vs {p.First}"));
    }

    [Fact]
    public void OnnxRoiAlignWithoutBatchIndices_IsAClearError()
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", Ramp, [1, 2, 4, 4]);
        string rois = t.Write("r.npy", new float[] { 0, 0, 2, 2 }, [1, 4]);

        var (code, _, error) = CliHarness.Run("apply", "--op", "RoiAlign", "--domain", "onnx", "--input", input, "--boxes", rois, "--output-size", "2", "--output", t["y.npy"]);

        Assert.Equal(2, code);
        Assert.Contains("RoiAlign needs --batch-indices", error, StringComparison.Ordinal);
        Assert.False(File.Exists(t["y.npy"]));
    }

    [Fact]
    public void RegionPoolingWithoutBoxes_IsAClearError()
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", Ramp, [1, 2, 4, 4]);

        var (code, _, error) = CliHarness.Run("apply", "--op", "roi_pool", "--input", input, "--output-size", "2", "--output", t["y.npy"]);

        Assert.Equal(2, code);
        Assert.Contains("roi_pool needs --boxes", error, StringComparison.Ordinal);
        Assert.False(File.Exists(t["y.npy"]));
    }

    [Fact]
    public void TorchMaxUnpoolWithOutputSize()
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new double[] { 1, 2 }, 1, 1, 2);
        string i = t.Write("i.npy", new long[] { 1, 4 }, 1, 1, 2);

        var (code, _, error) = CliHarness.Run("apply", "--op", "max_unpool1d", "--input", x, "--indices", i, "--kernel-size", "2", "--output-size", "5", "--output", t["y.npy"]);

        Assert.True(code == 0, error);
        Assert.Equal(new double[] { 0, 1, 0, 0, 2 }, Npy.Read(t["y.npy"]).GetData<double>());
    }

    [Fact]
    public void AdaptiveAvgPoolKeepsANoneAxis()
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", Ramp, 1, 2, 4, 4);

        var (code, _, error) = CliHarness.Run("apply", "--op", "adaptive_avg_pool2d", "--input", input, "--output-size", "1,none", "--output", t["y.npy"]);

        Assert.True(code == 0, error);
        var y = Npy.Read(t["y.npy"]);
        Assert.Equal(new[] { 1, 2, 1, 4 }, y.Shape);
        Assert.Equal(new float[] { 7, 8, 9, 10, 23, 24, 25, 26 }, y.GetData<float>());
    }

    [Theory]
    [InlineData("nchw")]
    [InlineData("nhwc")]
    public void AvgPoolBackwardSpreadsTheGradient(string layout)
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", ToLayout(Ramp, [1, 2, 4, 4], layout), Shape([1, 2, 4, 4], layout));
        float[] gy = [4, 8, 12, 16, 20, 24, 28, 32];
        string grad = t.Write("gy.npy", ToLayout(gy, [1, 2, 2, 2], layout), Shape([1, 2, 2, 2], layout));

        var (code, _, error) = CliHarness.Run("apply", "--op", "avg_pool2d", "--input", input, "--kernel-size", "2",
            "--grad-output", grad, "--grad-input", t["gx.npy"], "--layout", layout);

        Assert.True(code == 0, error);
        float[] expected = new float[32];
        for (int k = 0; k < 32; k++)
        {
            int c = k / 16, h = k % 16 / 4, w = k % 4;
            expected[k] = gy[(c * 4) + (h / 2 * 2) + (w / 2)] / 4;
        }

        Assert.Equal(ToLayout(expected, [1, 2, 4, 4], layout), Npy.Read(t["gx.npy"]).GetData<float>());
    }

    [Fact]
    public void OnnxGlobalLpPoolAndLpPool()
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", new double[] { 3, -4, 0, 0 }, 1, 1, 4);

        var global = CliHarness.Run("apply", "--op", "GlobalLpPool", "--input", input, "--output", t["g.npy"]);
        var lp = CliHarness.Run("apply", "--op", "LpPool", "--domain", "onnx", "--input", input, "--kernel-size", "2", "--stride", "2", "--p", "1", "--output", t["l.npy"]);

        Assert.True(global.ExitCode == 0, global.Stderr);
        Assert.True(lp.ExitCode == 0, lp.Stderr);
        Assert.Equal(new double[] { 5 }, Npy.Read(t["g.npy"]).GetData<double>());
        Assert.Equal(new double[] { 7, 0 }, Npy.Read(t["l.npy"]).GetData<double>());
    }

    [Fact]
    public void UInt8MaxPool()
    {
        using var t = new TempFolder();
        string input = t.Write("x.npy", new byte[] { 1, 200, 3, 4 }, 1, 1, 4);

        var (code, _, error) = CliHarness.Run("apply", "--op", "max_pool1d", "--input", input, "--kernel-size", "2", "--output", t["y.npy"]);

        Assert.True(code == 0, error);
        Assert.Equal(new byte[] { 200, 4 }, Npy.Read(t["y.npy"]).GetData<byte>());
    }

    private static float Mean(params float[] values) => values.Sum() / values.Length;

    private static int[] Shape(int[] nchw, string layout) =>
        layout == "nhwc" ? [nchw[0], nchw[2], nchw[3], nchw[1]] : nchw;

    /// <summary>Reorders a channels-first (N, C, H, W) array into <paramref name="layout"/>.</summary>
    private static T[] ToLayout<T>(T[] nchw, int[] shape, string layout)
    {
        if (layout == "nchw")
        {
            return nchw;
        }

        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        var result = new T[nchw.Length];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < c; j++)
            {
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        result[(((((i * h) + y) * w) + x) * c) + j] = nchw[(((((i * c) + j) * h) + y) * w) + x];
                    }
                }
            }
        }

        return result;
    }
}
