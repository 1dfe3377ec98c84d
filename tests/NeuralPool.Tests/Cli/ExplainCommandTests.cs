using NeuralPool.Cli.Explain;
using NeuralPool.Cli.Imaging;

namespace NeuralPool.Tests.Cli;

public class ExplainCommandTests
{
    private static void AssertUsageError((int Code, string Stdout, string Stderr) run, string expected)
    {
        Assert.Equal(2, run.Code);
        string[] lines = CliHarness.Lines(run.Stderr);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }

    public static TheoryData<string> Methods()
    {
        var data = new TheoryData<string>();
        foreach (var m in ExplainMethods.All)
        {
            data.Add(m.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void EveryMethodDrawsTheSeedExampleAtItsSize(string op)
    {
        using var t = new TempFolder();
        string figure = t[$"{op}.png"];

        var (code, stdout, stderr) = CliHarness.Run("explain", "--op", op, "-o", figure);

        Assert.True(code == 0, stderr);
        var explanation = Explanation.Compute(ExplainMethods.Find(op), SeedExample.Values(), SeedExample.Channels, SeedExample.Height, SeedExample.Width, SeedExample.Kernel);
        var (width, height) = ExplainFigure.Size(explanation);
        Assert.Equal(new[] { 1, 3, height, width }, ImageFile.Read(figure).Shape.ToArray());
        Assert.Contains($"wrote {figure}: {width}x{height}", stdout, StringComparison.Ordinal);
    }

    /// <summary>The seed example's figures have fixed sizes: max pooling adds a backward row per channel.</summary>
    [Fact]
    public void SeedFiguresHaveTheirKnownSizes()
    {
        Explanation Seed(string op) => Explanation.Compute(ExplainMethods.Find(op), SeedExample.Values(), 2, 3, 4, 2);

        var max = ExplainFigure.Size(Seed("max"));
        var avg = ExplainFigure.Size(Seed("avg"));

        Assert.Equal(max.Width, avg.Width);
        Assert.True(max.Height > avg.Height);
        Assert.InRange(max.Width, 500, 900);
        Assert.InRange(max.Height, 500, 900);
    }

    [Fact]
    public void MaxFigureMarksTheChosenCellsInTheirWindowsColours()
    {
        var e = Explanation.Compute(ExplainMethods.Find("max"), SeedExample.Values(), 2, 3, 4, 2);
        var windows = e.Windows(0);
        var figure = ExplainFigure.Draw(e);

        Assert.Equal([(1, 1), (1, 3)], windows.Select(w => w.Pick!.Value));
        foreach (var w in windows)
        {
            var colour = ExplainFigure.Colour(w);
            Assert.Contains(Enumerable.Range(0, figure.Shape[2] * figure.Shape[3]), p =>
                figure.Data[p] == colour.R && figure.Data[p + (figure.Shape[2] * figure.Shape[3])] == colour.G && figure.Data[p + (2 * figure.Shape[2] * figure.Shape[3])] == colour.B);
        }
    }

    [Fact]
    public void AsciiShowsTheThreeStepsAndTheBackwardPass()
    {
        var (code, stdout, stderr) = CliHarness.Run("explain", "--ascii");

        Assert.True(code == 0, stderr);
        Assert.Contains("a: max(1, 2, 5, 6) = 6 at row 1, column 1", stdout, StringComparison.Ordinal);
        Assert.Contains("b: max(15, 16, 19, 20) = 20 at row 1, column 3", stdout, StringComparison.Ordinal);
        Assert.Contains("9.  10.  11.  12.", stdout, StringComparison.Ordinal);
        Assert.Contains("0   1a  0   2b", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("wrote", stdout, StringComparison.Ordinal);
        Assert.All(stdout, c => Assert.True(c < 128, $"non-ASCII character U+{(int)c:X4}"));
    }

    [Fact]
    public void AsciiAverageShowsTheMeans()
    {
        var (_, stdout, _) = CliHarness.Run("explain", "--op", "avg", "--ascii", "--seed-example");

        Assert.Contains("a: mean(1, 2, 5, 6) = 3.5", stdout, StringComparison.Ordinal);
        Assert.Contains("15.5a  17.5b", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("backward", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInputFileIsExplained()
    {
        using var t = new TempFolder();
        string x = t.Write("x.npy", new double[] { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 }, 4, 4);

        var (code, stdout, stderr) = CliHarness.Run("explain", "--input", x, "--ascii", "-o", t["fig.png"]);

        Assert.True(code == 0, stderr);
        Assert.Contains("a: max(3, 1, 5, 9) = 9 at row 1, column 1", stdout, StringComparison.Ordinal);
        Assert.Contains("d: max(5, 8, 9, 3) = 9 at row 3, column 2", stdout, StringComparison.Ordinal);
        var e = Explanation.Compute(ExplainMethods.Find("max"), [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3], 1, 4, 4, 2);
        var (w, h) = ExplainFigure.Size(e);
        Assert.Equal(new[] { 1, 3, h, w }, ImageFile.Read(t["fig.png"]).Shape.ToArray());
    }

    [Fact]
    public void TheDefaultFigureIsNotReplacedWithoutOverwrite()
    {
        using var t = new TempFolder();
        string figure = t["f.png"];
        Assert.Equal(0, CliHarness.Run("explain", "-o", figure).ExitCode);
        File.WriteAllText(figure, "mine");

        var (code, _, stderr) = CliHarness.Run("explain", "-o", figure);

        Assert.Equal(1, code);
        Assert.Contains("already exists", stderr, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(figure));
        Assert.Equal(0, CliHarness.Run("explain", "-o", figure, "--overwrite").ExitCode);
    }

    [Fact]
    public void TooLargeOrWrongInputsAreRefused()
    {
        using var t = new TempFolder();
        string big = t.Write("big.npy", new float[13 * 13], 13, 13);
        string deep = t.Write("deep.npy", new float[5 * 4 * 4], 5, 4, 4);
        string flat = t.Write("flat.npy", new float[8], 8);

        AssertUsageError(CliHarness.Run("explain", "--input", big, "--ascii"), "too large to draw");
        AssertUsageError(CliHarness.Run("explain", "--input", deep, "--ascii"), "too large to draw");
        AssertUsageError(CliHarness.Run("explain", "--input", flat, "--ascii"), "(H, W)");
        AssertUsageError(CliHarness.Run("explain", "--input", t["none.npy"], "--ascii"), "does not exist");
        AssertUsageError(CliHarness.Run("explain", "--input", flat, "--seed-example", "--ascii"), "exclude each other");
        AssertUsageError(CliHarness.Run("explain", "--op", "median", "--ascii"), "max, avg, lp");
        AssertUsageError(CliHarness.Run("explain", "--kernel-size", "4", "--ascii"), "does not fit");
    }
}
