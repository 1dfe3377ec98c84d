namespace NeuralPool.Tests.Oracle;

/// <summary>
/// A naive RoI max pooling written from torchvision's <c>roi_pool</c> (spec sheet §3.1), over channels-first
/// (N, C, H, W) tensors; it shares no code with the library. Boxes are (batch, x1, y1, x2, y2) per RoI. The
/// quantization runs in float for float inputs (<paramref name="single"/>) and in double otherwise, as the
/// reference's element type does. Returns values and plane-local argmax, (K, C, OH, OW).
/// </summary>
internal static class RoiPoolOracle
{
    public static (double[] Values, long[] Argmax) Forward(double[] x, int[] shape, double[] boxes, int outH, int outW, double scale, bool single)
    {
        int c = shape[1], h = shape[2], w = shape[3], k = boxes.Length / 5;
        var y = new double[k * c * outH * outW];
        var at = new long[y.Length];
        for (int r = 0; r < k; r++)
        {
            long b = (long)Math.Truncate(boxes[r * 5]);
            int[] q = new int[4];
            for (int j = 0; j < 4; j++)
            {
                double v = single ? (float)boxes[(r * 5) + 1 + j] * (float)scale : boxes[(r * 5) + 1 + j] * scale;
                q[j] = (int)Math.Round(v, MidpointRounding.AwayFromZero);
            }

            int roiW = Math.Max(q[2] - q[0] + 1, 1), roiH = Math.Max(q[3] - q[1] + 1, 1);
            for (int ph = 0; ph < outH; ph++)
            {
                var (h0, h1) = Bin(ph, roiH, outH, q[1], h, single);
                for (int pw = 0; pw < outW; pw++)
                {
                    var (w0, w1) = Bin(pw, roiW, outW, q[0], w, single);
                    for (int ch = 0; ch < c; ch++)
                    {
                        bool empty = h1 <= h0 || w1 <= w0;
                        double best = empty ? 0 : -3.4028234663852886e38;
                        long arg = -1;
                        for (int yy = h0; yy < h1; yy++)
                        {
                            for (int xx = w0; xx < w1; xx++)
                            {
                                double v = x[((((b * c) + ch) * h) + yy) * w + xx];
                                if (v > best)
                                {
                                    best = v;
                                    arg = ((long)yy * w) + xx;
                                }
                            }
                        }

                        int o = (((r * c) + ch) * outH + ph) * outW + pw;
                        y[o] = best;
                        at[o] = arg;
                    }
                }
            }
        }

        return (y, at);
    }

    /// <summary>Bin i of an extent of <paramref name="size"/> cells split into <paramref name="bins"/>, shifted and clipped.</summary>
    private static (int Begin, int End) Bin(int i, int size, int bins, int start, int limit, bool single)
    {
        double lo, hi;
        if (single)
        {
            float bin = (float)size / bins;
            lo = Math.Floor((float)(i * bin));
            hi = Math.Ceiling((float)((i + 1) * bin));
        }
        else
        {
            double bin = (double)size / bins;
            lo = Math.Floor(i * bin);
            hi = Math.Ceiling((i + 1) * bin);
        }

        return (Math.Min(Math.Max((int)lo + start, 0), limit), Math.Min(Math.Max((int)hi + start, 0), limit));
    }
}
