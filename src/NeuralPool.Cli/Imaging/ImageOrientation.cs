namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Turns stored pixels upright for the eight TIFF/Exif orientations. Orientation o says where the stored first row
/// and first column belong on display: 1 as stored, 2 mirrored left-right, 3 turned 180°, 4 mirrored top-bottom,
/// 5 transposed (mirrored about the main diagonal), 6 turned 90° clockwise, 7 transversed (mirrored about the
/// anti-diagonal), 8 turned 90° anticlockwise. Orientations 5 to 8 swap width and height.
/// </summary>
internal static class ImageOrientation
{
    /// <summary>The upright image for pixels stored with <paramref name="orientation"/> (the same tensor for 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="orientation"/> is not 1 to 8.</exception>
    /// <exception cref="ArgumentException"><paramref name="image"/> is not an image tensor.</exception>
    public static DenseTensor<float> Apply(DenseTensor<float> image, int orientation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(orientation, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(orientation, 8);
        if (orientation == 1)
        {
            return image;
        }

        var (c, h, w) = ImageTensor.Size(image);
        bool swap = orientation >= 5;
        int oh = swap ? w : h, ow = swap ? h : w;
        var upright = ImageTensor.Create(c, oh, ow);
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // The stored row and column shown at display row y, column x.
                var (sy, sx) = orientation switch
                {
                    2 => (y, w - 1 - x),
                    3 => (h - 1 - y, w - 1 - x),
                    4 => (h - 1 - y, x),
                    5 => (x, y),
                    6 => (h - 1 - x, y),
                    7 => (h - 1 - x, w - 1 - y),
                    _ => (x, w - 1 - y),
                };
                for (int k = 0; k < c; k++)
                {
                    upright.Data[(((k * oh) + y) * ow) + x] = image.Data[(((k * h) + sy) * w) + sx];
                }
            }
        }

        return upright;
    }
}
