using System.Buffers.Binary;
using NeuralPool.Cli.Imaging;
using StbImageWriteSharp;

namespace NeuralPool.Tests.Imaging;

/// <summary>Pictures made in the tests: exact 8-bit and 16-bit patterns, their encodings, and JPEG files with Exif orientation.</summary>
internal static class TestImages
{
    /// <summary>An image whose every value is a multiple of 1/255, so it survives 8-bit encoding exactly.</summary>
    public static DenseTensor<float> Exact(int channels, int height, int width, int seed = 0)
    {
        var image = ImageTensor.Create(channels, height, width);
        for (int i = 0; i < image.Length; i++)
        {
            image.Data[i] = (((i + seed) * 37) + 11) % 256 / 255f;
        }

        return image;
    }

    /// <summary>An image of random multiples of 1/65535, so it survives 16-bit encoding exactly.</summary>
    public static DenseTensor<float> Exact16(int channels, int height, int width, int seed)
    {
        var random = new Random(seed);
        var image = ImageTensor.Create(channels, height, width);
        for (int i = 0; i < image.Length; i++)
        {
            image.Data[i] = random.Next(65536) / 65535f;
        }

        return image;
    }

    /// <summary>The 8-bit samples of an image, pixel by pixel, channels interleaved (what the stb writers take).</summary>
    public static byte[] Interleaved(DenseTensor<float> image)
    {
        var (c, h, w) = ImageTensor.Size(image);
        var bytes = new byte[c * h * w];
        for (int p = 0; p < h * w; p++)
        {
            for (int k = 0; k < c; k++)
            {
                bytes[(p * c) + k] = ImageFile.ToByte(image.Data[(k * h * w) + p]);
            }
        }

        return bytes;
    }

    /// <summary>A JPEG of an RGB image.</summary>
    public static byte[] Jpeg(DenseTensor<float> image, int quality = 90)
    {
        var (_, h, w) = ImageTensor.Size(image);
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(Interleaved(image), w, h, ColorComponents.RedGreenBlue, stream, quality);
        return stream.ToArray();
    }

    /// <summary>
    /// The JPEG with an APP1 Exif segment inserted after start-of-image: a TIFF header in the given byte order and an
    /// IFD0 holding an ImageDescription entry, then the Orientation entry (tag 0x0112, SHORT, count 1).
    /// </summary>
    public static byte[] WithOrientation(byte[] jpeg, int orientation, bool bigEndian)
    {
        var tiff = new byte[8 + 2 + (2 * 12) + 4];
        void U16(int at, int v)
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)v);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), (ushort)v);
            }
        }

        void U32(int at, int v)
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at), (uint)v);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at), (uint)v);
            }
        }

        tiff[0] = tiff[1] = (byte)(bigEndian ? 'M' : 'I');
        U16(2, 42);
        U32(4, 8);
        U16(8, 2);
        U16(10, 0x010E); // ImageDescription, ASCII, 4 bytes "abc\0" in place
        U16(12, 2);
        U32(14, 4);
        "abc\0"u8.CopyTo(tiff.AsSpan(18));
        U16(22, 0x0112);
        U16(24, 3);
        U32(26, 1);
        U16(30, orientation);
        return WithApp1(jpeg, [.. "Exif\0\0"u8, .. tiff]);
    }

    /// <summary>The JPEG with an APP1 segment holding <paramref name="payload"/> inserted after start-of-image.</summary>
    public static byte[] WithApp1(byte[] jpeg, byte[] payload)
    {
        byte[] segment = [0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }
}
