using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Study;

namespace NeuralPool.Tests.Cli;

public class StudyCommandTests
{
    /// <summary>A small RGB picture with edges, a ramp and texture, written as PNG.</summary>
    private static string Picture(TempFolder t, string name, int channels, int height, int width)
    {
        var image = ImageTensor.Create(channels, height, width);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    float texture = ((x * 7) + (y * 13) + (c * 5)) % 11 / 40f;
                    float edge = x > width / 3 && y < 2 * height / 3 ? 0.5f : 0.1f;
                    image.Data[(((c * height) + y) * width) + x] = c == 3 ? 1f : Math.Min(1f, edge + texture + (0.2f * x / width));
                }
            }
        }

        string path = t[name];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageFile.WritePng(path, image);
        return path;
    }

    private static void AssertError(int code, int expectedCode, string stderr, string expected)
    {
        Assert.Equal(expectedCode, code);
        string[] lines = CliHarness.Lines(stderr);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void DetailStudyWritesTheTableTheCsvAndTheContactSheets()
    {
        using var t = new TempFolder();
        string rgb = Picture(t, "small.png", 3, 22, 30);
        string rgba = Picture(t, "alpha.png", 4, 24, 24);
        string outDir = t["out/nested"];

        var (code, stdout, stderr) = CliHarness.Run("study", "detail", rgb, rgba, "-o", outDir);

        Assert.True(code == 0, stderr);
        Assert.Empty(stderr);
        string[] lines = CliHarness.Lines(stdout);
        Assert.StartsWith("image", lines[0], StringComparison.Ordinal);
        foreach (string image in new[] { "small", "alpha", DetailReport.MeanName })
        {
            foreach (var method in DetailMethods.All)
            {
                foreach (int factor in new[] { 2, 4 })
                {
                    Assert.Single(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var i, var m, var f, _, _]
                        && i == image && m == method.Name && f == factor.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        string[] csv = File.ReadAllLines(Path.Combine(outDir, "detail.csv"));
        Assert.Equal(DetailReport.CsvHeader, csv[0]);
        Assert.Equal(1 + (3 * DetailMethods.All.Count * 2), csv.Length);
        Assert.All(csv.Skip(1), row =>
        {
            string[] cells = row.Split(',');
            Assert.Equal(5, cells.Length);
            Assert.InRange(double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture), 5, 80);
            Assert.InRange(double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture), -1, 1);
        });

        foreach (var (name, h, w) in new[] { ("small", 22, 30), ("alpha", 24, 24) })
        {
            string sheetPath = Path.Combine(outDir, $"detail-{name}.png");
            Assert.Contains($"wrote {sheetPath}", lines);
            var sheet = ImageFile.Read(sheetPath);
            var (sw, sh) = ContactSheet.Size(w, h, 2, DetailMethods.All.Count);
            Assert.Equal(new[] { 1, 3, sh, sw }, sheet.Shape.ToArray());
        }
    }

    [Fact]
    public void FactorsAndRepeatedNamesAreHonoured()
    {
        using var t = new TempFolder();
        string a = Picture(t, "a/pic.png", 1, 27, 27);
        string b = Picture(t, "b/pic.png", 1, 27, 27);

        var (code, stdout, stderr) = CliHarness.Run("study", "detail", a, b, "--factors", "3", "-o", t.Path);

        Assert.True(code == 0, stderr);
        Assert.Contains("pic-2", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(t["detail-pic.png"]) && File.Exists(t["detail-pic-2.png"]));
        Assert.All(File.ReadAllLines(t["detail.csv"]).Skip(1), row => Assert.Equal("3", row.Split(',')[2]));
    }

    [Theory]
    [InlineData("--factors", "1", "--factors")]
    [InlineData("--factors", "two", "--factors")]
    [InlineData("--factors", "2,,4", "--factors")]
    [InlineData("--factors", "4,2,4", "repeats")]
    [InlineData("--bogus", "1", "--bogus")]
    public void BadArgumentsAreUsageErrors(string option, string value, string expected)
    {
        using var t = new TempFolder();
        string image = Picture(t, "x.png", 3, 16, 16);

        var (code, stdout, stderr) = CliHarness.Run("study", "detail", image, option, value, "-o", t["out"]);

        AssertError(code, 2, stderr, expected);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(t["out"]));
    }

    [Fact]
    public void MissingImagesAndAFileAsOutputFolderAreUsageErrors()
    {
        using var t = new TempFolder();
        var none = CliHarness.Run("study", "detail");
        AssertError(none.ExitCode, 2, none.Stderr, "Required argument missing");

        string image = Picture(t, "x.png", 3, 16, 16);
        File.WriteAllText(t["file"], "not a folder");
        var file = CliHarness.Run("study", "detail", image, "-o", t["file"]);
        AssertError(file.ExitCode, 2, file.Stderr, "is a file");
    }

    [Fact]
    public void UnreadableImagesAreNamedWithExitCodeOne()
    {
        using var t = new TempFolder();
        string good = Picture(t, "good.png", 3, 16, 16);
        File.WriteAllBytes(t["broken.png"], [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0]);
        File.WriteAllBytes(t["empty.jpg"], []);
        string tiny = Picture(t, "tiny.png", 3, 9, 40);

        foreach (var (path, expected) in new[] { (t["missing.png"], "missing.png"), (t["broken.png"], "broken.png"), (t["empty.jpg"], "empty.jpg"), (tiny, "tiny.png") })
        {
            var (code, stdout, stderr) = CliHarness.Run("study", "detail", good, path, "-o", t["out"]);
            AssertError(code, 1, stderr, expected);
            Assert.Empty(stdout);
            Assert.False(Directory.Exists(t["out"]));
        }
    }

    [Fact]
    public void HelpDescribesTheCommand()
    {
        var (code, stdout, _) = CliHarness.Run("study", "detail", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--factors", stdout, StringComparison.Ordinal);
        Assert.Contains("--output-dir", stdout, StringComparison.Ordinal);
    }
}
