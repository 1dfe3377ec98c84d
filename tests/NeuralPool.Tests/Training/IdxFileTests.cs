using System.Buffers.Binary;
using System.IO.Compression;
using NeuralPool.Training.Data;

namespace NeuralPool.Tests.Training;

/// <summary>The IDX reader and the Fashion-MNIST loader on tiny files written here: good files, truncation, wrong magic numbers, sizes and counts.</summary>
public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "neuralpool-idx-" + Guid.NewGuid().ToString("N"));

    public IdxFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An IDX file: magic (0, 0, type, rank), big-endian dimensions, then <paramref name="data"/>.</summary>
    internal static byte[] Idx(int[] dims, byte[] data, byte type = 0x08, int? rank = null)
    {
        var bytes = new byte[4 + (4 * dims.Length) + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)(rank ?? dims.Length);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        data.CopyTo(bytes, 4 + (4 * dims.Length));
        return bytes;
    }

    internal static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return memory.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Sequence(int n) => [.. Enumerable.Range(0, n).Select(i => (byte)(i * 7))];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_GoodFile_GivesDimensionsAndBytes(bool gzip)
    {
        byte[] data = Sequence(3 * 4 * 5);
        byte[] file = Idx([3, 4, 5], data);
        string path = Write("images.idx", gzip ? Gzip(file) : file);

        var (dims, count, bytes) = IdxFile.Read(path, 3);

        Assert.Equal([3, 4, 5], dims);
        Assert.Equal(3, count);
        Assert.Equal(data, bytes);
    }

    [Fact]
    public void Read_Limit_TakesTheFirstItems()
    {
        byte[] data = Sequence(5 * 2 * 2);
        string path = Write("a.gz", Gzip(Idx([5, 2, 2], data)));

        var (dims, count, bytes) = IdxFile.Read(path, 3, limit: 2);
        Assert.Equal([2, 2, 2], dims);
        Assert.Equal(5, count);
        Assert.Equal(data[..8], bytes);

        Assert.Equal([5, 2, 2], IdxFile.Read(path, 3, limit: 100).Dimensions);
        Assert.Empty(IdxFile.Read(path, 3, limit: 0).Data);
    }

    [Theory]
    [InlineData(3, "ends inside the 4-byte magic number")]
    [InlineData(6, "ends inside dimension 0")]
    [InlineData(10, "ends inside dimension 1")]
    [InlineData(16, "truncated: its header declares 3×2×2 = 12 bytes")]
    [InlineData(27, "the file ends after 11 of the 12 bytes")]
    public void Read_TruncatedFile_SaysWhere(int keep, string expected)
    {
        byte[] file = Idx([3, 2, 2], Sequence(12))[..keep];
        string path = Write("t.gz", Gzip(file));

        var ex = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 3));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TruncatedGzipStream_IsADatasetError()
    {
        byte[] gz = Gzip(Idx([200, 28, 28], Sequence(200 * 28 * 28)));
        string path = Write("cut.gz", gz[..(gz.Length / 2)]);

        var ex = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 3));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DamagedGzip_IsADatasetError()
    {
        byte[] gz = Gzip(Idx([4, 3, 3], Sequence(36)));
        for (int i = 10; i < gz.Length - 8; i++)
        {
            gz[i] ^= 0xA5;
        }

        string path = Write("bad.gz", gz);
        var ex = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 3));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x08, 1, "0x00000801, expected 0x00000803")]  // a label file where images are expected
    [InlineData(0x0D, 3, "0x00000D03, expected 0x00000803")]  // float data
    public void Read_WrongMagic_NamesBothNumbers(byte type, int rank, string expected)
    {
        string path = Write("m.idx", Idx([2, 2, 2], Sequence(8), type, rank));

        var ex = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 3));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NonPositiveDimension_And_TrailingBytes_AreErrors()
    {
        string zero = Write("z.idx", Idx([2, 0, 2], []));
        Assert.Contains("dimension 1 as 0", Assert.Throws<DatasetException>(() => IdxFile.Read(zero, 3)).Message, StringComparison.Ordinal);

        string longer = Write("l.idx", Idx([2], [1, 2, 3]));
        Assert.Contains("more bytes than its header declares", Assert.Throws<DatasetException>(() => IdxFile.Read(longer, 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_NamesIt()
    {
        string path = Path.Combine(_dir, "missing.gz");
        Assert.Contains(path, Assert.Throws<DatasetException>(() => IdxFile.Read(path, 1)).Message, StringComparison.Ordinal);
    }

    private void WriteFashion(DatasetSplit split, int images, int labels, int side = 28, byte label = 3)
    {
        var (imageName, labelName) = FashionMnist.FileNames(split);
        Write(imageName, Gzip(Idx([images, side, side], [.. Enumerable.Range(0, images * side * side).Select(i => (byte)(i % 256))])));
        Write(labelName, Gzip(Idx([labels], [.. Enumerable.Repeat(label, labels)])));
    }

    [Fact]
    public void FashionMnist_TinyFiles_ScaleAndNormalise()
    {
        WriteFashion(DatasetSplit.Test, images: 3, labels: 3, label: 9);

        var standard = FashionMnist.Load(DatasetSplit.Test, directory: _dir);
        var unit = FashionMnist.Load(DatasetSplit.Test, directory: _dir, normalization: Normalization.UnitRange);
        var two = FashionMnist.Load(DatasetSplit.Test, limit: 2, directory: _dir);

        Assert.Equal(3, standard.Count);
        Assert.Equal(2, two.Count);
        Assert.Equal(2 * 28 * 28, two.Images.Length);
        Assert.Equal([9, 9, 9], standard.Labels);
        Assert.Equal("Ankle boot", standard.ClassNames[9]);
        // Pixel i holds i mod 256: 0 → 0, 255 → 1 (ToTensor), then (x − 0.2860) / 0.3530 (Normalize).
        Assert.Equal(0f, unit.Images[0]);
        Assert.Equal(1f, unit.Images[255]);
        Assert.Equal(128 / 255f, unit.Images[128]);
        Assert.Equal((0f - 0.2860f) / 0.3530f, standard.Images[0]);
        Assert.Equal((1f - 0.2860f) / 0.3530f, standard.Images[255]);
    }

    [Fact]
    public void FashionMnist_CountsThatDiffer_NameTheLabelFile()
    {
        WriteFashion(DatasetSplit.Train, images: 3, labels: 2);
        string labels = Path.Combine(_dir, FashionMnist.FileNames(DatasetSplit.Train).Labels);

        var ex = Assert.Throws<DatasetException>(() => FashionMnist.Load(DatasetSplit.Train, directory: _dir));
        Assert.Contains($"'{labels}' holds 2 labels but", ex.Message, StringComparison.Ordinal);
        Assert.Contains("holds 3 images", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FashionMnist_LabelOutOfRange_And_WrongImageSize_AreErrors()
    {
        WriteFashion(DatasetSplit.Train, images: 2, labels: 2, label: 10);
        var ex = Assert.Throws<DatasetException>(() => FashionMnist.Load(DatasetSplit.Train, directory: _dir));
        Assert.Contains("label 10 at position 0, outside [0, 10)", ex.Message, StringComparison.Ordinal);

        WriteFashion(DatasetSplit.Test, images: 2, labels: 2, side: 27);
        ex = Assert.Throws<DatasetException>(() => FashionMnist.Load(DatasetSplit.Test, directory: _dir));
        Assert.Contains("27×27 images", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FashionMnist_MissingOrCorruptFiles_SayWhatToInstall()
    {
        string images = Path.Combine(_dir, FashionMnist.FileNames(DatasetSplit.Train).Images);
        var missing = Assert.Throws<DatasetException>(() => FashionMnist.Load(DatasetSplit.Train, directory: _dir));
        Assert.Contains($"'{images}' not found", missing.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", missing.Message, StringComparison.Ordinal);

        Write(Path.GetFileName(images), Gzip(Idx([2, 28, 28], Sequence(100))));
        var corrupt = Assert.Throws<DatasetException>(() => FashionMnist.Load(DatasetSplit.Train, directory: _dir));
        Assert.Contains(images, corrupt.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", corrupt.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", corrupt.Message, StringComparison.Ordinal);
    }
}
