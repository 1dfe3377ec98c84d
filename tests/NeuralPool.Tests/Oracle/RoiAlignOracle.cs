namespace NeuralPool.Tests.Oracle;

/// <summary>
/// A naive RoIAlign written from the ONNX reference (spec sheet §2.6, <c>op_roi_align.py</c>) and
/// torchvision's <c>roi_align</c> (§3.2), in double, over channels-first (N, C, H, W) tensors. It shares no
/// code with the library. Boxes are (x1, y1, x2, y2) per RoI; the output is (K, C, OH, OW).
/// </summary>
internal static class RoiAlignOracle
{
    /// <summary>One bilinear sample: the four corners (flat h*W + w) and their weights; no corner when outside.</summary>
    private readonly record struct Sample(bool Valid, int P1, int P2, int P3, int P4, double W1, double W2, double W3, double W4);

    /// <summary>RoIAlign forward; <paramref name="max"/> selects ONNX's max of weighted corners.</summary>
    public static double[] Forward(double[] x, int[] shape, double[] rois, long[] batch, int outH, int outW,
        double scale, int samplingRatio, bool aligned, bool max)
    {
        int c = shape[1], h = shape[2], w = shape[3], k = batch.Length;
        var y = new double[k * c * outH * outW];
        for (int r = 0; r < k; r++)
        {
            var samples = Samples(rois, r, h, w, outH, outW, scale, samplingRatio, aligned, out int count);
            for (int ch = 0; ch < c; ch++)
            {
                long plane = ((batch[r] * c) + ch) * h * w;
                for (int ph = 0; ph < outH; ph++)
                {
                    for (int pw = 0; pw < outW; pw++)
                    {
                        double value = 0;
                        bool seeded = false;
                        foreach (var s in samples[ph][pw])
                        {
                            double v1 = s.Valid ? x[plane + s.P1] : 0, v2 = s.Valid ? x[plane + s.P2] : 0;
                            double v3 = s.Valid ? x[plane + s.P3] : 0, v4 = s.Valid ? x[plane + s.P4] : 0;
                            if (max)
                            {
                                double m = Math.Max(Math.Max(s.W1 * v1, s.W2 * v2), Math.Max(s.W3 * v3, s.W4 * v4));
                                value = seeded ? Math.Max(value, m) : m;
                                seeded = true;
                            }
                            else
                            {
                                value += (s.W1 * v1) + (s.W2 * v2) + (s.W3 * v3) + (s.W4 * v4);
                            }
                        }

                        y[(((((r * c) + ch) * outH) + ph) * outW) + pw] = max ? value : value / count;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>torchvision's backward (average mode): every sample sends <c>g·w_corner/count</c> to its four corners.</summary>
    public static double[] Backward(double[] gradOutput, int[] shape, double[] rois, long[] batch, int outH, int outW,
        double scale, int samplingRatio, bool aligned)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3], k = batch.Length;
        var dx = new double[n * c * h * w];
        for (int r = 0; r < k; r++)
        {
            var samples = Samples(rois, r, h, w, outH, outW, scale, samplingRatio, aligned, out int count);
            for (int ch = 0; ch < c; ch++)
            {
                long plane = ((batch[r] * c) + ch) * h * w;
                for (int ph = 0; ph < outH; ph++)
                {
                    for (int pw = 0; pw < outW; pw++)
                    {
                        double g = gradOutput[(((((r * c) + ch) * outH) + ph) * outW) + pw];
                        foreach (var s in samples[ph][pw])
                        {
                            if (!s.Valid)
                            {
                                continue;
                            }

                            dx[plane + s.P1] += g * s.W1 / count;
                            dx[plane + s.P2] += g * s.W2 / count;
                            dx[plane + s.P3] += g * s.W3 / count;
                            dx[plane + s.P4] += g * s.W4 / count;
                        }
                    }
                }
            }
        }

        return dx;
    }

    /// <summary>The samples of every bin of RoI <paramref name="r"/>, and the divisor <c>max(gh·gw, 1)</c>.</summary>
    private static List<Sample>[][] Samples(double[] rois, int r, int h, int w, int outH, int outW, double scale, int samplingRatio, bool aligned, out int count)
    {
        double offset = aligned ? 0.5 : 0.0;
        double startW = (rois[4 * r] * scale) - offset, startH = (rois[(4 * r) + 1] * scale) - offset;
        double endW = (rois[(4 * r) + 2] * scale) - offset, endH = (rois[(4 * r) + 3] * scale) - offset;
        double roiW = endW - startW, roiH = endH - startH;
        if (!aligned)
        {
            roiW = Math.Max(roiW, 1);
            roiH = Math.Max(roiH, 1);
        }

        double binH = roiH / outH, binW = roiW / outW;
        int gridH = samplingRatio > 0 ? samplingRatio : (int)Math.Ceiling(roiH / outH);
        int gridW = samplingRatio > 0 ? samplingRatio : (int)Math.Ceiling(roiW / outW);
        count = Math.Max(gridH * gridW, 1);
        var result = new List<Sample>[outH][];
        for (int ph = 0; ph < outH; ph++)
        {
            result[ph] = new List<Sample>[outW];
            for (int pw = 0; pw < outW; pw++)
            {
                var list = new List<Sample>();
                for (int iy = 0; iy < gridH; iy++)
                {
                    double yy = startH + (ph * binH) + ((iy + 0.5) * binH / gridH);
                    for (int ix = 0; ix < gridW; ix++)
                    {
                        double xx = startW + (pw * binW) + ((ix + 0.5) * binW / gridW);
                        list.Add(Bilinear(yy, xx, h, w));
                    }
                }

                result[ph][pw] = list;
            }
        }

        return result;
    }

    /// <summary>The bilinear corners of (y, x), following the reference's clamping rules.</summary>
    private static Sample Bilinear(double y, double x, int h, int w)
    {
        if (y < -1.0 || y > h || x < -1.0 || x > w || double.IsNaN(y) || double.IsNaN(x))
        {
            return default;
        }

        if (y <= 0)
        {
            y = 0;
        }

        if (x <= 0)
        {
            x = 0;
        }

        int yLow = (int)y, xLow = (int)x, yHigh, xHigh;
        if (yLow >= h - 1)
        {
            yHigh = yLow = h - 1;
            y = yLow;
        }
        else
        {
            yHigh = yLow + 1;
        }

        if (xLow >= w - 1)
        {
            xHigh = xLow = w - 1;
            x = xLow;
        }
        else
        {
            xHigh = xLow + 1;
        }

        double ly = y - yLow, lx = x - xLow, hy = 1 - ly, hx = 1 - lx;
        return new Sample(true, (yLow * w) + xLow, (yLow * w) + xHigh, (yHigh * w) + xLow, (yHigh * w) + xHigh,
            hy * hx, hy * lx, ly * hx, ly * lx);
    }
}
