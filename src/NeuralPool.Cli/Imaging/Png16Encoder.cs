using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Encodes image tensors as PNG with 16-bit samples (StbImageWriteSharp writes 8 bits only): grey, grey+alpha, RGB
/// or RGBA by channel count, not interlaced, each scanline with the filter <see cref="PngFilter.FilterBest"/> picks,
/// compressed with zlib. Each value becomes <see cref="ImageFile.ToSample"/>(value, 65535).
/// </summary>
internal static class Png16Encoder
{
    /// <summary>The PNG bytes of <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentException">The tensor is not an image tensor.</exception>
    public static byte[] Encode(DenseTensor<float> image)
    {
        var (channels, height, width) = ImageTensor.Size(image);
        int plane = height * width, rowBytes = 2 * channels * width;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)height);
        header[8] = 16;
        header[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        WriteChunk(png, "IHDR"u8, header);

        using var compressed = new MemoryStream();
        using (var deflater = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[rowBytes];
            var prior = new byte[rowBytes];
            var filtered = new byte[rowBytes + 1];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        ushort sample = (ushort)ImageFile.ToSample(image.Data[(c * plane) + (y * width) + x], ushort.MaxValue);
                        BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(2 * ((x * channels) + c)), sample);
                    }
                }

                PngFilter.FilterBest(row, prior, 2 * channels, filtered);
                deflater.Write(filtered);
                (row, prior) = (prior, row);
            }
        }

        WriteChunk(png, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, PngCrc.Compute(type, data));
        stream.Write(word);
    }
}
