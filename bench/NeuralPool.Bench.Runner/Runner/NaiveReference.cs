namespace NeuralPool.Bench.Runner;

/// <summary>
/// The runner's own naive reference, written from PyTorch's definitions and sharing no code with the
/// library: plain loops over a logical channels-first tensor, sums in double. Spatial axes are padded to
/// three (D, H, W) with unit leading axes.
/// <list type="bullet">
/// <item>Output size (sliding): <c>floor((in + 2p - d(k-1) - 1 [+ s-1 if ceil]) / s) + 1</c>, minus one in
/// ceil mode when the last window would start at or beyond <c>in + p</c>.</item>
/// <item>Max: taps <c>o*s - p + t*d</c> inside the input, in D, H, W order; a tap replaces the running
/// maximum when it is greater or NaN (first maximum wins on ties, the last NaN wins); the index is the
/// plane-local position. Backward: <c>dx[idx] += dy</c>.</item>
/// <item>Avg: window <c>[o*s - p, min(o*s - p + k, in + p))</c>; divisor = override, else its size
/// (count_include_pad) or the number of taps inside the input. Backward: every valid tap gets <c>dy / divisor</c>.</item>
/// <item>Adaptive: bin <c>[floor(o*in/out), ceil((o+1)*in/out))</c>, divisor = bin size.</item>
/// </list>
/// </summary>
internal sealed class NaiveReference
{
    private readonly Axis[] _axes = new Axis[3];
    private readonly SuiteCase _case;

    public NaiveReference(SuiteCase c)
    {
        _case = c;
        int lead = 3 - c.SpatialRank;
        for (int i = 0; i < 3; i++)
        {
            if (i < lead)
            {
                _axes[i] = new Axis(1, 1, 1, 1, 0, 1, Adaptive: false, Ceil: false);
                continue;
            }

            int j = i - lead;
            int input = c.Shape[2 + j];
            if (c.IsAdaptive)
            {
                _axes[i] = new Axis(input, c.OutputSize[j], 0, 0, 0, 1, Adaptive: true, Ceil: false);
            }
            else
            {
                int k = c.Kernel[j], s = c.Stride[j], p = c.Padding[j], d = c.Dilation[j];
                long num = (long)input + 2L * p - (long)d * (k - 1) - 1 + (c.CeilMode ? s - 1 : 0);
                long o = (long)Math.Floor((double)num / s) + 1;
                if (c.CeilMode && (o - 1) * s >= input + p)
                {
                    o--;
                }

                _axes[i] = new Axis(input, (int)o, k, s, p, d, Adaptive: false, Ceil: c.CeilMode);
            }
        }
    }

    /// <summary>Output spatial sizes in the caller's rank (e.g. [OH, OW] for 2-D).</summary>
    public int[] OutputSpatial => [.. _axes.Skip(3 - _case.SpatialRank).Select(a => a.Out)];

    public long OutputPlane => (long)_axes[0].Out * _axes[1].Out * _axes[2].Out;

    public long InputPlane => (long)_axes[0].In * _axes[1].In * _axes[2].In;

    public long OutputLength => (long)_case.N * _case.C * OutputPlane;

    /// <summary>
    /// The forward value of output <paramref name="p"/> (plane-local) of the plane starting at
    /// <paramref name="planeOffset"/> of the logical input; for max also the plane-local index of the maximum.
    /// </summary>
    public double Forward(float[] x, long planeOffset, long p, out long index)
    {
        Axis ad = _axes[0], ah = _axes[1], aw = _axes[2];
        int ow = (int)(p % aw.Out), oh = (int)(p / aw.Out % ah.Out), od = (int)(p / aw.Out / ah.Out);
        bool max = _case.IsMax;
        Window wd = ad.WindowOf(od, max), wh = ah.WindowOf(oh, max), ww = aw.WindowOf(ow, max);
        index = -1;
        double best = double.NegativeInfinity, sum = 0;
        long count = 0;
        for (int td = 0; td < wd.Count; td++)
        {
            int id = wd.First + td * wd.Step;
            if (id < 0 || id >= ad.In)
            {
                continue;
            }

            for (int th = 0; th < wh.Count; th++)
            {
                int ih = wh.First + th * wh.Step;
                if (ih < 0 || ih >= ah.In)
                {
                    continue;
                }

                for (int tw = 0; tw < ww.Count; tw++)
                {
                    int iw = ww.First + tw * ww.Step;
                    if (iw < 0 || iw >= aw.In)
                    {
                        continue;
                    }

                    long at = ((long)id * ah.In + ih) * aw.In + iw;
                    double v = x[planeOffset + at];
                    if (max)
                    {
                        if (index < 0 || v > best || double.IsNaN(v))
                        {
                            best = v;
                            index = at;
                        }
                    }
                    else
                    {
                        sum += v;
                        count++;
                    }
                }
            }
        }

        if (max)
        {
            return best;
        }

        return count == 0 ? 0 : sum / Divisor(od, oh, ow, count);
    }

