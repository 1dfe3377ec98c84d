using System.Buffers.Binary;
using System.IO.Compression;
using NeuralPool.Cli.Imaging;
using NeuralPool.Interop;
using NeuralPool.Tests.Cli;

namespace NeuralPool.Tests.Imaging;

public class Png16Tests
{
    private static string Fixtures => Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", "png16");

    public static TheoryData<string> FixtureNames()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Fixtures, "*.png").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    /// <summary>The fixtures of tools/reference/gen_png16_fixtures.py: every colour type, filter type, Adam7, split IDAT, tRNS keys.</summary>
    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void FixturesDecodeToTheirSamples(string name)
    {
        var expected = Npy.Read(Path.Combine(Fixtures, name + ".npy"));
        var image = ImageFile.Load(Path.Combine(Fixtures, name + ".png"));

        Assert.Equal(16, image.BitDepth);
        int[] shape = expected.Shape;
        Assert.Equal(new[] { 1, shape[0], shape[1], shape[2] }, image.Pixels.Shape.ToArray());
        long[] samples = expected.GetData<long>();
        for (int i = 0; i < samples.Length; i++)
        {
            Assert.Equal(samples[i], ImageFile.ToSample(image.Pixels.Data[i], ushort.MaxValue));
        }
    }

    [Theory]
    [InlineData(1, 5, 7)]
    [InlineData(2, 9, 4)]
    [InlineData(3, 1, 1)]
    [InlineData(4, 16, 13)]
    public void EncoderRoundTripsEverySample(int channels, int height, int width)
    {
        var image = TestImages.Exact16(channels, height, width, seed: channels);

        byte[] png = ImageFile.EncodePng(image, 16);
        var back = ImageFile.DecodeImage(png, "memory");

        Assert.Equal(16, png[24]);
        Assert.Equal(16, back.BitDepth);
        Assert.Equal(image.Data, back.Pixels.Data);
    }

    [Fact]
    public void EightBitFilesReportEightBits()
    {
        Assert.Equal(8, ImageFile.DecodeImage(ImageFile.EncodePng(TestImages.Exact(3, 4, 4)), "x.png").BitDepth);
        Assert.Equal(8, ImageFile.DecodeImage(TestImages.Jpeg(TestImages.Exact(3, 8, 8)), "x.jpg").BitDepth);
    }

    [Fact]
    public void ChunkWithAWrongCrcIsRefused()
    {
        byte[] png = ImageFile.EncodePng(TestImages.Exact16(3, 6, 6, 1), 16);
        png[^13] ^= 0x01; // the last byte of IDAT's CRC (IEND is the last 12 bytes)

        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode(png, "crc.png"));

        Assert.Contains("crc.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CRC", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompressedDataThatEndsEarlyIsTruncated()
    {
        byte[] raw = new byte[4 * (1 + (2 * 3 * 4))]; // 4 rows of 4 RGB pixels, filter 0
        byte[] short3 = Deflate(raw[..^10]);

        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode(Png(4, 4, 2, short3), "short.png"));

        Assert.Contains("short.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFilterTypeIsRefused()
    {
        byte[] raw = new byte[2 * (1 + 2)]; // 2 rows of 1 grey pixel
        raw[3] = 7;

        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode(Png(1, 2, 0, Deflate(raw)), "filter.png"));

        Assert.Contains("filter type 7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedCompressedDataIsCorrupt()
    {
        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode(Png(2, 2, 0, [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]), "zlib.png"));

        Assert.Contains("zlib.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeDeclaredSizeIsRefusedBeforeDecoding()
    {
        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode(Png(100_000, 100_000, 0, Deflate([0, 0, 0])), "huge.png"));

        Assert.Contains("at most", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] Deflate(byte[] raw)
    {
        using var stream = new MemoryStream();
        using (var z = new ZLibStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw);
        }

        return stream.ToArray();
    }

    /// <summary>A 16-bit PNG with the given header fields and IDAT payload, every CRC right.</summary>
    private static byte[] Png(int width, int height, byte colourType, byte[] idat)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 16;
        header[9] = colourType;
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR"u8, header), .. Chunk("IDAT"u8, idat), .. Chunk("IEND"u8, [])];
    }

    private static byte[] Chunk(ReadOnlySpan<byte> type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        type.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), PngCrc.Compute(type, data));
        return chunk;
    }
}
