using NeuralPool.Cli.Imaging;

namespace NeuralPool.Cli.Study;

/// <summary>
/// One picture through every pooling method of the detail study (<see cref="DetailMethods"/>) at kernel sizes 2, 4
/// and 8 (stride = kernel), as a contact sheet: the original first, then a row per method and a column per kernel
/// size. The picture is first cropped at the top left to sides that are multiples of 8, so every method keeps one
/// value per k × k block; each result is shown enlarged back to the crop's size, every value repeated over its
/// k × k block, so the blocks the method made stay visible.
/// </summary>
internal static class Gallery
{
    /// <summary>The kernel sizes, one column each.</summary>
    public static IReadOnlyList<int> Kernels { get; } = [2, 4, 8];

    /// <summary>The shortest side a picture needs: two blocks of the largest kernel.</summary>
    public static int MinimumSide => 2 * Kernels.Max();

    /// <summary>
    /// The picture shrunk so that its longer side is at most <paramref name="size"/>, with adaptive average pooling
    /// (each output pixel the mean of its block of the input); a picture already that small is returned as it is.
    /// </summary>
    public static DenseTensor<float> Shrink(DenseTensor<float> image, int size)
    {
        var (_, h, w) = ImageTensor.Size(image);
        if (Math.Max(h, w) <= size)
        {
            return image;
        }

        double scale = (double)size / Math.Max(h, w);
        var shape = new NeuralPool.Size(Math.Max(1, (int)Math.Round(h * scale)), Math.Max(1, (int)Math.Round(w * scale)));
        return Functional.AdaptiveAvgPool2d(image, shape);
    }

    /// <summary>The sheet of <paramref name="image"/> for <paramref name="methods"/>.</summary>
    /// <exception cref="ImageFileException">A side of the picture is shorter than <see cref="MinimumSide"/>; the message names <paramref name="name"/>.</exception>
    public static DenseTensor<float> Draw(string name, DenseTensor<float> image, IReadOnlyList<DetailMethod> methods)
    {
        var (c, h, w) = ImageTensor.Size(image);
        int block = Kernels.Max(), ch = h / block * block, cw = w / block * block;
        if (Math.Min(ch, cw) < MinimumSide)
        {
            throw new ImageFileException($"image '{name}' is {w}x{h} pixels; the gallery needs at least {MinimumSide}x{MinimumSide}.");
        }

        var crop = ImageTensor.Crop(image, ch, cw);
        var rows = methods.Select(m => Kernels.Select(k =>
        {
            float[] pooled = m.Downsample(crop.Data, [1, c, ch, cw], k);
            var result = new DenseTensor<float>(pooled, [1, c, ch / k, cw / k]);
            return new ContactCell($"{m.Name} k={k}", $"{cw / k}x{ch / k}, shown x{k}", Enlarge(result, k));
        }).ToList()).ToList();
        return ContactSheet.Draw(new ContactCell("original", $"{cw}x{ch}", crop), rows);
    }

    /// <summary>Each pixel repeated over a <paramref name="factor"/> × <paramref name="factor"/> block.</summary>
    private static DenseTensor<float> Enlarge(DenseTensor<float> image, int factor)
    {
        var (c, h, w) = ImageTensor.Size(image);
        var large = ImageTensor.Create(c, h * factor, w * factor);
        for (int k = 0; k < c; k++)
        {
            for (int y = 0; y < h * factor; y++)
            {
                for (int x = 0; x < w * factor; x++)
                {
                    large.Data[(((k * h * factor) + y) * w * factor) + x] = image.Data[(((k * h) + (y / factor)) * w) + (x / factor)];
                }
            }
        }

        return large;
    }
}
