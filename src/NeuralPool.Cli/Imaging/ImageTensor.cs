namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Images as tensors: planar float data of shape (N = 1, C, H, W), channels first, values in [0, 1]. C is 1 (grey),
/// 2 (grey, alpha), 3 (RGB) or 4 (RGBA); the colour channels come first and alpha, when present, last.
/// </summary>
internal static class ImageTensor
{
    /// <summary>A new black image of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static DenseTensor<float> Create(int channels, int height, int width) => new([1, channels, height, width]);

    /// <summary>The channel count, height and width of an image tensor.</summary>
    /// <exception cref="ArgumentException">The tensor is not channels-first (1, C, H, W) with C from 1 to 4 and H, W positive.</exception>
    public static (int Channels, int Height, int Width) Size(DenseTensor<float> image)
    {
        ReadOnlySpan<int> s = image.Shape;
        if (image.Layout != TensorLayout.ChannelsFirst || s.Length != 4 || s[0] != 1 || s[1] is < 1 or > 4 || s[2] < 1 || s[3] < 1)
        {
            throw new ArgumentException($"an image is a channels-first tensor of shape (1, C, H, W) with C from 1 to 4, got {image}.", nameof(image));
        }

        return (s[1], s[2], s[3]);
    }

    /// <summary>The channel count, height and width shared by two image tensors.</summary>
    /// <exception cref="ArgumentException">A tensor is not an image, or their shapes differ.</exception>
    public static (int Channels, int Height, int Width) SameSize(DenseTensor<float> reference, DenseTensor<float> test)
    {
        var size = Size(reference);
        if (Size(test) != size)
        {
            throw new ArgumentException($"images of different shapes: {reference} and {test}.", nameof(test));
        }

        return size;
    }

    /// <summary>The channels that carry colour: all but the alpha channel of grey+alpha and RGBA images.</summary>
    public static int ColourChannels(int channels) => channels is 2 or 4 ? channels - 1 : channels;

    /// <summary>The top-left <paramref name="height"/> × <paramref name="width"/> pixels of every channel.</summary>
    /// <exception cref="ArgumentException">The crop is larger than the image or empty.</exception>
    public static DenseTensor<float> Crop(DenseTensor<float> image, int height, int width)
    {
        var (c, h, w) = Size(image);
        if (height < 1 || width < 1 || height > h || width > w)
        {
            throw new ArgumentException($"cannot crop a {w}x{h} image to {width}x{height}.", nameof(height));
        }

        var result = Create(c, height, width);
        for (int ch = 0; ch < c; ch++)
        {
            for (int y = 0; y < height; y++)
            {
                image.Data.AsSpan(((ch * h) + y) * w, width).CopyTo(result.Data.AsSpan(((ch * height) + y) * width, width));
            }
        }

        return result;
    }

    /// <summary>
    /// Copies the colour of <paramref name="image"/> into the RGB <paramref name="canvas"/> with its top-left corner at
    /// (<paramref name="top"/>, <paramref name="left"/>): grey is repeated into red, green and blue, alpha is left out.
    /// Pixels outside the canvas are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">The canvas has not 3 channels, or a tensor is not an image.</exception>
    public static void Paste(DenseTensor<float> canvas, DenseTensor<float> image, int top, int left)
    {
        var (cc, ch, cw) = Size(canvas);
        var (c, h, w) = Size(image);
        if (cc != 3)
        {
            throw new ArgumentException($"the canvas must be RGB, got {cc} channels.", nameof(canvas));
        }

        int colour = ColourChannels(c);
        for (int k = 0; k < 3; k++)
        {
            int source = colour == 1 ? 0 : k;
            for (int y = Math.Max(0, -top); y < h && top + y < ch; y++)
            {
                for (int x = Math.Max(0, -left); x < w && left + x < cw; x++)
                {
                    canvas.Data[(((k * ch) + top + y) * cw) + left + x] = image.Data[(((source * h) + y) * w) + x];
                }
            }
        }
    }
}
