using NeuralPool.Interop;

namespace NeuralPool.Tests.Cli;

public class ConformCommandTests
{
    private const string MaxPool1d = """{"domain": "torch", "op_type": "max_pool1d", "attributes": {"kernel_size": 2, "stride": null}, "inputs": ["input"], "outputs": ["output"]}""";

    private static void WriteCase(TempFolder t, string name, string nodeJson, float[] input, float[] expected)
    {
        Directory.CreateDirectory(t[name]);
        File.WriteAllText(Path.Combine(t[name], "node.json"), nodeJson);
        t.Write($"{name}/input_0.npy", input, 1, 1, input.Length);
        t.Write($"{name}/output_0.npy", expected, 1, 1, expected.Length);
    }

    /// <summary>One passing, one failing and one unsupported case, plus a broken node.json and a corrupt .npy.</summary>
    private static TempFolder SmallSuite()
    {
        var t = new TempFolder();
        WriteCase(t, "a_pass", MaxPool1d, [1, 3, 2, 4], [3, 4]);
        WriteCase(t, "b_fail", """{"domain": "torch", "op_type": "avg_pool1d", "attributes": {"kernel_size": [2]}, "inputs": ["input"], "outputs": ["output"]}""", [1, 3, 2, 4], [2, 4]);
        WriteCase(t, "c_unsupported", """{"domain": "torch", "op_type": "conv2d", "attributes": {"stride": 2}, "inputs": ["input"], "outputs": ["output"]}""", [1, 2], [1]);
        WriteCase(t, "nested/d_broken_json", "{ not json", [1, 2], [2]);
        WriteCase(t, "nested/e_corrupt_npy", MaxPool1d, [1, 3, 2, 4], [3, 4]);
        File.WriteAllBytes(Path.Combine(t["nested/e_corrupt_npy"], "input_0.npy"), [0x93, (byte)'N', (byte)'U', 1, 2, 3]);
        return t;
    }

