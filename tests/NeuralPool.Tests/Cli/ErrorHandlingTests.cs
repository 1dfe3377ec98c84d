namespace NeuralPool.Tests.Cli;

public class ErrorHandlingTests
{
    private static void AssertUsageError(int code, string stdout, string stderr, string expected)
    {
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", lines[0].Replace("at least", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("demo", "--help")]
    [InlineData("apply", "--help")]
    [InlineData("conform", "-h")]
    [InlineData("image", "--help")]
    [InlineData("explain", "--help")]
    [InlineData("gallery", "--help")]
    public void HelpEverywhere(params string[] args)
    {
        var (code, output, error) = CliHarness.Run(args);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains("neuralpool", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOption()
    {
        var (code, output, error) = CliHarness.Run("apply", "--op", "max_pool2d", "--input", "x.npy", "--output", "y.npy", "--bogus");
        AssertUsageError(code, output, error, "--bogus");
    }

    [Fact]
    public void UnknownCommandAndNoCommand()
    {
        var unknown = CliHarness.Run("frobnicate");
        AssertUsageError(unknown.ExitCode, unknown.Stdout, unknown.Stderr, "frobnicate");
        var none = CliHarness.Run();
        AssertUsageError(none.ExitCode, none.Stdout, none.Stderr, "no command");
    }

    [Fact]
    public void MissingInputFile()
    {
        using var t = new TempFolder();
        var (code, output, error) = CliHarness.Run("apply", "--op", "max_pool2d", "--kernel-size", "2", "--input", t["missing.npy"], "--output", t["y.npy"]);

        AssertUsageError(code, output, error, "missing.npy");
        Assert.False(File.Exists(t["y.npy"]));
    }

    [Fact]
    public void CorruptNpy()
    {
        using var t = new TempFolder();
        File.WriteAllBytes(t["x.npy"], [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 200, 0]);

        var (code, output, error) = CliHarness.Run("apply", "--op", "max_pool2d", "--kernel-size", "2", "--input", t["x.npy"], "--output", t["y.npy"]);

        AssertUsageError(code, output, error, "x.npy");
        Assert.False(File.Exists(t["y.npy"]));
    }

    [Fact]
    public void UnknownOperator()
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new float[4], 1, 1, 4);
        var (code, output, error) = CliHarness.Run("apply", "--op", "median_pool2d", "--input", x, "--output", t["y.npy"]);

        AssertUsageError(code, output, error, "median_pool2d");
    }

    [Theory]
    [InlineData("--kernel-size", "two")]
    [InlineData("--kernel-size", "2,x")]
    [InlineData("--divisor-override", "1.5")]
    [InlineData("--count-include-pad", "maybe")]
    [InlineData("--norm-type", "abc")]
    public void BadNumber(string option, string value)
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new float[4], 1, 1, 4);
        string op = option == "--norm-type" ? "lp_pool1d" : "avg_pool1d";
        var (code, output, error) = CliHarness.Run("apply", "--op", op, "--input", x, "--output", t["y.npy"], "--kernel-size", "2", option, value);

        AssertUsageError(code, output, error, option);
    }

    [Fact]
    public void LibraryArgumentErrorWritesNothing()
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new float[16], 1, 1, 4, 4);
        var (code, output, error) = CliHarness.Run("apply", "--op", "max_pool2d", "--input", x, "--kernel-size", "2", "--padding", "3", "--output", t["y.npy"]);

        AssertUsageError(code, output, error, "padding");
        Assert.False(File.Exists(t["y.npy"]));
    }

    [Fact]
    public void FailedBackwardWritesNoForwardOutputEither()
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new float[16], 1, 1, 4, 4);
        string gy = t.Write("gy.npy", new float[3], 1, 1, 3);
        var (code, output, error) = CliHarness.Run("apply", "--op", "avg_pool2d", "--input", x, "--kernel-size", "2",
            "--output", t["y.npy"], "--grad-output", gy, "--grad-input", t["gx.npy"]);

        AssertUsageError(code, output, error, "grad_output");
        Assert.False(File.Exists(t["y.npy"]));
        Assert.False(File.Exists(t["gx.npy"]));
    }

    [Fact]
    public void OptionOfTheOtherDomain()
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new float[16], 1, 1, 4, 4);
        var (code, output, error) = CliHarness.Run("apply", "--op", "MaxPool", "--input", x, "--kernel-size", "2,2", "--padding", "1", "--output", t["y.npy"]);

        AssertUsageError(code, output, error, "--pads");
    }

    [Fact]
    public void MissingSuiteFolder()
    {
        var (code, output, error) = CliHarness.Run("conform", "/nonexistent/suite/folder");
        AssertUsageError(code, output, error, "/nonexistent/suite/folder");
    }
}
