using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Pictures;
using NeuralPool.Tests.Imaging;
using Spectre.Console;

namespace NeuralPool.Tests.Cli;

public class ImageCommandTests
{
    private static void AssertOneError(int expectedCode, (int Code, string Stdout, string Stderr) run, string expected)
    {
        Assert.True(run.Code == expectedCode, $"exit {run.Code}: {run.Stderr}");
        string[] lines = CliHarness.Lines(run.Stderr);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", lines[0], StringComparison.Ordinal);
    }

    /// <summary>The library's result on the picture as read, quantized the way the command writes it, against the written file.</summary>
    private static void AssertPixelExact(DenseTensor<float> expected, LoadedImage written, int bitDepth)
    {
        Assert.Equal(bitDepth, written.BitDepth);
        Assert.Equal(expected.Shape.ToArray(), written.Pixels.Shape.ToArray());
        int max = bitDepth == 16 ? ushort.MaxValue : byte.MaxValue;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(ImageFile.ToSample(expected.Data[i], max), ImageFile.ToSample(written.Pixels.Data[i], max));
        }
    }

    public static TheoryData<int, string, string> EightBitCases() => new()
    {
        { 1, "--op max_pool2d --kernel-size 2", "max2" },
        { 3, "--op max_pool2d --kernel-size 3 --stride 2 --padding 1", "max3" },
        { 4, "--op avg_pool2d --kernel-size 3 --stride 2 --padding 1 --count-include-pad false", "avg3" },
        { 3, "--op lp_pool2d --norm-type 2 --kernel-size 2", "lp2" },
        { 2, "--op adaptive_avg_pool2d --output-size 5,4", "adaptive" },
        { 4, "--op MaxPool --kernel-size 2,2 --stride 2,2", "onnx" },
    };

    [Theory]
    [MemberData(nameof(EightBitCases))]
    public void PoolsEveryChannelExactlyAsTheLibrary(int channels, string options, string name)
    {
        using var t = new TempFolder();
        string input = t["in.png"];
        ImageFile.WritePng(input, TestImages.Exact(channels, 13, 10, seed: channels));
        var x = ImageFile.Read(input);
        var expected = name switch
        {
            "max2" => Functional.MaxPool2d(x, 2),
            "max3" => Functional.MaxPool2d(x, 3, 2, 1),
            "avg3" => Functional.AvgPool2d(x, 3, 2, 1, countIncludePad: false),
            "lp2" => Functional.LpPool2d(x, 2.0, 2),
            "adaptive" => Functional.AdaptiveAvgPool2d(x, (5, 4)),
            _ => Functional.MaxPool2d(x, 2),
        };
        string[] args = ["image", input, "-o", t["out.png"], .. options.Split(' ')];

        var (code, stdout, stderr) = CliHarness.Run(args);

        Assert.True(code == 0, stderr);
        Assert.Contains($"wrote {t["out.png"]}", stdout, StringComparison.Ordinal);
        AssertPixelExact(expected, ImageFile.Load(t["out.png"]), 8);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SixteenBitPicturesStaySixteenBit(int channels)
    {
        using var t = new TempFolder();
        string input = t["deep.png"];
        File.WriteAllBytes(input, ImageFile.EncodePng(TestImages.Exact16(channels, 9, 12, seed: 40 + channels), 16));
        var x = ImageFile.Read(input);

        var max = CliHarness.Run("image", input, "-o", t["max.png"], "--op", "max_pool2d", "--kernel-size", "2");
        var avg = CliHarness.Run("image", input, "-o", t["avg.png"], "--op", "avg_pool2d", "--kernel-size", "3", "--stride", "2", "--ceil-mode");

        Assert.True(max.ExitCode == 0 && avg.ExitCode == 0, max.Stderr + avg.Stderr);
        Assert.Contains("16-bit", max.Stdout, StringComparison.Ordinal);
        AssertPixelExact(Functional.MaxPool2d(x, 2), ImageFile.Load(t["max.png"]), 16);
        AssertPixelExact(Functional.AvgPool2d(x, 3, 2, ceilMode: true), ImageFile.Load(t["avg.png"]), 16);
    }

    [Fact]
    public void CommittedSixteenBitFixtureIsPooled()
    {
        using var t = new TempFolder();
        string input = Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", "png16", "rgb_adam7_10x9.png");

        var (code, _, stderr) = CliHarness.Run("image", input, "-o", t["out.png"], "--op", "max_pool2d", "--kernel-size", "2");

        Assert.True(code == 0, stderr);
        AssertPixelExact(Functional.MaxPool2d(ImageFile.Read(input), 2), ImageFile.Load(t["out.png"]), 16);
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(8, true)]
    [InlineData(3, true)]
    public void JpegIsTurnedUprightBeforePooling(int orientation, bool bigEndian)
    {
        using var t = new TempFolder();
        byte[] jpeg = TestImages.Jpeg(TestImages.Exact(3, 12, 20, seed: 9), quality: 95);
        string input = t["photo.jpg"];
        File.WriteAllBytes(input, TestImages.WithOrientation(jpeg, orientation, bigEndian));
        var upright = ImageOrientation.Apply(ImageFile.Decode(jpeg, "plain.jpg"), orientation);

        var (code, _, stderr) = CliHarness.Run("image", input, "-o", t["out.png"], "--op", "max_pool2d", "--kernel-size", "2");

        Assert.True(code == 0, stderr);
        var written = ImageFile.Load(t["out.png"]);
        Assert.Equal(orientation >= 5 ? new[] { 1, 3, 10, 6 } : new[] { 1, 3, 6, 10 }, written.Pixels.Shape.ToArray());
        AssertPixelExact(Functional.MaxPool2d(upright, 2), written, 8);
    }

    [Fact]
    public void FractionalMaxPoolingKeepsChannelsAligned()
    {
        using var t = new TempFolder();
        var grey = TestImages.Exact(1, 16, 16, seed: 3);
        var rgb = ImageTensor.Create(3, 16, 16);
        for (int c = 0; c < 3; c++)
        {
            grey.Data.CopyTo(rgb.Data, c * 256);
        }

        ImageFile.WritePng(t["rgb.png"], rgb);

        var (code, _, stderr) = CliHarness.Run("image", t["rgb.png"], "-o", t["out.png"], "--op", "fractional_max_pool2d", "--kernel-size", "2", "--output-ratio", "0.5", "--seed", "7");

        Assert.True(code == 0, stderr);
        var output = ImageFile.Read(t["out.png"]);
        Assert.Equal(new[] { 1, 3, 8, 8 }, output.Shape.ToArray());
        Assert.Equal(output.Data.AsSpan(0, 64).ToArray(), output.Data.AsSpan(64, 64).ToArray());
        Assert.Equal(output.Data.AsSpan(0, 64).ToArray(), output.Data.AsSpan(128, 64).ToArray());
    }

    [Fact]
    public void ExistingOutputIsNotReplacedWithoutOverwrite()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["in.png"], TestImages.Exact(3, 8, 8));
        File.WriteAllText(t["out.png"], "keep me");

        AssertOneError(1, CliHarness.Run("image", t["in.png"], "-o", t["out.png"], "--op", "max_pool2d", "--kernel-size", "2"), "already exists");
        Assert.Equal("keep me", File.ReadAllText(t["out.png"]));

        var (code, _, stderr) = CliHarness.Run("image", t["in.png"], "-o", t["out.png"], "--op", "max_pool2d", "--kernel-size", "2", "--overwrite");
        Assert.True(code == 0, stderr);
        Assert.Equal(new[] { 1, 3, 4, 4 }, ImageFile.Read(t["out.png"]).Shape.ToArray());
        Assert.Equal(["in.png", "out.png"], Directory.GetFiles(t.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OutputFolderTakesTheInputsName()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["cat.png"], TestImages.Exact(3, 8, 8));
        Directory.CreateDirectory(t["out"]);

        var (code, stdout, stderr) = CliHarness.Run("image", t["cat.png"], "-o", t["out"], "--op", "avg_pool2d", "--kernel-size", "2");

        Assert.True(code == 0, stderr);
        Assert.Contains("8x8 -> 4x4, 3 channels, 8-bit", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(t["out"], "cat.png")));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("corrupt")]
    [InlineData("empty")]
    [InlineData("text")]
    public void UnreadablePictureIsOneErrorLine(string kind)
    {
        using var t = new TempFolder();
        byte[] png = ImageFile.EncodePng(TestImages.Exact(3, 16, 16));
        byte[] bytes = kind switch
        {
            "truncated" => png[..(png.Length / 2)],
            "corrupt" => [.. png[..40], .. Enumerable.Repeat((byte)0x5A, png.Length - 52), .. png[^12..]],
            "empty" => [],
            _ => "not a picture"u8.ToArray(),
        };
        File.WriteAllBytes(t["bad.png"], bytes);

        AssertOneError(1, CliHarness.Run("image", t["bad.png"], "-o", t["out.png"], "--op", "max_pool2d", "--kernel-size", "2"), "bad.png");
        Assert.False(File.Exists(t["out.png"]));
    }

    [Fact]
    public void FolderModeReportsEachFailureAndGoesOn()
    {
        using var t = new TempFolder();
        string input = t["in"];
        Directory.CreateDirectory(input);
        ImageFile.WritePng(Path.Combine(input, "a.png"), TestImages.Exact(3, 10, 10));
        ImageFile.WritePng(Path.Combine(input, "b.png"), TestImages.Exact(1, 6, 8));
        File.WriteAllBytes(Path.Combine(input, "c.jpg"), TestImages.Jpeg(TestImages.Exact(3, 16, 16)));
        byte[] png = ImageFile.EncodePng(TestImages.Exact(4, 12, 12));
        File.WriteAllBytes(Path.Combine(input, "cut.png"), png[..(png.Length - 20)]);
        File.WriteAllBytes(Path.Combine(input, "noise.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. Enumerable.Repeat((byte)7, 30)]);
        ImageFile.WritePng(Path.Combine(input, "tiny.bmp.png"), TestImages.Exact(3, 1, 1));
        File.WriteAllText(Path.Combine(input, "notes.txt"), "not a picture, not taken");

        var (code, stdout, stderr) = CliHarness.Run("image", input, "-o", t["out"], "--op", "max_pool2d", "--kernel-size", "2");

        Assert.Equal(1, code);
        string[] errors = CliHarness.Lines(stderr);
        Assert.Equal(3, errors.Length);
        Assert.All(errors, e => Assert.StartsWith("error: ", e, StringComparison.Ordinal));
        Assert.Single(errors, e => e.Contains("cut.png", StringComparison.Ordinal) && e.Contains("truncated", StringComparison.Ordinal));
        Assert.Single(errors, e => e.Contains("noise.jpg", StringComparison.Ordinal));
        Assert.Single(errors, e => e.Contains("tiny.bmp.png", StringComparison.Ordinal) && e.Contains("cannot be pooled", StringComparison.Ordinal));
        Assert.Contains("6 pictures: 3 written", stdout, StringComparison.Ordinal);
        Assert.Contains("3 failed", stdout, StringComparison.Ordinal);
        Assert.Equal(3, CliHarness.Lines(stdout).Count(l => l.Contains(" wrote ", StringComparison.Ordinal)));
        Assert.Equal(["a.png", "b.png", "c.png"], Directory.GetFiles(t["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { 1, 1, 3, 4 }, ImageFile.Read(Path.Combine(t["out"], "b.png")).Shape.ToArray());
    }

    [Fact]
    public void FolderModeNeverReplacesWithoutOverwrite()
    {
        using var t = new TempFolder();
        string input = t["in"];
        Directory.CreateDirectory(input);
        ImageFile.WritePng(Path.Combine(input, "a.png"), TestImages.Exact(3, 10, 10));
        ImageFile.WritePng(Path.Combine(input, "b.png"), TestImages.Exact(3, 10, 10, seed: 4));
        string[] args = ["image", input, "-o", t["out"], "--op", "max_pool2d", "--kernel-size", "2"];
        Assert.Equal(0, CliHarness.Run(args).ExitCode);
        File.WriteAllText(Path.Combine(t["out"], "a.png"), "mine");

        var again = CliHarness.Run(args);

        Assert.Equal(1, again.ExitCode);
        Assert.Equal(2, CliHarness.Lines(again.Stderr).Count(l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains("already exists", StringComparison.Ordinal)));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(t["out"], "a.png")));

        var replaced = CliHarness.Run([.. args, "--overwrite"]);

        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.Equal(new[] { 1, 3, 5, 5 }, ImageFile.Read(Path.Combine(t["out"], "a.png")).Shape.ToArray());
        Assert.Equal(2, Directory.GetFiles(t["out"]).Length);
    }

    [Fact]
    public void NamesThatDifferOnlyInTheExtensionKeepIt()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["p.png"], TestImages.Exact(3, 4, 4));
        using (var bmp = new MemoryStream())
        {
            new StbImageWriteSharp.ImageWriter().WriteBmp(TestImages.Interleaved(TestImages.Exact(3, 4, 4)), 4, 4, StbImageWriteSharp.ColorComponents.RedGreenBlue, bmp);
            File.WriteAllBytes(t["p.BMP"], bmp.ToArray());
        }

        var jobs = ImageBatch.Plan(t.Path, t["out"]);

        Assert.Equal([Path.Combine(t["out"], "p.BMP.png"), Path.Combine(t["out"], "p.png.png")], jobs.Select(j => j.Output));
    }

    [Fact]
    public void TerminalDisplayDrawsABarAndReportsFailuresAfterIt()
    {
        using var screen = new StringWriter();
        using var stderr = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(screen),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
        });
        ImageOutcome[] outcomes =
        [
            new(new ImageJob("a.png", "out/a.png"), null, "4x4 -> 2x2"),
            new(new ImageJob("b.png", "out/b.png"), "image 'b.png' is a truncated PNG.", string.Empty),
        ];

        var all = new TerminalBatchDisplay(console, stderr).Follow(outcomes.Length, outcomes);

        Assert.Equal(outcomes, all);
        Assert.Contains("pooling 2 pictures", screen.ToString(), StringComparison.Ordinal);
        Assert.Equal("error: image 'b.png' is a truncated PNG.", CliHarness.Lines(stderr.ToString()).Single());
    }

    [Theory]
    [InlineData("--op roi_align --output-size 2", "takes boxes")]
    [InlineData("--op max_unpool2d --kernel-size 2", "takes indices")]
    [InlineData("--op max_pool1d --kernel-size 2", "pools 1-D data")]
    [InlineData("--op max_pool3d --kernel-size 2", "pools 3-D data")]
    [InlineData("--op nope", "not supported")]
    [InlineData("--op max_pool2d", "kernel_size")]
    [InlineData("--op max_pool2d --kernel-size x", "--kernel-size")]
    [InlineData("--op max_pool2d --kernel-size 2 --pads 1,1,1,1", "--pads")]
    public void BadOperatorsAreUsageErrors(string options, string expected)
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["in.png"], TestImages.Exact(3, 8, 8));

        AssertOneError(2, CliHarness.Run(["image", t["in.png"], "-o", t["out.png"], .. options.Split(' ')]), expected);
        Assert.False(File.Exists(t["out.png"]));
    }

    [Fact]
    public void BadPlacesAreUsageErrors()
    {
        using var t = new TempFolder();
        ImageFile.WritePng(t["in.png"], TestImages.Exact(3, 8, 8));
        Directory.CreateDirectory(t["empty"]);
        string[] op = ["--op", "max_pool2d", "--kernel-size", "2"];

        AssertOneError(2, CliHarness.Run(["image", t["in.png"], "-o", t["missing/out.png"], .. op]), "does not exist");
        AssertOneError(2, CliHarness.Run(["image", t["empty"], "-o", t["out"], .. op]), "holds no");
        AssertOneError(2, CliHarness.Run(["image", t.Path, "-o", t.Path, .. op]), "input folder");
        AssertOneError(2, CliHarness.Run(["image", t.Path, "-o", t["in.png"], .. op]), "is a file");
        AssertOneError(2, CliHarness.Run(["image", t["in.png"], .. op]), "-o");
    }
}
