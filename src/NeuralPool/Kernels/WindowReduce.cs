using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// The generic forward driver: reduces every window of a <see cref="PoolGeometry"/> with a reducer
/// policy, optionally dividing, optionally recording the (plane-local, row-major) index of the maximum.
/// Channels-last: lanes are channels, all lanes share one window. Channels-first: lanes are consecutive
/// outputs of one row whose windows lie wholly inside the input (loaded contiguously at stride 1, by
/// gather otherwise); border outputs go through the scalar window loop.
/// Kernels trust the geometry: lengths are checked by the operators before any call.
/// </summary>
internal static unsafe class WindowReduce
{
    public static void Forward<T, TRed>(in PoolGeometry g, ReadOnlySpan<T> input, Span<T> output, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        Debug.Assert(input.Length >= g.InputLength && output.Length >= g.OutputLength);
        fixed (T* x = input)
        fixed (T* y = output)
        {
            if (g.Layout == TensorLayout.ChannelsLast)
            {
                LastForward<T, TRed>(g, x, y, divisor);
            }
            else
            {
                FirstForward<T, TRed>(g, x, y, divisor);
            }
        }
    }

    /// <summary>Max with the index of the chosen element (flat within its (n, c) plane, row-major over D, H, W).</summary>
    public static void MaxWithIndices<T>(in PoolGeometry g, ReadOnlySpan<T> input, Span<T> output, Span<long> indices)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        Debug.Assert(input.Length >= g.InputLength && output.Length >= g.OutputLength && indices.Length >= g.OutputLength);
        fixed (T* x = input)
        fixed (T* y = output)
        fixed (long* ind = indices)
        {
            bool vector = Vector.IsHardwareAccelerated && g.InputPlane <= int.MaxValue;
            if (vector && typeof(T) == typeof(float))
            {
                MaxIndexDispatch<float, int>(g, (float*)x, (float*)y, ind);
            }
            else if (vector && typeof(T) == typeof(double))
            {
                MaxIndexDispatch<double, long>(g, (double*)x, (double*)y, ind);
            }
            else
            {
                ScalarMaxIndex(g, x, y, ind);
            }
        }
    }

    private static void MaxIndexDispatch<T, TI>(in PoolGeometry g, T* x, T* y, long* ind)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
        where TI : unmanaged, INumber<TI>
    {
        if (g.Layout == TensorLayout.ChannelsLast)
        {
            LastMaxIndex<T, TI>(g, x, y, ind);
        }
        else
        {
            FirstMaxIndex<T, TI>(g, x, y, ind);
        }
    }

    // ---------------------------------------------------------------- scalar window loop (borders, tails, fallbacks)

    /// <summary>Reduces the window of output (od, oh, ow) of one plane whose elements are <paramref name="es"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T ReducePosition<T, TRed>(in PoolGeometry g, T* plane, nint es, int od, int oh, int ow, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
        int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
        int sw = wAxis.Start(ow), fw = wAxis.FirstValid(ow), ew = wAxis.EndValid(ow);
        if (fd >= ed || fh >= eh || fw >= ew)
        {
            return TRed.Empty;
        }

        T acc = TRed.SeedWithFirst
            ? plane[((((long)(sd + (fd * dAxis.Dilation)) * hAxis.In) + sh + (fh * hAxis.Dilation)) * wAxis.In + sw + (fw * wAxis.Dilation)) * es]
            : T.Zero;
        for (int jd = fd; jd < ed; jd++)
        {
            long id = sd + ((long)jd * dAxis.Dilation);
            for (int jh = fh; jh < eh; jh++)
            {
                long row = ((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In;
                for (int jw = fw; jw < ew; jw++)
                {
                    acc = TRed.Combine(acc, plane[(row + sw + ((long)jw * wAxis.Dilation)) * es]);
                }
            }
        }

        return Finish(acc, divisor.Of(g, od, oh, ow));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Finish<T>(T acc, long divisor)
        where T : unmanaged, INumber<T> => divisor == 1 ? acc : acc / T.CreateChecked(divisor);

    /// <summary>Max and its plane-local index for output (od, oh, ow): the first maximum in D, H, W scan order; the last NaN if any.</summary>
    internal static T MaxPosition<T>(in PoolGeometry g, T* plane, nint es, int od, int oh, int ow, out long index)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
        int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
        int sw = wAxis.Start(ow), fw = wAxis.FirstValid(ow), ew = wAxis.EndValid(ow);
        index = -1;
        T acc = MaxReducer<T>.Empty;
        bool first = true;
        for (int jd = fd; jd < ed; jd++)
        {
            long id = sd + ((long)jd * dAxis.Dilation);
            for (int jh = fh; jh < eh; jh++)
            {
                long row = ((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In;
                for (int jw = fw; jw < ew; jw++)
                {
                    long pos = row + sw + ((long)jw * wAxis.Dilation);
                    T v = plane[pos * es];
                    if (first || v > acc || T.IsNaN(v))
                    {
                        acc = v;
                        index = pos;
                        first = false;
                    }
                }
            }
        }

        return acc;
    }

    private static void ScalarMaxIndex<T>(in PoolGeometry g, T* x, T* y, long* ind)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        bool last = g.Layout == TensorLayout.ChannelsLast;
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        nint es = last ? g.C : 1;
        for (int n = 0; n < g.N; n++)
        {
            for (int c = 0; c < g.C; c++)
            {
                T* xp = last ? x + (n * inPlane * g.C) + c : x + (((long)n * g.C) + c) * inPlane;
                long ob = last ? (n * outPlane * g.C) + c : (((long)n * g.C) + c) * outPlane;
                long o = 0;
                for (int od = 0; od < g.D.Out; od++)
                {
                    for (int oh = 0; oh < g.H.Out; oh++)
                    {
                        for (int ow = 0; ow < g.W.Out; ow++, o++)
                        {
                            long at = ob + (o * es);
                            y[at] = MaxPosition(g, xp, es, od, oh, ow, out ind[at]);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- channels-last: lanes are channels

    private static void LastForward<T, TRed>(in PoolGeometry g, T* x, T* y, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int cn = g.C;
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : int.MaxValue;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        for (int n = 0; n < g.N; n++)
        {
            T* xn = x + (n * inPlane * cn);
            T* yo = y + (n * outPlane * cn);
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
                            new Span<T>(yo, cn).Fill(TRed.Empty);
                            continue;
                        }

                        long divisorValue = divisor.Of(g, od, oh, ow);
                        var scale = new Vector<T>(T.CreateChecked(divisorValue));
                        T* seed = xn + ((((long)(sd + (fd * dAxis.Dilation)) * hAxis.In) + sh + (fh * hAxis.Dilation)) * wAxis.In + sw + (fw * wAxis.Dilation)) * cn;
                        int c = 0;
                        for (; c + lanes <= cn; c += lanes)
                        {
                            // acc lane l: the reduction of channel c + l over the window so far.
                            Vector<T> acc = TRed.SeedWithFirst ? Vector.Load(seed + c) : Vector<T>.Zero;
                            for (int jd = fd; jd < ed; jd++)
                            {
                                long id = sd + ((long)jd * dAxis.Dilation);
                                for (int jh = fh; jh < eh; jh++)
                                {
                                    T* row = xn + ((((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In) + sw) * cn + c;
                                    for (int jw = fw; jw < ew; jw++)
                                    {
                                        acc = TRed.Combine(acc, Vector.Load(row + ((long)jw * wAxis.Dilation * cn)));
                                    }
                                }
                            }

                            (divisorValue == 1 ? acc : acc / scale).Store(yo + c);
                        }

                        for (; c < cn; c++)
                        {
                            yo[c] = ReducePosition<T, TRed>(g, xn + c, cn, od, oh, ow, divisor);
                        }
                    }
                }
            }
        }
    }

    private static void LastMaxIndex<T, TI>(in PoolGeometry g, T* x, T* y, long* ind)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
        where TI : unmanaged, INumber<TI>
    {
        Debug.Assert(Vector<T>.Count == Vector<TI>.Count);
        int cn = g.C;
        int lanes = Vector<T>.Count;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        TI* lane = stackalloc TI[lanes];
        for (int n = 0; n < g.N; n++)
        {
            T* xn = x + (n * inPlane * cn);
            long o = n * outPlane * cn;
            for (int od = 0; od < dAxis.Out; od++)
            {
                int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
                for (int oh = 0; oh < hAxis.Out; oh++)
                {
                    int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
                    for (int ow = 0; ow < wAxis.Out; ow++, o += cn)
                    {
                        int sw = wAxis.Start(ow), fw = wAxis.FirstValid(ow), ew = wAxis.EndValid(ow);
                        int c = 0;
                        if (fd < ed && fh < eh && fw < ew)
                        {
                            long seedPos = (((long)(sd + (fd * dAxis.Dilation)) * hAxis.In) + sh + (fh * hAxis.Dilation)) * wAxis.In + sw + (fw * wAxis.Dilation);
                            for (; c + lanes <= cn; c += lanes)
                            {
                                // best lane l: the max so far of channel c + l; at lane l: its plane-local index.
                                Vector<T> best = Vector.Load(xn + (seedPos * cn) + c);
                                var at = new Vector<TI>(TI.CreateTruncating(seedPos));
                                for (int jd = fd; jd < ed; jd++)
                                {
                                    long id = sd + ((long)jd * dAxis.Dilation);
                                    for (int jh = fh; jh < eh; jh++)
                                    {
                                        long rowPos = (((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In) + sw;
                                        for (int jw = fw; jw < ew; jw++)
                                        {
                                            long pos = rowPos + ((long)jw * wAxis.Dilation);
                                            Vector<T> v = Vector.Load(xn + (pos * cn) + c);
                                            Vector<T> takes = MaxReducer<T>.Takes(best, v);
                                            best = Vector.ConditionalSelect(takes, v, best);
                                            at = Vector.ConditionalSelect(takes.As<T, TI>(), new Vector<TI>(TI.CreateTruncating(pos)), at);
                                        }
                                    }
                                }

                                best.Store(y + o + c);
                                at.Store(lane);
                                for (int l = 0; l < lanes; l++)
                                {
                                    ind[o + c + l] = long.CreateTruncating(lane[l]);
                                }
                            }
                        }

                        for (; c < cn; c++)
                        {
                            y[o + c] = MaxPosition(g, xn + c, cn, od, oh, ow, out ind[o + c]);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- channels-first: lanes are outputs of one row

    private static void FirstForward<T, TRed>(in PoolGeometry g, T* x, T* y, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int lanes = Vector<T>.Count;
        int ib = wAxis.InteriorBegin;
        int ie = Vector.IsHardwareAccelerated ? ib + ((wAxis.InteriorEnd - ib) / lanes * lanes) : ib;
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        int s = wAxis.Stride, kw = wAxis.Kernel, dw = wAxis.Dilation, pw = wAxis.PadBegin;
        long planes = (long)g.N * g.C;
        for (long p = 0; p < planes; p++)
        {
            T* xp = x + (p * inPlane);
            T* yr = y + (p * outPlane);
            for (int od = 0; od < dAxis.Out; od++)
            {
                int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
                for (int oh = 0; oh < hAxis.Out; oh++, yr += wAxis.Out)
                {
                    int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
                    bool rowHasTaps = fd < ed && fh < eh;
                    int vEnd = rowHasTaps ? ie : ib;
                    for (int ow = 0; ow < ib; ow++)
                    {
                        yr[ow] = ReducePosition<T, TRed>(g, xp, 1, od, oh, ow, divisor);
                    }

                    if (vEnd > ib)
                    {
                        long divisorValue = divisor.Of(g, od, oh, ib);
                        var scale = new Vector<T>(T.CreateChecked(divisorValue));
                        T* seed = xp + ((((long)(sd + (fd * dAxis.Dilation)) * hAxis.In) + sh + (fh * hAxis.Dilation)) * wAxis.In) - pw;
                        for (int ow0 = ib; ow0 < vEnd; ow0 += lanes)
                        {
                            // acc lane l: the reduction so far of output ow0 + l, whose taps are s apart from lane to lane.
                            Vector<T> acc = TRed.SeedWithFirst ? SimdLoad.Strided(seed + ((long)ow0 * s), s) : Vector<T>.Zero;
                            for (int jd = fd; jd < ed; jd++)
                            {
                                long id = sd + ((long)jd * dAxis.Dilation);
                                for (int jh = fh; jh < eh; jh++)
                                {
                                    T* row = xp + (((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In) + ((long)ow0 * s) - pw;
                                    for (int jw = 0; jw < kw; jw++)
                                    {
                                        acc = TRed.Combine(acc, SimdLoad.Strided(row + ((long)jw * dw), s));
                                    }
                                }
                            }

                            (divisorValue == 1 ? acc : acc / scale).Store(yr + ow0);
                        }
                    }

                    for (int ow = vEnd; ow < wAxis.Out; ow++)
                    {
                        yr[ow] = ReducePosition<T, TRed>(g, xp, 1, od, oh, ow, divisor);
                    }
                }
            }
        }
    }

    private static void FirstMaxIndex<T, TI>(in PoolGeometry g, T* x, T* y, long* ind)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
        where TI : unmanaged, INumber<TI>
    {
        Debug.Assert(Vector<T>.Count == Vector<TI>.Count);
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int lanes = Vector<T>.Count;
        int ib = wAxis.InteriorBegin;
        int ie = ib + ((wAxis.InteriorEnd - ib) / lanes * lanes);
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        int s = wAxis.Stride, kw = wAxis.Kernel, dw = wAxis.Dilation, pw = wAxis.PadBegin;
        long planes = (long)g.N * g.C;
        Vector<TI> iota = SimdLoad.Iota<TI>(s);
        TI* lane = stackalloc TI[lanes];
        for (long p = 0; p < planes; p++)
        {
            T* xp = x + (p * inPlane);
            long o = p * outPlane;
            for (int od = 0; od < dAxis.Out; od++)
            {
                int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
                for (int oh = 0; oh < hAxis.Out; oh++, o += wAxis.Out)
                {
                    int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
                    int vEnd = fd < ed && fh < eh ? ie : ib;
                    for (int ow = 0; ow < ib; ow++)
                    {
                        y[o + ow] = MaxPosition(g, xp, 1, od, oh, ow, out ind[o + ow]);
                    }

                    long seedRow = (((long)(sd + (fd * dAxis.Dilation)) * hAxis.In) + sh + (fh * hAxis.Dilation)) * wAxis.In;
                    for (int ow0 = ib; ow0 < vEnd; ow0 += lanes)
                    {
                        // best lane l: the max so far of output ow0 + l; at lane l: its plane-local index.
                        long seedPos = seedRow + ((long)ow0 * s) - pw;
                        Vector<T> best = SimdLoad.Strided(xp + seedPos, s);
                        Vector<TI> at = new Vector<TI>(TI.CreateTruncating(seedPos)) + iota;
                        for (int jd = fd; jd < ed; jd++)
                        {
                            long id = sd + ((long)jd * dAxis.Dilation);
                            for (int jh = fh; jh < eh; jh++)
                            {
                                long rowPos = (((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In) + ((long)ow0 * s) - pw;
                                for (int jw = 0; jw < kw; jw++)
                                {
                                    long pos = rowPos + ((long)jw * dw);
                                    Vector<T> v = SimdLoad.Strided(xp + pos, s);
                                    Vector<T> takes = MaxReducer<T>.Takes(best, v);
                                    best = Vector.ConditionalSelect(takes, v, best);
                                    at = Vector.ConditionalSelect(takes.As<T, TI>(), new Vector<TI>(TI.CreateTruncating(pos)) + iota, at);
                                }
                            }
                        }

                        best.Store(y + o + ow0);
                        at.Store(lane);
                        for (int l = 0; l < lanes; l++)
                        {
                            ind[o + ow0 + l] = long.CreateTruncating(lane[l]);
                        }
                    }

                    for (int ow = vEnd; ow < wAxis.Out; ow++)
                    {
                        y[o + ow] = MaxPosition(g, xp, 1, od, oh, ow, out ind[o + ow]);
                    }
                }
            }
        }
    }
}
