using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Study;
using NeuralPool.Tests.Imaging;

namespace NeuralPool.Tests.Cli;

public class GalleryCommandTests
{
    [Fact]
    public void SheetHasAColumnPerKernelAndARowPerMethod()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["pic.png"], TestImages.Exact(4, 21, 35));

        var (code, stdout, stderr) = CliHarness.Run("gallery", t["pic.png"], "-o", t["out"]);

        Assert.True(code == 0, stderr);
        var (width, height) = ContactSheet.Size(32, 16, Gallery.Kernels.Count, DetailMethods.All.Count);
        string sheet = Path.Combine(t["out"], "gallery-pic.png");
        Assert.Equal(new[] { 1, 3, height, width }, ImageFile.Read(sheet).Shape.ToArray());
        Assert.Contains($"wrote {sheet}: {width}x{height}", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void SizeShrinksTheLongerSide()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["wide.png"], TestImages.Exact(3, 60, 120));

        var (code, _, stderr) = CliHarness.Run("gallery", t["wide.png"], "-o", t.Path, "--size", "64");

        Assert.True(code == 0, stderr);
        var (width, height) = ContactSheet.Size(64, 32, 3, DetailMethods.All.Count);
        Assert.Equal(new[] { 1, 3, height, width }, ImageFile.Read(t["gallery-wide.png"]).Shape.ToArray());
    }

    [Fact]
    public void EnlargedCellsRepeatEachPooledValueOverItsBlock()
    {
        var image = TestImages.Exact(1, 16, 16, seed: 2);
        var sheet = Gallery.Draw("x.png", image, [DetailMethods.All.Single(m => m.Name == "max")]);
        var pooled = Functional.MaxPool2d(image, 8);

        // Row 1 (max), column 2 (k = 8): the cell's picture starts below the first row and the label.
        int top = ContactSheet.Margin + (2 * (ContactSheet.LabelHeight + 16 + ContactSheet.Margin)) - 16 - ContactSheet.Margin;
        int left = ContactSheet.Margin + (2 * (ContactSheet.MinimumCellWidth + ContactSheet.Margin));
        int w = sheet.Shape[3];
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                Assert.Equal(pooled.Data[((y / 8) * 2) + (x / 8)], sheet.Data[((top + y) * w) + left + x]);
            }
        }
    }

    [Fact]
    public void SmallOrUnreadablePicturesAndExistingSheetsFail()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["small.png"], TestImages.Exact(3, 15, 40));
        File.WriteAllBytes(t["bad.png"], [0x89, (byte)'P', (byte)'N', (byte)'G']);
        ImageFile.WritePng(t["ok.png"], TestImages.Exact(3, 16, 16));
        File.WriteAllText(t["gallery-ok.png"], "mine");

        var small = CliHarness.Run("gallery", t["small.png"], "-o", t.Path);
        var bad = CliHarness.Run("gallery", t["bad.png"], "-o", t.Path);
        var exists = CliHarness.Run("gallery", t["ok.png"], "-o", t.Path);
        var size = CliHarness.Run("gallery", t["ok.png"], "-o", t.Path, "--size", "0");

        Assert.Equal((1, 1, 1, 2), (small.ExitCode, bad.ExitCode, exists.ExitCode, size.ExitCode));
        Assert.Contains("at least 16x16", small.Stderr, StringComparison.Ordinal);
        Assert.Contains("bad.png", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("already exists", exists.Stderr, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(t["gallery-ok.png"]));
        Assert.All(new[] { small, bad, exists, size }, r => Assert.Single(CliHarness.Lines(r.Stderr)));
    }
}
