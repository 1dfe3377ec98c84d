using System.Buffers.Binary;

namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Checks the container structure of PNG, JPEG and BMP data before it reaches the decoder, which fills what is
/// missing from a cut JPEG or BMP (grey or black pixels) instead of failing, and whose JPEG reader loops forever
/// on a segment length that runs past the end of the data. PNG: the signature, then chunks that each fit in the
/// data, up to IEND. JPEG: start-of-image, then segments that each fit in the data (entropy-coded data after
/// start-of-scan is skipped to the next marker), up to end-of-image. BMP with a BITMAPINFOHEADER or later and no
/// compression: the pixel rows the header declares are present.
/// </summary>
internal static class ImageStructure
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Throws unless <paramref name="bytes"/> is a structurally complete PNG, JPEG or BMP.</summary>
    /// <exception cref="ImageFileException">Another kind of data, or truncated or corrupt structure; the message names <paramref name="name"/>.</exception>
    public static void Check(ReadOnlySpan<byte> bytes, string name)
    {
        string? problem = bytes switch
        {
            _ when bytes.StartsWith(PngSignature) => Png(bytes),
            [0xFF, 0xD8, 0xFF, ..] => Jpeg(bytes),
            [(byte)'B', (byte)'M', ..] => Bmp(bytes),
            _ => "is not a PNG, JPEG or BMP image (unknown signature)",
        };
        if (problem is not null)
        {
            throw new ImageFileException($"image '{name}' {problem}.");
        }
    }

    private static string? Png(ReadOnlySpan<byte> bytes)
    {
        long at = PngSignature.Length;
        while (at + 8 <= bytes.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)at..]);
            ReadOnlySpan<byte> type = bytes.Slice((int)at + 4, 4);
            at += 12L + length; // length, type, data, CRC
            if (at > bytes.Length)
            {
                return $"is a truncated PNG: its '{System.Text.Encoding.ASCII.GetString(type)}' chunk runs past the end of the file";
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return null;
            }
        }

        return "is a truncated PNG: it ends before its IEND chunk";
    }

    private static string? Jpeg(ReadOnlySpan<byte> bytes)
    {
        int at = 2;
        while (true)
        {
            // The next marker: 0xFF, any fill 0xFF bytes, then the marker code (stb_image also skips junk before it).
            while (at + 1 < bytes.Length && (bytes[at] != 0xFF || bytes[at + 1] is 0x00 or 0xFF))
            {
                at++;
            }

            if (at + 1 >= bytes.Length)
            {
                return "is a truncated JPEG: it ends before its end-of-image marker";
            }

            byte marker = bytes[at + 1];
            at += 2;
            if (marker == 0xD9)
            {
                return null;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // TEM and restart markers have no length
            }

            if (at + 2 > bytes.Length)
            {
                return "is a truncated JPEG: it ends inside a segment header";
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
            if (length < 2)
            {
                return $"is a corrupt JPEG: segment 0x{marker:X2} at byte {at - 2} has length {length}";
            }

            if (at + length > bytes.Length)
            {
                return $"is a truncated JPEG: segment 0x{marker:X2} at byte {at - 2} runs past the end of the file";
            }

            at += length; // after start-of-scan, the entropy-coded data runs to the next marker (found above)
        }
    }

    private static string? Bmp(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 34)
        {
            return "is a truncated BMP: its headers are incomplete";
        }

        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(bytes[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]);
        long width = BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]), height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bytes[22..]));
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]);
        uint compression = BinaryPrimitives.ReadUInt32LittleEndian(bytes[30..]);
        bool uncompressed = compression is 0 or 3 or 6; // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS
        if (headerSize >= 40 && uncompressed && width > 0 && bits is 1 or 4 or 8 or 16 or 24 or 32)
        {
            long needed = offset + ((((width * bits) + 31) / 32) * 4 * height); // rows padded to 4 bytes
            if (bytes.Length < needed)
            {
                return $"is a truncated BMP: {bytes.Length} bytes, its header needs {needed}";
            }
        }

        return null;
    }
}
