using StbImageSharp;
using StbImageWriteSharp;

namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Reads PNG, JPEG and BMP files into image tensors (see <see cref="ImageTensor"/>) with stb_image (StbImageSharp),
/// after <see cref="ImageStructure"/> has refused other kinds of data and truncated or damaged containers, and
/// writes image tensors as PNG. Reading keeps the file's channel count (grey, grey+alpha, RGB, RGBA) and maps each
/// 8-bit sample v to v / 255; 16-bit PNGs are read by <see cref="Png16Decoder"/>, each sample v as v / 65535; JPEG
/// pixels are turned upright by their Exif orientation (<see cref="ExifOrientation"/>). Writing clamps each value to
/// [0, 1] (NaN to 0), scales it to the largest sample (255, or 65535 for 16-bit PNG) and rounds to the nearest
/// integer; 8-bit PNGs are encoded by StbImageWriteSharp, 16-bit ones by <see cref="Png16Encoder"/>.
/// </summary>
internal static class ImageFile
{
    /// <summary>The largest image read, in pixels (width × height), so that a crafted header cannot demand gigabytes.</summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>Reads and decodes the image at <paramref name="path"/>.</summary>
    /// <exception cref="ImageFileException">The file is missing, unreadable, empty, truncated, corrupt, too large or of an unknown kind.</exception>
    public static DenseTensor<float> Read(string path) => Load(path).Pixels;

    /// <summary>Reads and decodes the image at <paramref name="path"/>, with the bit depth of its samples.</summary>
    /// <exception cref="ImageFileException">The file is missing, unreadable, empty, truncated, corrupt, too large or of an unknown kind.</exception>
    public static LoadedImage Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageFileException($"image '{path}' does not exist.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImageFileException($"cannot read image '{path}': {ex.Message}", ex);
        }

        return DecodeImage(bytes, path);
    }

    /// <summary>Decodes an encoded image held in memory; <paramref name="name"/> names it in error messages.</summary>
    /// <exception cref="ImageFileException">The data is empty, truncated, corrupt, too large or of an unknown kind.</exception>
    public static DenseTensor<float> Decode(byte[] bytes, string name) => DecodeImage(bytes, name).Pixels;

    /// <summary>Decodes an encoded image held in memory, with the bit depth of its samples; <paramref name="name"/> names it in error messages.</summary>
    /// <exception cref="ImageFileException">The data is empty, truncated, corrupt, too large or of an unknown kind.</exception>
    public static LoadedImage DecodeImage(byte[] bytes, string name)
    {
        if (bytes.Length == 0)
        {
            throw new ImageFileException($"image '{name}' is empty (0 bytes).");
        }

        ImageStructure.Check(bytes, name);
        if (Png16Decoder.IsSixteenBit(bytes))
        {
            return new LoadedImage(Png16Decoder.Decode(bytes, name), 16);
        }

        var pixels = DecodeEightBit(bytes, name);
        return new LoadedImage(ImageOrientation.Apply(pixels, ExifOrientation.Read(bytes)), 8);
    }

    /// <summary>Decodes 8-bit data with stb_image.</summary>
    private static DenseTensor<float> DecodeEightBit(byte[] bytes, string name)
    {
        ImageResult decoded;
        try
        {
            using var header = new MemoryStream(bytes, writable: false);
            var info = ImageInfo.FromStream(header) ?? throw new ImageFileException($"image '{name}' has a damaged header.");
            if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > MaxPixels)
            {
                throw new ImageFileException($"image '{name}' declares {info.Width}x{info.Height} pixels; at most {MaxPixels} pixels are read.");
            }

            decoded = ImageResult.FromMemory(bytes, StbImageSharp.ColorComponents.Default);
        }
        catch (Exception ex) when (ex is not (ImageFileException or OutOfMemoryException))
        {
            // The decoder reports damage as InvalidOperationException with stb_image's reason; damaged data can also
            // make the ported C code index past its buffers.
            string reason = ex is InvalidOperationException && !string.IsNullOrWhiteSpace(ex.Message) ? ex.Message : "damaged data";
            throw new ImageFileException($"image '{name}' cannot be decoded ({reason}); it is corrupt.", ex);
        }

        int channels = (int)decoded.Comp, height = decoded.Height, width = decoded.Width;
        if (channels is < 1 or > 4 || decoded.Data is null || decoded.Data.Length < (long)channels * height * width)
        {
            throw new ImageFileException($"image '{name}' decoded to an unusable result ({channels} channels, {width}x{height}).");
        }

        var image = ImageTensor.Create(channels, height, width);
        int plane = height * width;
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < channels; c++)
            {
                image.Data[(c * plane) + p] = decoded.Data[(p * channels) + c] / 255f;
            }
        }

        return image;
    }

    /// <summary>Encodes an image tensor as PNG with its channel count (grey, grey+alpha, RGB or RGBA) and 8- or 16-bit samples.</summary>
    /// <exception cref="ArgumentException">The tensor is not an image tensor, or <paramref name="bitDepth"/> is not 8 or 16.</exception>
    public static byte[] EncodePng(DenseTensor<float> image, int bitDepth = 8)
    {
        if (bitDepth == 16)
        {
            return Png16Encoder.Encode(image);
        }

        if (bitDepth != 8)
        {
            throw new ArgumentException($"PNG files are written with 8 or 16 bits per sample, not {bitDepth}.", nameof(bitDepth));
        }

        var (channels, height, width) = ImageTensor.Size(image);
        int plane = height * width;
        var interleaved = new byte[plane * channels];
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < plane; p++)
            {
                interleaved[(p * channels) + c] = ToByte(image.Data[(c * plane) + p]);
            }
        }

        using var stream = new MemoryStream();
        new ImageWriter().WritePng(interleaved, width, height, (StbImageWriteSharp.ColorComponents)channels, stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes an image tensor to <paramref name="path"/> as PNG (see <see cref="EncodePng"/>) with <see cref="AtomicFile"/>:
    /// the file appears complete or not at all.
    /// </summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="image">The image tensor.</param>
    /// <param name="bitDepth">8 or 16 bits per sample.</param>
    /// <param name="overwrite">Replace an existing file; without it an existing file is an error.</param>
    /// <exception cref="ImageFileException">The file exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public static void WritePng(string path, DenseTensor<float> image, int bitDepth = 8, bool overwrite = true) =>
        AtomicFile.Write(path, EncodePng(image, bitDepth), overwrite);

    /// <summary>A value in [0, 1] as an 8-bit sample: clamped (NaN as 0), scaled by 255, rounded half away from zero.</summary>
    public static byte ToByte(float value) => (byte)ToSample(value, byte.MaxValue);

    /// <summary>A value in [0, 1] as an integer sample from 0 to <paramref name="maxValue"/>: clamped (NaN as 0), scaled, rounded half away from zero.</summary>
    public static int ToSample(float value, int maxValue) =>
        (int)Math.Round(float.IsNaN(value) ? 0 : Math.Clamp(value, 0f, 1f) * (float)maxValue, MidpointRounding.AwayFromZero);
}
