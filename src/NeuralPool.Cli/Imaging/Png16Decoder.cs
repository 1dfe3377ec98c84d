using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Decodes PNG files with 16-bit samples, which stb_image would reduce to 8 bits: grey, grey+alpha, RGB and RGBA
/// (colour types 0, 4, 2, 6), progressive (Adam7) or not, every filter type. A <c>tRNS</c> chunk of a grey or RGB
/// image adds an alpha channel (0 where a pixel equals its colour key, 1 elsewhere). Each sample v becomes v / 65535
/// in the image tensor, which float32 holds exactly enough for <see cref="ImageFile.ToSample"/> to give v back.
/// Chunk CRCs are checked; unknown ancillary chunks are skipped, unknown critical chunks refused.
/// </summary>
internal static class Png16Decoder
{
    /// <summary>The Adam7 passes: first column and row, column and row steps.</summary>
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The header fields the decoder uses.</summary>
    private readonly record struct Header(int Width, int Height, int Channels, bool Interlaced);

    /// <summary>True when <paramref name="bytes"/> is a PNG whose header declares 16-bit samples.</summary>
    public static bool IsSixteenBit(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 33 && bytes.StartsWith(Signature) && bytes.Slice(12, 4).SequenceEqual("IHDR"u8) && bytes[24] == 16;

    /// <summary>Decodes a 16-bit PNG into an image tensor (see <see cref="ImageTensor"/>).</summary>
    /// <exception cref="ImageFileException">The data is truncated, corrupt, too large or not a 16-bit PNG; the message names <paramref name="name"/>.</exception>
    public static DenseTensor<float> Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (!IsSixteenBit(bytes))
        {
            throw new ImageFileException($"image '{name}' is not a 16-bit PNG.");
        }

        using var compressed = new MemoryStream();
        ushort[]? key = null;
        Header? header = null;
        for (int at = Signature.Length; ;)
        {
            if (at + 12 > bytes.Length)
            {
                throw new ImageFileException($"image '{name}' is a truncated PNG: it ends before its IEND chunk.");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]);
            if (length > int.MaxValue || at + 12L + length > bytes.Length)
            {
                throw new ImageFileException($"image '{name}' is a truncated PNG: its '{ChunkName(bytes.Slice(at + 4, 4))}' chunk runs past the end of the file.");
            }

            ReadOnlySpan<byte> type = bytes.Slice(at + 4, 4), data = bytes.Slice(at + 8, (int)length);
            if (PngCrc.Compute(type, data) != BinaryPrimitives.ReadUInt32BigEndian(bytes[(at + 8 + (int)length)..]))
            {
                throw Corrupt(name, $"its '{ChunkName(type)}' chunk fails its CRC check");
            }

            at += 12 + (int)length;
            if (header is null)
            {
                header = type.SequenceEqual("IHDR"u8) ? ReadHeader(data, name) : throw Corrupt(name, "it does not start with an IHDR chunk");
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                compressed.Write(data);
            }
            else if (type.SequenceEqual("tRNS"u8))
            {
                key = ReadKey(data, header.Value.Channels, name);
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }
            else if (type.SequenceEqual("IHDR"u8) || ((type[0] & 0x20) == 0 && !type.SequenceEqual("PLTE"u8)))
            {
                // A second header, or a critical chunk this decoder does not know (bit 5 of the first letter clear).
                throw Corrupt(name, $"it holds a '{ChunkName(type)}' chunk that the decoder cannot interpret");
            }
        }

        if (compressed.Length == 0)
        {
            throw Corrupt(name, "it has no IDAT chunk");
        }

