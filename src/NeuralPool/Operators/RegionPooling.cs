using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>What the region pooling operators (<see cref="RoiAlign"/>, <see cref="RoiPool"/>) share: the input and option checks and the index arithmetic of (N, C, H, W) inputs and (K, C, OH, OW) outputs in either layout.</summary>
internal static class RegionPooling
{
    /// <summary>Checks the input shape and length, the output size and the spatial scale; returns (N, C, H, W).</summary>
    public static (int N, int C, int H, int W) CheckInput(TensorLayout layout, ReadOnlySpan<int> inputShape, int inputLength,
        int outputHeight, int outputWidth, double spatialScale)
    {
        var (n, c, sizes) = PoolGeometry.SplitShape(inputShape, layout, 2);
        if (outputHeight <= 0 || outputWidth <= 0)
        {
            ThrowHelper.Argument("options", $"output size ({outputHeight}, {outputWidth}) must be positive.");
        }

        if (!double.IsFinite(spatialScale))
        {
            ThrowHelper.Argument("options", $"spatial scale {spatialScale} must be finite.");
        }

        ThrowHelper.CheckLength("input", inputLength, (long)n * c * sizes[0] * sizes[1], "input", inputShape);
        return (n, c, sizes[0], sizes[1]);
    }

    /// <summary>Position of (b, ch, y, x) in the input.</summary>
    public static int InIndex(TensorLayout layout, int c, int h, int w, long b, int ch, int y, int x) =>
        (int)(layout == TensorLayout.ChannelsFirst
            ? ((((b * c) + ch) * h) + y) * w + x
            : ((((b * h) + y) * w) + x) * c + ch);

    /// <summary>Position of (RoI r, ch, ph, pw) in the output.</summary>
    public static int OutIndex(TensorLayout layout, int c, int oh, int ow, int r, int ch, int ph, int pw) =>
        layout == TensorLayout.ChannelsFirst
            ? ((((r * c) + ch) * oh) + ph) * ow + pw
            : ((((r * oh) + ph) * ow) + pw) * c + ch;
}
