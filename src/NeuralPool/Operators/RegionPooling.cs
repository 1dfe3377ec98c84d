using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>What the region pooling operators (<see cref="RoiAlign"/>, <see cref="PsRoiAlign"/>, <see cref="RoiPool"/>) share: the input and option checks, the index arithmetic of (N, C, H, W) inputs and (K, C, OH, OW) outputs in either layout, and RoIAlign's bilinear sampling.</summary>
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

    /// <summary>Checks K × 4 boxes (x1, y1, x2, y2) and their K batch indices against a batch of <paramref name="n"/>; returns K.</summary>
    public static int CheckRois<T>(ReadOnlySpan<T> rois, ReadOnlySpan<long> batchIndices, int n)
        where T : unmanaged
    {
        if (rois.Length % 4 != 0)
        {
            ThrowHelper.Argument(nameof(rois), $"rois has {rois.Length} values, not a multiple of 4 (x1, y1, x2, y2 per RoI).");
        }

        int k = rois.Length / 4;
        ThrowHelper.CheckLength(nameof(batchIndices), batchIndices.Length, k, "batchIndices");
        for (int i = 0; i < k; i++)
        {
            if ((ulong)batchIndices[i] >= (ulong)n)
            {
                ThrowHelper.Argument(nameof(batchIndices), $"batch index {batchIndices[i]} of RoI {i} is outside the batch of {n}.");
            }
        }

        return k;
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

    /// <summary>One bilinear sample: inside the input or not, its four corners and their weights.</summary>
    public readonly record struct Corners<T>(bool Inside, int YLow, int YHigh, int XLow, int XHigh, T W1, T W2, T W3, T W4)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>The bilinear value at the sample in channel <paramref name="ch"/> of image <paramref name="b"/>.</summary>
        public T Interpolate(ReadOnlySpan<T> x, TensorLayout layout, int c, int h, int w, long b, int ch) =>
            (W1 * x[InIndex(layout, c, h, w, b, ch, YLow, XLow)]) + (W2 * x[InIndex(layout, c, h, w, b, ch, YLow, XHigh)])
            + (W3 * x[InIndex(layout, c, h, w, b, ch, YHigh, XLow)]) + (W4 * x[InIndex(layout, c, h, w, b, ch, YHigh, XHigh)]);

        /// <summary>ONNX max mode's per-sample value: the largest weighted corner.</summary>
        public T LargestWeightedCorner(ReadOnlySpan<T> x, TensorLayout layout, int c, int h, int w, long b, int ch) =>
            T.Max(T.Max(W1 * x[InIndex(layout, c, h, w, b, ch, YLow, XLow)], W2 * x[InIndex(layout, c, h, w, b, ch, YLow, XHigh)]),
                T.Max(W3 * x[InIndex(layout, c, h, w, b, ch, YHigh, XLow)], W4 * x[InIndex(layout, c, h, w, b, ch, YHigh, XHigh)]));

        /// <summary>The adjoint of <see cref="Interpolate"/>: adds <c>g·w_k</c> to each corner.</summary>
        public void Spread(Span<T> gx, TensorLayout layout, int c, int h, int w, long b, int ch, T g)
        {
            gx[InIndex(layout, c, h, w, b, ch, YLow, XLow)] += g * W1;
            gx[InIndex(layout, c, h, w, b, ch, YLow, XHigh)] += g * W2;
            gx[InIndex(layout, c, h, w, b, ch, YHigh, XLow)] += g * W3;
            gx[InIndex(layout, c, h, w, b, ch, YHigh, XHigh)] += g * W4;
        }
    }

    /// <summary>A RoI's bins: start, bin size and samples per bin on each axis.</summary>
    public readonly record struct BinGrid(double StartH, double StartW, double BinH, double BinW, int GridH, int GridW)
    {
        public Corners<T> At<T>(int ph, int pw, int iy, int ix, int h, int w)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T y = T.CreateChecked(StartH) + (T.CreateChecked(ph) * T.CreateChecked(BinH)) + ((T.CreateChecked(iy) + T.CreateChecked(0.5)) * T.CreateChecked(BinH) / T.CreateChecked(GridH));
            T x = T.CreateChecked(StartW) + (T.CreateChecked(pw) * T.CreateChecked(BinW)) + ((T.CreateChecked(ix) + T.CreateChecked(0.5)) * T.CreateChecked(BinW) / T.CreateChecked(GridW));
            if (!(y >= -T.One && y <= T.CreateChecked(h) && x >= -T.One && x <= T.CreateChecked(w)))
            {
                return default;
            }

            y = T.Max(y, T.Zero);
            x = T.Max(x, T.Zero);
            int yl = int.CreateTruncating(y), xl = int.CreateTruncating(x), yh, xh;
            if (yl >= h - 1)
            {
                yh = yl = h - 1;
                y = T.CreateChecked(yl);
            }
            else
            {
                yh = yl + 1;
            }

            if (xl >= w - 1)
            {
                xh = xl = w - 1;
                x = T.CreateChecked(xl);
            }
            else
            {
                xh = xl + 1;
            }

            T ly = y - T.CreateChecked(yl), lx = x - T.CreateChecked(xl);
            T hy = T.One - ly, hx = T.One - lx;
            return new Corners<T>(true, yl, yh, xl, xh, hy * hx, hy * lx, ly * hx, ly * lx);
        }
    }

    /// <summary>
    /// The bins of box (x1, y1, x2, y2): scaled by <paramref name="spatialScale"/>, shifted by -0.5 when
    /// <paramref name="aligned"/> (otherwise at least 1x1), with <paramref name="samplingRatio"/> samples per
    /// bin and axis or <c>ceil(extent / bins)</c> when it is 0 or negative (itself negative for an inverted box).
    /// </summary>
    public static BinGrid Bins<T>(ReadOnlySpan<T> box, double spatialScale, bool aligned, int outputHeight, int outputWidth, int samplingRatio)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // In the element type, as torchvision computes it: each corner is scaled (in double, the type of the scale)
        // and rounded once; extents, bin sizes and the adaptive sample counts follow in T, so a float RoI gets
        // exactly torchvision's float bins, including the ceiling of the sample count.
        double off = aligned ? 0.5 : 0.0;
        T x1 = T.CreateChecked((double.CreateChecked(box[0]) * spatialScale) - off), y1 = T.CreateChecked((double.CreateChecked(box[1]) * spatialScale) - off);
        T x2 = T.CreateChecked((double.CreateChecked(box[2]) * spatialScale) - off), y2 = T.CreateChecked((double.CreateChecked(box[3]) * spatialScale) - off);
        T rw = x2 - x1, rh = y2 - y1;
        if (!aligned)
        {
            rw = T.Max(rw, T.One);
            rh = T.Max(rh, T.One);
        }

        T bh = rh / T.CreateChecked(outputHeight), bw = rw / T.CreateChecked(outputWidth);
        int gh = samplingRatio > 0 ? samplingRatio : int.CreateSaturating(T.Ceiling(rh / T.CreateChecked(outputHeight)));
        int gw = samplingRatio > 0 ? samplingRatio : int.CreateSaturating(T.Ceiling(rw / T.CreateChecked(outputWidth)));
        // Kept as computed, negative for inverted boxes, as torchvision keeps them: the sample loops then do not
        // run, and the operators' counts (max(gh·gw, 1) for RoIAlign, gh·gw for PS-RoIAlign) see the same product.
        return new BinGrid(double.CreateChecked(y1), double.CreateChecked(x1), double.CreateChecked(bh), double.CreateChecked(bw), gh, gw);
    }
}