    /// <summary>Gradient with respect to the logical input, given the logical output gradient (and, for max, the reference indices).</summary>
    public double[] Backward(float[] gradOutput, long[]? indices)
    {
        var gin = new double[_case.InputLength];
        long inPlane = InputPlane, outPlane = OutputPlane;
        Axis ad = _axes[0], ah = _axes[1], aw = _axes[2];
        Parallel.For(0, _case.N * _case.C, plane =>
        {
            long ib = plane * inPlane, ob = plane * outPlane;
            for (long p = 0; p < outPlane; p++)
            {
                double g = gradOutput[ob + p];
                if (_case.IsMax)
                {
                    long idx = indices![ob + p];
                    if (idx >= 0)
                    {
                        gin[ib + idx] += g;
                    }

                    continue;
                }

                int ow = (int)(p % aw.Out), oh = (int)(p / aw.Out % ah.Out), od = (int)(p / aw.Out / ah.Out);
                Window wd = ad.WindowOf(od, false), wh = ah.WindowOf(oh, false), ww = aw.WindowOf(ow, false);
                long count = (long)wd.Count * wh.Count * ww.Count; // avg windows are already clipped to the input
                if (count == 0)
                {
                    continue;
                }

                double share = g / Divisor(od, oh, ow, count);
                for (int id = wd.First; id < wd.First + wd.Count; id++)
                {
                    for (int ih = wh.First; ih < wh.First + wh.Count; ih++)
                    {
                        for (int iw = ww.First; iw < ww.First + ww.Count; iw++)
                        {
                            gin[ib + (((long)id * ah.In + ih) * aw.In + iw)] += share;
                        }
                    }
                }
            }
        });
        return gin;
    }

    private double Divisor(int od, int oh, int ow, long validCount)
    {
        if (_case.DivisorOverride is { } d)
        {
            return d;
        }

        if (_case.IsAdaptive || !_case.CountIncludePad)
        {
            return validCount;
        }

        return (double)_axes[0].PaddedSize(od) * _axes[1].PaddedSize(oh) * _axes[2].PaddedSize(ow);
    }

    private readonly record struct Window(int First, int Step, int Count);

    private readonly record struct Axis(int In, int Out, int K, int S, int P, int Dil, bool Adaptive, bool Ceil)
    {
        /// <summary>
        /// The taps of output <paramref name="o"/>'s window as <c>First + t*Step</c>, <c>t &lt; Count</c>; taps
        /// outside the input are skipped by the caller (max keeps padding taps in the list, avg and adaptive
        /// windows are clipped to the input here).
        /// </summary>
        public Window WindowOf(int o, bool max)
        {
            if (Adaptive)
            {
                int start = (int)((long)o * In / Out);
                int end = (int)(((long)(o + 1) * In + Out - 1) / Out);
                return new Window(start, 1, end - start);
            }

            int first = o * S - P;
            if (max)
            {
                return new Window(first, Dil, K);
            }

            int last = Math.Min(first + K, In + P); // avg_pool: dilation 1, the window is clipped to the padding
            int begin = Math.Max(first, 0);
            return new Window(begin, 1, Math.Max(0, Math.Min(last, In) - begin));
        }

        /// <summary>avg_pool's count_include_pad window size: the window clipped to input + padding.</summary>
        public int PaddedSize(int o)
        {
            if (Adaptive)
            {
                return 1;
            }

            int first = o * S - P;
            return Math.Min(first + K, In + P) - first;
        }
    }
}