        return Pixels(header.Value, Inflate(compressed, header.Value, name), key, name);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> data, string name)
    {
        if (data.Length != 13)
        {
            throw Corrupt(name, $"its IHDR chunk holds {data.Length} bytes instead of 13");
        }

        uint width = BinaryPrimitives.ReadUInt32BigEndian(data), height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        byte colourType = data[9], compression = data[10], filter = data[11], interlace = data[12];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue || (long)width * height > ImageFile.MaxPixels)
        {
            throw new ImageFileException($"image '{name}' declares {width}x{height} pixels; at most {ImageFile.MaxPixels} pixels are read.");
        }

        int channels = colourType switch
        {
            0 => 1,
            4 => 2,
            2 => 3,
            6 => 4,
            _ => throw Corrupt(name, $"colour type {colourType} does not exist at 16 bits"),
        };
        if (compression != 0 || filter != 0 || interlace > 1)
        {
            throw Corrupt(name, $"its IHDR chunk declares compression {compression}, filter method {filter} and interlace {interlace}");
        }

        return new Header((int)width, (int)height, channels, interlace == 1);
    }

    /// <summary>The colour key of a tRNS chunk (grey, or red, green, blue), or null for images with an alpha channel, where it has no meaning.</summary>
    private static ushort[]? ReadKey(ReadOnlySpan<byte> data, int channels, string name)
    {
        if (channels is 2 or 4)
        {
            return null;
        }

        if (data.Length != 2 * channels)
        {
            throw Corrupt(name, $"its tRNS chunk holds {data.Length} bytes instead of {2 * channels}");
        }

        var key = new ushort[channels];
        for (int c = 0; c < channels; c++)
        {
            key[c] = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * c)..]);
        }

        return key;
    }

    /// <summary>The passes of an image: Adam7's seven, or one covering every pixel.</summary>
    private static IEnumerable<(int X0, int Y0, int Dx, int Dy, int Width, int Height)> Passes(Header h) =>
        (h.Interlaced ? Adam7 : [(0, 0, 1, 1)])
            .Select(p => (p.X0, p.Y0, p.Dx, p.Dy, Width: Math.Max(0, (h.Width - p.X0 + p.Dx - 1) / p.Dx), Height: Math.Max(0, (h.Height - p.Y0 + p.Dy - 1) / p.Dy)))
            .Where(p => p.Width > 0 && p.Height > 0);

    /// <summary>The decompressed scanlines of every pass: a filter type byte, then the pass width × 2 × channels bytes, per row.</summary>
    private static byte[] Inflate(MemoryStream compressed, Header h, string name)
    {
        long expected = Passes(h).Sum(p => p.Height * (1 + (2L * h.Channels * p.Width)));
        var raw = new byte[expected];
        compressed.Position = 0;
        int got;
        try
        {
            using var inflater = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            got = inflater.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException ex)
        {
            throw new ImageFileException($"image '{name}' cannot be decoded (damaged compressed data: {ex.Message}); it is corrupt.", ex);
        }

        if (got < expected)
        {
            throw new ImageFileException($"image '{name}' is a truncated PNG: its image data ends after {got} of {expected} bytes.");
        }

        return raw;
    }

    /// <summary>Reverses the filters pass by pass and scatters the samples into a planar image.</summary>
    private static DenseTensor<float> Pixels(Header h, byte[] raw, ushort[]? key, string name)
    {
        int channels = h.Channels, outChannels = key is null ? channels : channels + 1, plane = h.Width * h.Height;
        var image = ImageTensor.Create(outChannels, h.Height, h.Width);
        Span<ushort> pixel = stackalloc ushort[4];
        int at = 0;
        foreach (var pass in Passes(h))
        {
            int rowBytes = 2 * channels * pass.Width;
            ReadOnlySpan<byte> prior = new byte[rowBytes];
            for (int r = 0; r < pass.Height; r++)
            {
                byte type = raw[at];
                Span<byte> row = raw.AsSpan(at + 1, rowBytes);
                if (!PngFilter.TryReconstruct(type, row, prior, 2 * channels))
                {
                    throw Corrupt(name, $"scanline {r} uses filter type {type}, which does not exist");
                }

                int y = pass.Y0 + (r * pass.Dy);
                for (int i = 0; i < pass.Width; i++)
                {
                    int offset = (y * h.Width) + pass.X0 + (i * pass.Dx);
                    for (int c = 0; c < channels; c++)
                    {
                        pixel[c] = BinaryPrimitives.ReadUInt16BigEndian(row[(2 * ((i * channels) + c))..]);
                        image.Data[(c * plane) + offset] = pixel[c] / 65535f;
                    }

                    if (key is not null)
                    {
                        image.Data[(channels * plane) + offset] = pixel[..channels].SequenceEqual(key) ? 0f : 1f;
                    }
                }

                prior = row;
                at += 1 + rowBytes;
            }
        }

        return image;
    }

    private static ImageFileException Corrupt(string name, string reason) => new($"image '{name}' is a corrupt PNG: {reason}.");

    /// <summary>A chunk type for messages: its letters, other bytes as '?'.</summary>
    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[type.Length];
        for (int i = 0; i < type.Length; i++)
        {
            chars[i] = char.IsAsciiLetter((char)type[i]) ? (char)type[i] : '?';
        }

        return new string(chars);
    }
}
