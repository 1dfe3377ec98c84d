using NeuralPool.Cli.Imaging;
using NeuralPool.Tests.Cli;
using StbImageWriteSharp;

namespace NeuralPool.Tests.Imaging;

public class ImageFileTests
{
    private static DenseTensor<float> Exact(int channels, int height, int width) => TestImages.Exact(channels, height, width);

    private static byte[] Interleaved(DenseTensor<float> image) => TestImages.Interleaved(image);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void PngRoundTripKeepsChannelsAndValues(int channels)
    {
        using var t = new TempFolder();
        var image = Exact(channels, 7, 10);

        ImageFile.WritePng(t["x.png"], image);
        var back = ImageFile.Read(t["x.png"]);

        Assert.Equal(new[] { 1, channels, 7, 10 }, back.Shape.ToArray());
        Assert.Equal(image.Data, back.Data);
    }

    [Fact]
    public void EncodingClampsAndRounds()
    {
        var image = ImageTensor.Create(1, 1, 6);
        float[] values = [-0.25f, 1.5f, float.NaN, 0.5f / 255f, 1.49f / 255f, 254.5f / 255f];
        values.CopyTo(image.Data, 0);

        var back = ImageFile.Decode(ImageFile.EncodePng(image), "memory");

        Assert.Equal(new[] { 0f, 1f, 0f, 1 / 255f, 1 / 255f, 255 / 255f }, back.Data);
    }

    [Fact]
    public void BmpAndJpegAreDecoded()
    {
        var image = Exact(3, 16, 16);
        using var bmp = new MemoryStream();
        new ImageWriter().WriteBmp(Interleaved(image), 16, 16, ColorComponents.RedGreenBlue, bmp);
        Assert.Equal(image.Data, ImageFile.Decode(bmp.ToArray(), "x.bmp").Data);

        var flat = ImageTensor.Create(3, 16, 16);
        flat.Data.AsSpan().Fill(100 / 255f);
        using var jpg = new MemoryStream();
        new ImageWriter().WriteJpg(Interleaved(flat), 16, 16, ColorComponents.RedGreenBlue, jpg, 95);
        var decoded = ImageFile.Decode(jpg.ToArray(), "x.jpg");
        Assert.Equal(new[] { 1, 3, 16, 16 }, decoded.Shape.ToArray());
        Assert.All(decoded.Data, v => Assert.InRange(v, 97 / 255f, 103 / 255f));
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var t = new TempFolder();
        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Read(t["nothing.png"]));
        Assert.Contains("nothing.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFileIsNamed()
    {
        using var t = new TempFolder();
        File.WriteAllBytes(t["empty.png"], []);
        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Read(t["empty.png"]));
        Assert.Contains("empty.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("empty", ex.Message.Replace("empty.png", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>A PNG cut inside its signature, its header, its pixel data, and just before its end chunk.</summary>
    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.98)]
    public void TruncatedPngIsNamed(double keep)
    {
        using var t = new TempFolder();
        var noise = ImageTensor.Create(3, 32, 32);
        var random = new Random(3);
        for (int i = 0; i < noise.Length; i++)
        {
            noise.Data[i] = random.NextSingle();
        }

        byte[] png = ImageFile.EncodePng(noise);
        File.WriteAllBytes(t["cut.png"], png[..(int)(png.Length * keep)]);

        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Read(t["cut.png"]));

        Assert.Contains("cut.png", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>JPEG and BMP decoders fill a cut file with grey or black; the reader refuses it instead.</summary>
    [Theory]
    [InlineData("jpg", 0.5)]
    [InlineData("jpg", 0.97)]
    [InlineData("bmp", 0.5)]
    [InlineData("bmp", 0.99)]
    public void TruncatedJpegAndBmpAreNamed(string kind, double keep)
    {
        using var t = new TempFolder();
        var image = Exact(3, 16, 16);
        using var stream = new MemoryStream();
        if (kind == "jpg")
        {
            new ImageWriter().WriteJpg(Interleaved(image), 16, 16, ColorComponents.RedGreenBlue, stream, 90);
        }
        else
        {
            new ImageWriter().WriteBmp(Interleaved(image), 16, 16, ColorComponents.RedGreenBlue, stream);
        }

        byte[] whole = stream.ToArray();
        ImageFile.Decode(whole, "whole");
        File.WriteAllBytes(t["cut." + kind], whole[..(int)(whole.Length * keep)]);

        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Read(t["cut." + kind]));

        Assert.Contains("cut." + kind, ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A JPEG segment whose length runs past the end of the file (the decoder alone would loop forever on it).</summary>
    [Fact]
    public void JpegSegmentPastTheEndIsRefused()
    {
        var image = Exact(3, 16, 16);
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(Interleaved(image), 16, 16, ColorComponents.RedGreenBlue, stream, 80);
        byte[] jpg = stream.ToArray();
        Assert.Equal(0xE0, jpg[3]); // APP0 (JFIF), length at bytes 4-5
        jpg[4] = 0xE0;

        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode(jpg, "long.jpg"));

        Assert.Contains("long.jpg", ex.Message, StringComparison.Ordinal);
        Assert.Contains("past the end", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherKindsOfDataAreRefused()
    {
        var ex = Assert.Throws<ImageFileException>(() => ImageFile.Decode("GIF89a\u0001\u0000\u0001\u0000"u8.ToArray(), "x.gif"));
        Assert.Contains("not a PNG, JPEG or BMP", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptDataIsNamed()
    {
        using var t = new TempFolder();
        var random = new Random(7);
        var noise = new byte[500];
        random.NextBytes(noise);
        File.WriteAllBytes(t["noise.png"], noise);
        byte[] png = ImageFile.EncodePng(Exact(3, 32, 32));
        for (int i = 60; i < png.Length - 20; i += 3)
        {
            png[i] ^= 0x5A; // the compressed pixel data, past the header
        }

        File.WriteAllBytes(t["damaged.png"], png);

        foreach (string name in new[] { "noise.png", "damaged.png" })
        {
            var ex = Assert.Throws<ImageFileException>(() => ImageFile.Read(t[name]));
            Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Damaged PNG, JPEG and BMP files (bytes flipped anywhere, the header included) end as <see cref="ImageFileException"/> or decode; nothing else escapes.</summary>
    [Theory]
    [InlineData("png")]
    [InlineData("jpg")]
    [InlineData("bmp")]
    public void DamagedFilesFailOnlyWithImageFileException(string kind)
    {
        var image = Exact(3, 24, 20);
        using var stream = new MemoryStream();
        var writer = new ImageWriter();
        switch (kind)
        {
            case "png":
                stream.Write(ImageFile.EncodePng(image));
                break;
            case "jpg":
                writer.WriteJpg(Interleaved(image), 20, 24, ColorComponents.RedGreenBlue, stream, 80);
                break;
            default:
                writer.WriteBmp(Interleaved(image), 20, 24, ColorComponents.RedGreenBlue, stream);
                break;
        }

        byte[] original = stream.ToArray();
        var random = new Random(kind.Length);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            for (int k = 0, flips = 1 + random.Next(4); k < flips; k++)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            try
            {
                var decoded = ImageFile.Decode(damaged, "damaged." + kind);
                Assert.InRange(decoded.Shape[1], 1, 4);
            }
            catch (ImageFileException ex)
            {
                Assert.Contains("damaged." + kind, ex.Message, StringComparison.Ordinal);
            }
        }
    }
}