    [Fact]
    public void ReportsPassFailSkipAndTheSummary()
    {
        using var t = SmallSuite();

        var (code, output, error) = CliHarness.Run("conform", t.Path);

        Assert.Equal(1, code);
        Assert.Empty(error);
        var lines = CliHarness.Lines(output);
        Assert.Equal(6, lines.Length);
        Assert.Equal("PASS a_pass", lines[0]);
        Assert.StartsWith("FAIL b_fail: nchw: output_0 (output) first mismatch at (0, 0, 1): expected 4, actual 3 (1 of 2 elements differ)", lines[1], StringComparison.Ordinal);
        Assert.Contains("; nhwc: output_0 (output) first mismatch at (0, 0, 1)", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("SKIP c_unsupported: torch operator 'conv2d' is not supported", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("FAIL nested/d_broken_json: node.json is not valid JSON", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("FAIL nested/e_corrupt_npy: ", lines[4], StringComparison.Ordinal);
        Assert.Contains("input_0.npy", lines[4], StringComparison.Ordinal);
        Assert.Equal("1 passed, 3 failed, 1 skipped", lines[5]);
    }

    [Fact]
    public void ExitsZeroWithoutFailures()
    {
        using var t = new TempFolder();
        WriteCase(t, "pass", MaxPool1d, [1, 3, 2, 4], [3, 4]);
        WriteCase(t, "skip", """{"op_type": "Conv", "attributes": {}, "inputs": ["X"], "outputs": ["Y"]}""", [1], [1]);

        var (code, output, _) = CliHarness.Run("conform", t.Path);

        Assert.Equal(0, code);
        Assert.Equal(["PASS pass", "SKIP skip: ONNX operator 'Conv' is not supported (supported: MaxPool, AveragePool, LpPool, GlobalMaxPool, GlobalAveragePool, GlobalLpPool, MaxUnpool, MaxRoiPool, RoiAlign).", "1 passed, 0 failed, 1 skipped"], CliHarness.Lines(output));
    }

    [Fact]
    public void UnknownAttributeIsASkipWithTheReason()
    {
        using var t = new TempFolder();
        WriteCase(t, "odd", """{"domain": "torch", "op_type": "max_pool1d", "attributes": {"kernel_size": 2, "fancy": 1}, "inputs": ["input"], "outputs": ["output"]}""", [1, 2], [2]);

        var (code, output, _) = CliHarness.Run("conform", t.Path);

        Assert.Equal(0, code);
        Assert.StartsWith("SKIP odd: max_pool1d: attribute 'fancy' is not supported", CliHarness.Lines(output)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TolerancesFromNodeJsonApply()
    {
        using var t = new TempFolder();
        WriteCase(t, "loose", """{"domain": "torch", "op_type": "avg_pool1d", "attributes": {"kernel_size": 2}, "inputs": ["input"], "outputs": ["output"], "atol": 0.01}""", [1, 2], [1.505f]);
        WriteCase(t, "tight", """{"domain": "torch", "op_type": "avg_pool1d", "attributes": {"kernel_size": 2}, "inputs": ["input"], "outputs": ["output"]}""", [1, 2], [1.505f]);

        var (_, output, _) = CliHarness.Run("conform", t.Path);

        var lines = CliHarness.Lines(output);
        Assert.Equal("PASS loose", lines[0]);
        Assert.StartsWith("FAIL tight:", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void WritesActualOutputsWithTheExpectedDType()
    {
        using var t = SmallSuite();
        string actual = t["actual"];

        CliHarness.Run("conform", t.Path, "--actual-dir", actual, "--layout", "nchw");

        var pass = Npy.Read(Path.Combine(actual, "a_pass", "output_0.npy"));
        Assert.Equal(NpyDType.Float32, pass.DType);
        Assert.Equal(new float[] { 3, 4 }, pass.GetData<float>());
        Assert.Equal(new float[] { 2, 3 }, Npy.Read(Path.Combine(actual, "b_fail", "output_0.npy")).GetData<float>());
        Assert.False(Directory.Exists(Path.Combine(actual, "c_unsupported")));
    }

    [Fact]
    public void OnnxSuiteHasNoFailures()
    {
        string suite = Path.GetFullPath(Path.Combine(CliHarness.RepositoryRoot(), "..", "shared", "conformance", "onnx"));
        if (!Directory.Exists(suite))
        {
            return; // The shared ONNX suite is not part of this checkout.
        }

        var (code, output, error) = CliHarness.Run("conform", suite);

        var lines = CliHarness.Lines(output);
        Assert.True(code == 0, string.Join("\n", lines.Where(l => l.StartsWith("FAIL", StringComparison.Ordinal))) + error);
        Assert.Matches(@"^\d+ passed, 0 failed, \d+ skipped$", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("SKIP test_maxunpool_export_with_output_shape: documented dispute: ", StringComparison.Ordinal));
        Assert.Contains("PASS test_maxpool_2d_uint8", lines);
    }

    [Fact]
    public void TorchFixturesHaveNoFailures()
    {
        var lines = RunCleanSuite("torch");
        Assert.True(lines.Length > 400, $"only {lines.Length - 1} cases found in tests/fixtures/torch");
    }

    /// <summary>torchvision roi_pool, roi_align and ps_roi_align (and ONNX MaxRoiPool with torchvision's arithmetic), forward and backward, both layouts.</summary>
    [Fact]
    public void TorchvisionFixturesHaveNoFailures()
    {
        var lines = RunCleanSuite("torchvision");
        foreach (string op in new[] { "roi_pool_fwd", "roi_pool_grad", "roi_align_fwd", "roi_align_grad", "ps_roi_align_fwd", "ps_roi_align_grad", "onnx_maxroipool_fwd", "onnx_maxroipool_grad" })
        {
            Assert.Contains(lines, l => l.StartsWith("PASS " + op, StringComparison.Ordinal));
        }
    }

    /// <summary>fractional_max_pool2d/3d with explicit random samples, output size or ratio, indices, forward and backward.</summary>
    [Fact]
    public void FractionalFixturesHaveNoFailures()
    {
        var lines = RunCleanSuite("torch_fractional");
        foreach (string op in new[] { "fractional_max_pool2d_fwd", "fractional_max_pool2d_grad", "fractional_max_pool3d_fwd", "fractional_max_pool3d_grad" })
        {
            Assert.Contains(lines, l => l.StartsWith("PASS " + op, StringComparison.Ordinal));
        }
    }

    /// <summary>Runs the committed suite tests/fixtures/<paramref name="name"/> and asserts no failure and no skip; returns the printed lines.</summary>
    private static string[] RunCleanSuite(string name)
    {
        string suite = Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", name);
        var (code, output, error) = CliHarness.Run("conform", suite);
        var lines = CliHarness.Lines(output);
        Assert.True(code == 0, string.Join("\n", lines.Where(l => l.StartsWith("FAIL", StringComparison.Ordinal))) + error);
        Assert.Matches(@"^\d+ passed, 0 failed, 0 skipped$", lines[^1]);
        return lines;
    }
}
