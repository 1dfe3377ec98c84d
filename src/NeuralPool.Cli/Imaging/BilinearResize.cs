namespace NeuralPool.Cli.Imaging;

/// <summary>
/// Bilinear resizing as <c>torch.nn.functional.interpolate(x, size=(H', W'), mode='bilinear', align_corners=False)</c>
/// computes it. Per axis, output position o of an axis resized from n to m elements reads the input at
/// <c>s = max(0, (o + 0.5)·n/m − 0.5)</c>: the taps <c>i0 = floor(s)</c> and <c>i1 = min(i0 + 1, n − 1)</c> with weights
/// <c>1 − (s − i0)</c> and <c>s − i0</c>. The 2-D value is <c>w0h·(w0w·x[i0h, i0w] + w1w·x[i0h, i1w]) + w1h·(w0w·x[i1h, i0w] + w1w·x[i1h, i1w])</c>,
/// each channel on its own (so alpha is resized like any channel).
/// </summary>
internal static class BilinearResize
{
    /// <summary>The two taps and their weights of one output position on one axis.</summary>
    private readonly record struct Taps(int I0, int I1, float W0, float W1);

    /// <summary>Resizes every channel of an image tensor to <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <exception cref="ArgumentException">The tensor is not an image tensor or a size is not positive.</exception>
    public static DenseTensor<float> Resize(DenseTensor<float> image, int height, int width)
    {
        var (c, h, w) = ImageTensor.Size(image);
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"the output size must be positive, got {width}x{height}.", nameof(height));
        }

        Taps[] rows = AxisTaps(h, height), cols = AxisTaps(w, width);
        var result = ImageTensor.Create(c, height, width);
        ReadOnlySpan<float> x = image.Data;
        Span<float> y = result.Data;
        for (int ch = 0; ch < c; ch++)
        {
            for (int oy = 0; oy < height; oy++)
            {
                var r = rows[oy];
                ReadOnlySpan<float> top = x.Slice(((ch * h) + r.I0) * w, w), bottom = x.Slice(((ch * h) + r.I1) * w, w);
                Span<float> line = y.Slice(((ch * height) + oy) * width, width);
                for (int ox = 0; ox < width; ox++)
                {
                    var t = cols[ox];
                    line[ox] = (r.W0 * ((t.W0 * top[t.I0]) + (t.W1 * top[t.I1]))) + (r.W1 * ((t.W0 * bottom[t.I0]) + (t.W1 * bottom[t.I1])));
                }
            }
        }

        return result;
    }

    /// <summary>The taps of every output position of an axis resized from <paramref name="input"/> to <paramref name="output"/> elements (single precision, as PyTorch's float kernel).</summary>
    private static Taps[] AxisTaps(int input, int output)
    {
        float scale = (float)input / output;
        var taps = new Taps[output];
        for (int o = 0; o < output; o++)
        {
            float s = Math.Max(0f, (scale * (o + 0.5f)) - 0.5f);
            int i0 = Math.Min((int)s, input - 1);
            int i1 = i0 < input - 1 ? i0 + 1 : i0;
            float w1 = s - i0;
            taps[o] = new Taps(i0, i1, 1f - w1, w1);
        }

        return taps;
    }
}
