using NeuralPool.Cli.Imaging;

namespace NeuralPool.Cli.Study;

/// <summary>One method at one factor on one image: the image restored to full size and how close it is to the original.</summary>
/// <param name="Method">The pooling method.</param>
/// <param name="Factor">Kernel and stride.</param>
/// <param name="Restored">The pooled image resized back with <see cref="BilinearResize"/> (the size of the compared crop).</param>
/// <param name="Psnr">PSNR against the crop, in dB.</param>
/// <param name="Ssim">SSIM against the crop.</param>
internal sealed record Restoration(DetailMethod Method, int Factor, DenseTensor<float> Restored, double Psnr, double Ssim);

/// <summary>The study of one image.</summary>
/// <param name="Name">The image's name in the table (its file name without extension).</param>
/// <param name="Original">The image as read.</param>
/// <param name="Restorations">One per factor and method, factors in the order given, methods in table order.</param>
internal sealed record ImageStudy(string Name, DenseTensor<float> Original, IReadOnlyList<Restoration> Restorations);

/// <summary>
/// The detail study: for each factor f, the image is cropped at the top left to sides that are multiples of f (the
/// rows and columns pooling at stride f would drop), every method shrinks the crop by f, the result is resized back
/// to the crop's size with bilinear interpolation (PyTorch's <c>interpolate</c>, <c>align_corners=False</c>), and
/// PSNR and SSIM compare it with the crop. What the restoration cannot bring back is the detail the pooling lost.
/// </summary>
internal static class DetailStudy
{
    /// <summary>The shortest side the study accepts at factor f, after cropping: two blocks, and the SSIM window.</summary>
    public static int MinimumSide(int factor) => Math.Max(Ssim.WindowSize, 2 * factor);

    /// <summary>Checks that an image is large enough for every factor.</summary>
    /// <exception cref="ImageFileException">A cropped side is shorter than <see cref="MinimumSide"/>; the message names <paramref name="file"/>.</exception>
    public static void CheckSize(string file, DenseTensor<float> image, IEnumerable<int> factors)
    {
        var (_, h, w) = ImageTensor.Size(image);
        foreach (int f in factors)
        {
            int side = Math.Min(h / f * f, w / f * f);
            if (side < MinimumSide(f))
            {
                throw new ImageFileException($"image '{file}' is {w}x{h} pixels: at factor {f} the study needs at least {MinimumSide(f)}x{MinimumSide(f)}.");
            }
        }
    }

    /// <summary>Runs every method at every factor on one image.</summary>
    public static ImageStudy Run(string name, DenseTensor<float> image, IReadOnlyList<int> factors, IReadOnlyList<DetailMethod> methods)
    {
        var (c, h, w) = ImageTensor.Size(image);
        var restorations = new List<Restoration>();
        foreach (int f in factors)
        {
            int ch = h / f * f, cw = w / f * f;
            var crop = ImageTensor.Crop(image, ch, cw);
            int[] shape = [1, c, ch, cw];
            foreach (var method in methods)
            {
                float[] pooled = method.Downsample(crop.Data, shape, f);
                if (pooled.Length != c * (ch / f) * (cw / f))
                {
                    throw new InvalidOperationException($"method {method.Name} returned {pooled.Length} values at factor {f}; expected {c}x{ch / f}x{cw / f}.");
                }

                var restored = BilinearResize.Resize(new DenseTensor<float>(pooled, [1, c, ch / f, cw / f]), ch, cw);
                restorations.Add(new Restoration(method, f, restored, Psnr.Compute(crop, restored), Ssim.Compute(crop, restored)));
            }
        }

        return new ImageStudy(name, image, restorations);
    }
}
