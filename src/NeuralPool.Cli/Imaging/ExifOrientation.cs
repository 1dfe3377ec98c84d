using System.Buffers.Binary;

namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Reads the orientation a JPEG file's Exif metadata gives for its pixels: tag 0x0112 (Orientation, a SHORT) of the
/// first image file directory (IFD0) in the APP1 segment that starts with "Exif\0\0", in either TIFF byte order
/// ("II" little-endian, "MM" big-endian). Values 1 to 8 are the TIFF orientations (see <see cref="ImageOrientation"/>);
/// missing, damaged or out-of-range metadata reads as 1 (the pixels are stored upright), so bad metadata never stops
/// an image from being read.
/// </summary>
internal static class ExifOrientation
{
    /// <summary>The orientation of stored pixels that are already upright.</summary>
    public const int Upright = 1;

    private const ushort OrientationTag = 0x0112, ShortType = 3;

    /// <summary>The Exif orientation (1 to 8) of the JPEG data <paramref name="jpeg"/>, or <see cref="Upright"/>.</summary>
    public static int Read(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg is not [0xFF, 0xD8, ..])
        {
            return Upright;
        }

        // Segments after start-of-image, up to start-of-scan (metadata comes before the pixels).
        int at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            byte marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++; // fill byte
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                break;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                break;
            }

            ReadOnlySpan<byte> segment = jpeg.Slice(at + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8))
            {
                return FromTiff(segment[6..]);
            }

            at += 2 + length;
        }

        return Upright;
    }

    /// <summary>The orientation tag of IFD0 in a TIFF structure, or <see cref="Upright"/>.</summary>
    private static int FromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return Upright;
        }

        bool little;
        if (tiff.StartsWith("II"u8))
        {
            little = true;
        }
        else if (tiff.StartsWith("MM"u8))
        {
            little = false;
        }
        else
        {
            return Upright;
        }

        uint ifd = U32(tiff, 4, little);
        if (U16(tiff, 2, little) != 42 || ifd > (uint)tiff.Length - 2)
        {
            return Upright;
        }

        int count = U16(tiff, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            long entry = ifd + 2L + (12L * i);
            if (entry + 12 > tiff.Length)
            {
                break;
            }

            int e = (int)entry;
            if (U16(tiff, e, little) == OrientationTag)
            {
                // A SHORT with count 1 sits in the first two bytes of the 4-byte value field.
                int value = U16(tiff, e + 2, little) == ShortType && U32(tiff, e + 4, little) == 1 ? U16(tiff, e + 8, little) : 0;
                return value is >= 1 and <= 8 ? value : Upright;
            }
        }

        return Upright;
    }

    private static ushort U16(ReadOnlySpan<byte> tiff, int offset, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff[offset..]) : BinaryPrimitives.ReadUInt16BigEndian(tiff[offset..]);

    private static uint U32(ReadOnlySpan<byte> tiff, int offset, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[offset..]);
}
