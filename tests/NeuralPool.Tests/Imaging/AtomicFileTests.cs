using NeuralPool.Cli.Imaging;
using NeuralPool.Tests.Cli;

namespace NeuralPool.Tests.Imaging;

public class AtomicFileTests
{
    [Fact]
    public void WritesTheWholeFileAndLeavesNoTemporaryFile()
    {
        using var t = new TempFolder();

        AtomicFile.Write(t["a.bin"], [1, 2, 3], overwrite: false);

        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(t["a.bin"]));
        Assert.Single(Directory.GetFileSystemEntries(t.Path));
    }

    [Fact]
    public void AnExistingFileStaysUnlessOverwriteIsGiven()
    {
        using var t = new TempFolder();
        File.WriteAllBytes(t["a.bin"], [9]);

        var ex = Assert.Throws<ImageFileException>(() => AtomicFile.Write(t["a.bin"], [1, 2], overwrite: false));

        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--overwrite", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(t["a.bin"]));

        AtomicFile.Write(t["a.bin"], [1, 2], overwrite: true);

        Assert.Equal(new byte[] { 1, 2 }, File.ReadAllBytes(t["a.bin"]));
        Assert.Single(Directory.GetFileSystemEntries(t.Path));
    }

    [Fact]
    public void FailuresLeaveNothingBehind()
    {
        using var t = new TempFolder();
        Directory.CreateDirectory(t["folder"]);

        Assert.Throws<ImageFileException>(() => AtomicFile.Write(t["missing/a.bin"], [1], overwrite: true));
        Assert.Throws<ImageFileException>(() => AtomicFile.Write(t["folder"], [1], overwrite: true));
        Assert.Throws<ArgumentException>(() => ImageFile.WritePng(t["five.png"], ImageTensor.Create(4, 2, 2).ToLayout(TensorLayout.ChannelsLast)));

        Assert.Equal([t["folder"]], Directory.GetFileSystemEntries(t.Path));
        Assert.Empty(Directory.GetFileSystemEntries(t["folder"]));
    }
}
