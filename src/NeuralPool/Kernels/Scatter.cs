using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// The backward drivers and the index-addressed copies (unpooling). All of them overwrite their
/// destination: it is cleared first, then every contribution is added.
/// </summary>
internal static unsafe class Scatter
{
    /// <summary><c>dst[plane(o) + idx[o]] += src[o]</c> over all outputs o, after clearing <paramref name="dst"/>; index -1 is skipped.</summary>
    /// <param name="layout">Memory layout of both tensors.</param>
    /// <param name="n">Batch.</param>
    /// <param name="c">Channels.</param>
    /// <param name="srcPlane">Elements of one spatial plane of <paramref name="src"/> and <paramref name="indices"/>.</param>
    /// <param name="dstPlane">Elements of one spatial plane of <paramref name="dst"/>.</param>
    /// <param name="src">Values to add.</param>
    /// <param name="indices">Plane-local destinations, already checked to lie in [-1, dstPlane).</param>
    /// <param name="dst">Destination, overwritten.</param>
    /// <param name="add">True to add (gradients), false to assign (unpooling: the last write wins).</param>
    public static void ByIndex<T>(TensorLayout layout, int n, int c, long srcPlane, long dstPlane,
        ReadOnlySpan<T> src, ReadOnlySpan<long> indices, Span<T> dst, bool add)
        where T : unmanaged, INumber<T>
    {
        dst.Clear();
        fixed (T* s = src)
        fixed (long* ix = indices)
        fixed (T* d = dst)
        {
            if (layout == TensorLayout.ChannelsFirst)
            {
                long planes = (long)n * c;
                for (long p = 0; p < planes; p++)
                {
                    T* dp = d + (p * dstPlane);
                    long o = p * srcPlane, end = o + srcPlane;
                    for (; o < end; o++)
                    {
                        long i = ix[o];
                        if (i >= 0)
                        {
                            dp[i] = add ? dp[i] + s[o] : s[o];
                        }
                    }
                }
            }
            else
            {
                for (int b = 0; b < n; b++)
                {
                    T* dn = d + (b * dstPlane * c);
                    long o = b * srcPlane * c;
                    for (long q = 0; q < srcPlane; q++)
                    {
                        for (int ch = 0; ch < c; ch++, o++)
                        {
                            long i = ix[o];
                            if (i >= 0)
                            {
                                T* at = dn + (i * c) + ch;
                                *at = add ? *at + s[o] : s[o];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary><c>dst[o] = src[plane(o) + idx[o]]</c>: the gradient of unpooling, a gather.</summary>
    public static void Gather<T>(TensorLayout layout, int n, int c, long dstPlane, long srcPlane,
        ReadOnlySpan<T> src, ReadOnlySpan<long> indices, Span<T> dst)
        where T : unmanaged, INumber<T>
    {
        fixed (T* s = src)
        fixed (long* ix = indices)
        fixed (T* d = dst)
        {
            long o = 0;
            if (layout == TensorLayout.ChannelsFirst)
            {
                long planes = (long)n * c;
                for (long p = 0; p < planes; p++)
                {
                    T* sp = s + (p * srcPlane);
                    for (long q = 0; q < dstPlane; q++, o++)
                    {
                        d[o] = sp[ix[o]];
                    }
                }
            }
            else
            {
                for (int b = 0; b < n; b++)
                {
                    T* sn = s + (b * srcPlane * c);
                    for (long q = 0; q < dstPlane; q++)
                    {
                        for (int ch = 0; ch < c; ch++, o++)
                        {
                            d[o] = sn[(ix[o] * c) + ch];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The gradient of a window sum divided by <paramref name="divisor"/>: every valid tap of output o
    /// receives <c>gradOutput[o] / divisor(o)</c>. <paramref name="gradInput"/> is overwritten.
    /// </summary>
    public static void WindowSum<T>(in PoolGeometry g, ReadOnlySpan<T> gradOutput, Divisor divisor, Span<T> gradInput)
        where T : unmanaged, INumber<T>
    {
        gradInput.Clear();
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        bool last = g.Layout == TensorLayout.ChannelsLast;
        int cn = last ? g.C : 1;
        long planes = last ? g.N : (long)g.N * g.C;
        long inPlane = g.InputPlane * cn, outPlane = g.OutputPlane * cn;
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        fixed (T* gy = gradOutput)
        fixed (T* gx = gradInput)
        {
            for (long p = 0; p < planes; p++)
            {
                T* xp = gx + (p * inPlane);
                T* yo = gy + (p * outPlane);
                for (int od = 0; od < dAxis.Out; od++)
                {
                    int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
                    for (int oh = 0; oh < hAxis.Out; oh++)
                    {
                        int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
                        for (int ow = 0; ow < wAxis.Out; ow++, yo += cn)
                        {
                            int sw = wAxis.Start(ow), fw = wAxis.FirstValid(ow), ew = wAxis.EndValid(ow);
                            if (fd >= ed || fh >= eh || fw >= ew)
                            {
                                continue;
                            }

                            T div = T.CreateChecked(divisor.Of(g, od, oh, ow));
                            for (int jd = fd; jd < ed; jd++)
                            {
                                long id = sd + ((long)jd * dAxis.Dilation);
                                for (int jh = fh; jh < eh; jh++)
                                {
                                    long row = (((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In) + sw;
                                    for (int jw = fw; jw < ew; jw++)
                                    {
                                        T* at = xp + ((row + ((long)jw * wAxis.Dilation)) * cn);
                                        int c = 0;
                                        if (lanes != 0 && cn >= lanes)
                                        {
                                            var scale = new Vector<T>(div);
                                            for (; c + lanes <= cn; c += lanes)
                                            {
                                                (Vector.Load(at + c) + (Vector.Load(yo + c) / scale)).Store(at + c);
                                            }
                                        }

                                        for (; c < cn; c++)
                                        {
                                            at[c] += yo[c] / div;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
