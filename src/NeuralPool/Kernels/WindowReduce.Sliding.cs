using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-last, stride 1, large windows: the van Herk / Gil-Werman block algorithm in both directions,
/// so the cost per output does not grow with the window. Input rows (and, along a row, positions) are
/// cut into blocks of k. A window starting at t covers the suffix of t's block from t and the prefix of
/// the next block up to t + k - 1; the suffixes of a block are computed once when the sweep enters it
/// and the prefix is extended by one row (position) per output. About three reductions per output and
/// direction, for max and for sums alike (sums only add: no running subtraction, so infinities and
/// NaN come out as in the direct sum). Windows clipped by the border reduce their valid taps directly.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>Smallest window extent (on both H and W) that takes the sliding path.</summary>
    private const int SlidingMinKernel = 5;

    /// <summary>Largest window extent the sliding path takes (its per-position suffix block lives on the stack).</summary>
    private const int SlidingMaxKernel = 256;

    /// <summary>Whether a channels-last geometry slides: H and W at stride 1 without dilation, wide enough windows, one depth tap.</summary>
    private static bool SlidingPays(in PoolGeometry g)
    {
        static bool Slides(in PoolAxis a) =>
            !a.Adaptive && a.Stride == 1 && a.Dilation == 1 && a.Kernel >= SlidingMinKernel && a.Kernel <= SlidingMaxKernel;
        return g.D.Kernel == 1 && !g.D.Adaptive && Slides(g.H) && Slides(g.W) && Vector.IsHardwareAccelerated
            && (long)g.W.In * g.C * (g.H.Kernel + 2) * 8 <= ThreadScratch.MaxBytes / 2;
    }

    /// <summary>
    /// Rows [r0, r1). <typeparamref name="TFast"/> is a cheaper form of <typeparamref name="TRed"/> that is exact
    /// on data without NaN (or <typeparamref name="TRed"/> itself): the range runs with it while every input
    /// row it reads proves NaN-free, and is recomputed with <typeparamref name="TRed"/> as soon as one does not.
    /// </summary>
    private static void LastSlidingRows<T, TRed, TFast>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
        where TFast : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        if (typeof(TFast) == typeof(TRed) || !SlidingRange<T, TFast>(ref job, r0, r1, checkNaN: true))
        {
            SlidingRange<T, TRed>(ref job, r0, r1, checkNaN: false);
        }
    }

    /// <summary>Computes rows [r0, r1); with <paramref name="checkNaN"/>, stops and returns false at the first input row holding a NaN.</summary>
    private static bool SlidingRange<T, TRed>(ref Job job, int r0, int r1, bool checkNaN)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var g = job.G;
        var divisor = job.Divisor;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int cn = g.C, kh = hAxis.Kernel, kw = wAxis.Kernel, wOut = wAxis.Out;
        int rowLen = checked(wAxis.In * cn);
        long slice = (long)hAxis.In * rowLen, inPlane = g.InputPlane * cn;

        // Scratch: the suffix rows of one block (kh rows), the running prefix row, the vertical result row, the span tables.
        // and the horizontal suffix block and prefix (kw + 1 positions of C channels).
        long rowBytes = ((long)rowLen * sizeof(T) + 63) & ~63L, posBytes = ((long)cn * sizeof(T) + 63) & ~63L;
        long lineBytes = (kh + 2) * rowBytes;
        byte* scratch = ThreadScratch.Get(lineBytes + ((kw + 1) * posBytes) + (TableLength(g) * sizeof(AxisSpan)), inner: true);
        T* suffix = (T*)scratch, prefix = (T*)(scratch + (kh * rowBytes)), v = (T*)(scratch + ((kh + 1) * rowBytes));
        T* line = (T*)(scratch + lineBytes);
        var cols = job.Tables != null ? job.Tables : (AxisSpan*)(scratch + lineBytes + ((kw + 1) * posBytes));
        if (job.Tables == null)
        {
            FillTables(g, divisor.Mode, cols);
        }

        var dSpans = cols + wOut;
        var hSpans = dSpans + dAxis.Out;

        // From memory, the interior outputs prefetch the same position of the next output row (one row ahead), and the
        // prefix pass prefetches the input row after the one it reads into the second-level cache (7 x 7 nhwc, 8 images,
        // calls alternated: average 6.8 -> 5.8 ms, max 6.0 -> 5.9 ms, whose NaN scan reads each row first; prefetching it
        // into the first-level cache, which a row of 57 KB overflows, measured slower: 6.8 -> 7.0-7.7 ms on the max).
        long ahead = FromMemory<T>(g) ? (long)wOut * cn : 0;

        // Outputs of 16 MB and more whose positions are whole cache lines: the 7-wide interior is written with streaming
        // stores instead (no read of the output lines; 7 x 7 nhwc, 8 images, calls alternated: max 5.3 -> 4.4 ms, average
        // 6.2 -> 5.0 ms on 1 thread, 3.7 -> 3.0 and 3.5 -> 3.0 ms on 2).
        // (An output not aligned to its elements, possible over native memory, never reaches a whole line boundary: plain stores.)
        bool stream = g.OutputLength * sizeof(T) >= Streaming.MinBytes && Streaming.Supported && cn * sizeof(T) % 64 == 0
            && ((nint)job.Y & (sizeof(T) - 1)) == 0;

        // What the scratch rows hold: suffixes of block sBlock from row sFrom on, prefix up to row pRow, both of depth slice `owner`.
        T* sOwner = null, pOwner = null, checkedSlice = null;
        int sBlock = -1, sFrom = 0, pRow = -1, checkedEnd = 0;
        var cursor = new RowCursor(g, r0);
        for (int r = r0; r < r1; r++, cursor.Next())
        {
            T* yo = (T*)job.Y + ((long)r * wOut * cn);
            AxisSpan ds = dSpans[cursor.Od], hs = hSpans[cursor.Oh];
            if (ds.Count == 0 || hs.Count == 0)
            {
                new Span<T>(yo, wOut * cn).Fill(TRed.Empty);
                continue;
            }

            T* xs = (T*)job.X + (cursor.Plane * inPlane) + (ds.First * slice);
            if (checkNaN)
            {
                // Each input row once, before the first window that reads it.
                int from = checkedSlice == xs ? Math.Max(checkedEnd, hs.First) : hs.First, end = hs.First + hs.Count;
                for (int i = from; i < end; i++)
                {
                    if (ContainsNaN(xs + ((long)i * rowLen), rowLen))
                    {
                        return false;
                    }
                }

                checkedSlice = xs;
                checkedEnd = Math.Max(from, end);
            }

            T* row;
            if (hs.Count < kh)
            {
                // Clipped by the border: the valid rows directly.
                FoldRows<T, TRed>(xs + ((long)hs.First * rowLen), hs.Count, rowLen, v);
                row = v;
            }
            else
            {
                int t = hs.First, j = t / kh, k0 = j * kh;
                if (sOwner != xs || sBlock != j || sFrom > t)
                {
                    // Entering block j: suffix[i - k0] = reduction of rows i .. k0 + kh - 1 (earlier rows first).
                    T* last = xs + ((long)(k0 + kh - 1) * rowLen);
                    new ReadOnlySpan<T>(last, rowLen).CopyTo(new Span<T>(suffix + ((long)(kh - 1) * rowLen), rowLen));
                    for (int i = k0 + kh - 2; i >= t; i--)
                    {
                        Combine2<T, TRed>(xs + ((long)i * rowLen), suffix + ((long)(i - k0 + 1) * rowLen), suffix + ((long)(i - k0) * rowLen), rowLen);
                    }

                    sOwner = xs;
                    (sBlock, sFrom) = (j, t);
                }

                T* s = suffix + ((long)(t - k0) * rowLen);
                if (t == k0)
                {
                    row = s; // the window is block j itself
                }
                else
                {
                    // The prefix of block j + 1 up to row u = t + kh - 1, extended by one row when the sweep moves on by one.
                    int u = t + kh - 1, u0 = u - (u % kh);
                    if (pOwner == xs && pRow == u - 1 && u != u0)
                    {
                        // One pass: prefix = Combine(prefix, row u); v = Combine(suffix, prefix).
                        ExtendAndJoin<T, TRed>(prefix, xs + ((long)u * rowLen), s, v, rowLen, ahead != 0);
                    }
                    else
                    {
                        FoldRows<T, TRed>(xs + ((long)u0 * rowLen), u - u0 + 1, rowLen, prefix);
                        Combine2<T, TRed>(s, prefix, v, rowLen);
                    }

                    pOwner = xs;
                    pRow = u;
                    row = v;
                }
            }

            SlideRow<T, TRed>(g, row, yo, cols, (long)ds.Part * hs.Part, divisor, line, ahead, stream);
        }

        return true;
    }

    /// <summary>
    /// One output row from its vertical reduction <paramref name="row"/> (W positions × C channels):
    /// border positions reduce their valid taps; interior positions slide with the block algorithm,
    /// lanes over channels (<paramref name="stream"/>: the 7-wide interior with streaming stores, <see cref="SlideRegisters7"/>).
    /// </summary>
    private static void SlideRow<T, TRed>(in PoolGeometry g, T* row, T* yo, AxisSpan* cols, long rowPart, Divisor divisor, T* line, long ahead, bool stream)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var wAxis = g.W;
        int cn = g.C, kw = wAxis.Kernel, wOut = wAxis.Out;
        int ib = wAxis.InteriorBegin, ie = wAxis.InteriorEnd;
        int lanes = Vector<T>.Count;
        for (int ow = 0; ow < wOut; ow++)
        {
            if (ow >= ib && ow < ie)
            {
                ow = ie - 1;
                continue;
            }

            AxisSpan col = cols[ow];
            T* yc = yo + ((long)ow * cn);
            if (col.Count == 0)
            {
                new Span<T>(yc, cn).Fill(TRed.Empty);
                continue;
            }

            long divisorValue = divisor.Combine(rowPart, col.Part);
            T* seed = row + ((long)col.First * cn);
            int c = 0;
            if (cn >= lanes)
            {
                var borderScale = new Vector<T>(T.CreateChecked(divisorValue));
                for (; ; c += lanes)
                {
                    c = Math.Min(c, cn - lanes); // overlapping last vector: recomputed, same values
                    Vector<T> acc = Vector.Load(seed + c);
                    for (int t = 1; t < col.Count; t++)
                    {
                        acc = TRed.Combine(acc, Vector.Load(seed + c + ((long)t * cn)));
                    }

                    Store(acc, yc + c, divisorValue, borderScale);
                    if (c + lanes >= cn)
                    {
                        break;
                    }
                }

                continue;
            }

            for (; c < cn; c++)
            {
                T acc = seed[c];
                for (int t = 1; t < col.Count; t++)
                {
                    acc = TRed.Combine(acc, seed[c + ((long)t * cn)]);
                }

                yc[c] = Finish(acc, divisorValue);
            }
        }

        if (ie <= ib)
        {
            return;
        }

        long interiorDivisor = divisor.Combine(rowPart, kw);
        var scale = new Vector<T>(T.CreateChecked(interiorDivisor));
        int t0 = ib - wAxis.PadBegin, t1 = ie - wAxis.PadBegin; // window starts of the interior outputs
        if (cn < lanes)
        {
            SlideScalar<T, TRed>(row, yo + ((long)ib * cn), cn, kw, t0, t1, interiorDivisor);
            return;
        }

        if (kw == 7 && Vector512.IsHardwareAccelerated && cn >= Vector512<T>.Count)
        {
            SlideRegisters7<T, TRed>(row, yo + ((long)ib * cn), cn, t0, t1, interiorDivisor, ahead, stream);
            return;
        }

        if (cn > 2 * lanes)
        {
            SlideLine<T, TRed>(row, yo + ((long)ib * cn), cn, kw, t0, t1, interiorDivisor, line, ahead);
            return;
        }

        // A few channel vectors: each runs along the row with its suffix block and prefix in registers.
        Vector<T>* suffix = stackalloc Vector<T>[kw];
        for (int c = 0; c < cn; c += lanes)
        {

            c = Math.Min(c, cn - lanes); // overlapping last vector: recomputed, same values
            T* src = row + c;
            T* dst = yo + ((long)ib * cn) + c;
            int t = t0;
            for (int k0 = t0 - (t0 % kw); t < t1; k0 += kw)
            {
                // Block [k0, k0 + kw): suffix[i - k0] = reduction of positions i .. k0 + kw - 1, for i >= t.
                suffix[kw - 1] = Vector.Load(src + ((long)(k0 + kw - 1) * cn));
                for (int i = k0 + kw - 2; i >= t; i--)
                {
                    suffix[i - k0] = TRed.Combine(Vector.Load(src + ((long)i * cn)), suffix[i - k0 + 1]);
                }

                if (t == k0)
                {
                    // The window is the block itself.
                    Store(suffix[0], dst, interiorDivisor, scale);
                    t++;
                    dst += cn;
                }

                if (t >= t1)
                {
                    break;
                }

                // Windows starting inside the block: its suffix from t and the next block's prefix up to t + kw - 1.
                int next = k0 + kw;
                Vector<T> prefix = Vector.Load(src + ((long)next * cn));
                for (int i = next + 1; i < t + kw; i++)
                {
                    prefix = TRed.Combine(prefix, Vector.Load(src + ((long)i * cn)));
                }

                for (int end = Math.Min(next, t1); ; )
                {
                    Store(TRed.Combine(suffix[t - k0], prefix), dst, interiorDivisor, scale);
                    t++;
                    dst += cn;
                    if (t >= end)
                    {
                        break;
                    }

                    prefix = TRed.Combine(prefix, Vector.Load(src + ((long)(t + kw - 1) * cn)));
                }
            }

            if (c + lanes >= cn)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Interior positions of a window 7 wide, a 512-bit vector of channels at a time along the row, the block's suffixes and
    /// the next block's prefix in registers: about one load, one store and three reductions per output, where the pass
    /// through the scratch line takes six loads and three stores. Same operations in the same order as <see cref="SlideLine"/>.
    /// With <paramref name="stream"/> (large outputs whose positions are whole cache lines), the vectors that fill whole
    /// lines are written with streaming stores, the ragged first and last vectors of a position with plain ones, and
    /// nothing is prefetched; otherwise a nonzero <paramref name="ahead"/> prefetches each output that far ahead.
    /// </summary>
    private static void SlideRegisters7<T, TRed>(T* row, T* dst, int cn, int t0, int t1, long divisorValue, long ahead, bool stream)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector512<T>.Count;
        var scale = Vector512.Create(T.CreateChecked(divisorValue));
        bool divide = divisorValue != 1;

        // With streaming, the channel vectors start on line boundaries (every position shares the row's alignment): a plain
        // first vector covers the channels before the first boundary, a plain overlapping last vector those after the last.
        int head = stream ? (int)(((64 - ((nint)dst & 63)) & 63) / sizeof(T)) : 0;
        for (int c = head == 0 ? 0 : -1; c < cn;)
        {
            if (c < 0)
            {
                SlideVector7<T, TRed>(row, dst, cn, t0, t1, divide, scale, ahead, streamed: false);
                c = head;
            }
            else if (c + lanes <= cn)
            {
                SlideVector7<T, TRed>(row + c, dst + c, cn, t0, t1, divide, scale, stream ? 0 : ahead, stream);
                c += lanes;
            }
            else
            {
                // Overlapping last vector: recomputed, same values.
                SlideVector7<T, TRed>(row + cn - lanes, dst + cn - lanes, cn, t0, t1, divide, scale, stream ? 0 : ahead, streamed: false);
                break;
            }
        }

        if (stream)
        {
            Streaming.Fence(); // streaming stores are weakly ordered: done before the row's readers
        }
    }

    /// <summary>One vector of channels of <see cref="SlideRegisters7"/> along the row: <paramref name="src"/> and <paramref name="yc"/> at its first channel.</summary>
    private static void SlideVector7<T, TRed>(T* src, T* yc, int cn, int t0, int t1, bool divide, Vector512<T> scale, long ahead, bool streamed)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        const int kw = 7;
        long step = cn;
        int t = t0;
        for (int k0 = t0 - (t0 % kw); t < t1; k0 += kw)
        {
            if (t == k0 && k0 + kw <= t1)
            {
                // A whole block of outputs: suffixes of block k0, then the prefix of block k0 + 7 one position at a time.
                T* b = src + ((long)k0 * step);
                Vector512<T> s6 = Vector512.Load(b + (6 * step));
                Vector512<T> s5 = TRed.Combine(Vector512.Load(b + (5 * step)), s6);
                Vector512<T> s4 = TRed.Combine(Vector512.Load(b + (4 * step)), s5);
                Vector512<T> s3 = TRed.Combine(Vector512.Load(b + (3 * step)), s4);
                Vector512<T> s2 = TRed.Combine(Vector512.Load(b + (2 * step)), s3);
                Vector512<T> s1 = TRed.Combine(Vector512.Load(b + step), s2);
                Vector512<T> s0 = TRed.Combine(Vector512.Load(b), s1);
                T* o = yc + ((long)(k0 - t0) * step);
                T* nb = b + (kw * step);
                Vector512<T> p = Vector512.Load(nb);
                Put(s0, o, divide, scale, ahead, streamed);
                Put(TRed.Combine(s1, p), o + step, divide, scale, ahead, streamed);
                p = TRed.Combine(p, Vector512.Load(nb + step));
                Put(TRed.Combine(s2, p), o + (2 * step), divide, scale, ahead, streamed);
                p = TRed.Combine(p, Vector512.Load(nb + (2 * step)));
                Put(TRed.Combine(s3, p), o + (3 * step), divide, scale, ahead, streamed);
                p = TRed.Combine(p, Vector512.Load(nb + (3 * step)));
                Put(TRed.Combine(s4, p), o + (4 * step), divide, scale, ahead, streamed);
                p = TRed.Combine(p, Vector512.Load(nb + (4 * step)));
                Put(TRed.Combine(s5, p), o + (5 * step), divide, scale, ahead, streamed);
                p = TRed.Combine(p, Vector512.Load(nb + (5 * step)));
                Put(TRed.Combine(s6, p), o + (6 * step), divide, scale, ahead, streamed);
                t += kw;
                continue;
            }

            // A block cut by the ends of the interior: the outputs in it one by one.
            int end = Math.Min(k0 + kw, t1);
            for (; t < end; t++)
            {
                Vector512<T> acc = Vector512.Load(src + ((long)(kw - 1 + k0) * step));
                for (int i = k0 + kw - 2; i >= t; i--)
                {
                    acc = TRed.Combine(Vector512.Load(src + ((long)i * step)), acc);
                }

                if (t > k0)
                {
                    Vector512<T> pre = Vector512.Load(src + ((long)(k0 + kw) * step));
                    for (int i = k0 + kw + 1; i < t + kw; i++)
                    {
                        pre = TRed.Combine(pre, Vector512.Load(src + ((long)i * step)));
                    }

                    acc = TRed.Combine(acc, pre);
                }

                Put(acc, yc + ((long)(t - t0) * step), divide, scale, ahead, streamed);
            }
        }
    }

    /// <summary>Stores one output vector (divided for averages): streamed (64-byte aligned), or plain after prefetching the same position <paramref name="ahead"/> elements on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(Vector512<T> acc, T* dst, bool divide, Vector512<T> scale, long ahead, bool streamed)
        where T : unmanaged, INumber<T>
    {
        Vector512<T> value = divide ? acc / scale : acc;
        if (streamed)
        {
            Avx512F.StoreAlignedNonTemporal((float*)dst, value.AsSingle());
            return;
        }

        if (ahead != 0)
        {
            Sse.Prefetch0(dst + ahead);
        }

        value.Store(dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> acc, T* dst, long divisorValue, Vector<T> scale)
        where T : unmanaged, INumber<T> => (divisorValue == 1 ? acc : acc / scale).Store(dst);

    /// <summary>
    /// Interior positions for many channels: positions play the part of rows, each a contiguous run of C
    /// channels, so every pass streams through memory (suffix block and prefix in <paramref name="line"/>).
    /// </summary>
    private static void SlideLine<T, TRed>(T* row, T* dst, int cn, int kw, int t0, int t1, long divisorValue, T* line, long ahead)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int stride = (int)((((long)cn * sizeof(T)) + 63) & ~63L) / sizeof(T);
        T* prefix = line + ((long)kw * stride);
        int t = t0;
        for (int k0 = t0 - (t0 % kw); t < t1; k0 += kw)
        {
            // Block [k0, k0 + kw): line[i - k0] = reduction of positions i .. k0 + kw - 1, for i >= t.
            new ReadOnlySpan<T>(row + ((long)(k0 + kw - 1) * cn), cn).CopyTo(new Span<T>(line + ((long)(kw - 1) * stride), cn));
            for (int i = k0 + kw - 2; i >= t; i--)
            {
                Combine2<T, TRed>(row + ((long)i * cn), line + ((long)(i - k0 + 1) * stride), line + ((long)(i - k0) * stride), cn);
            }

            if (t == k0)
            {
                Combine2Finish<T, TRed>(line, null, dst, cn, divisorValue, ahead);
                t++;
                dst += cn;
            }

            if (t >= t1)
            {
                break;
            }

            int next = k0 + kw;
            FoldRows<T, TRed>(row + ((long)next * cn), t + kw - next, cn, prefix);
            for (int end = Math.Min(next, t1); ; )
            {
                Combine2Finish<T, TRed>(line + ((long)(t - k0) * stride), prefix, dst, cn, divisorValue, ahead);
                t++;
                dst += cn;
                if (t >= end)
                {
                    break;
                }

                Combine2<T, TRed>(prefix, row + ((long)(t + kw - 1) * cn), prefix, cn);
            }
        }
    }

    /// <summary>
    /// <c>into[i] = Finish(Combine(a[i], b[i]))</c>, or <c>Finish(a[i])</c> when <paramref name="b"/> is null; with
    /// <paramref name="ahead"/> not 0, each line of <c>into + ahead</c> is prefetched on the way.
    /// </summary>
    private static void Combine2Finish<T, TRed>(T* a, T* b, T* into, int length, long divisorValue, long ahead)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0, i = 0;
        int line = 64 / sizeof(T);
        var scale = new Vector<T>(T.CreateChecked(divisorValue));
        for (; lanes != 0 && i + lanes <= length; i += lanes)
        {
            if (ahead != 0 && (i & (line - 1)) == 0)
            {
                Sse.Prefetch0(into + ahead + i);
            }

            Vector<T> acc = b == null ? Vector.Load(a + i) : TRed.Combine(Vector.Load(a + i), Vector.Load(b + i));
            Store(acc, into + i, divisorValue, scale);
        }

        for (; i < length; i++)
        {
            into[i] = Finish(b == null ? a[i] : TRed.Combine(a[i], b[i]), divisorValue);
        }
    }

    /// <summary>Interior positions for fewer channels than a vector: every window's taps directly.</summary>
    private static void SlideScalar<T, TRed>(T* row, T* dst, int cn, int kw, int t0, int t1, long divisorValue)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        for (int t = t0; t < t1; t++, dst += cn)
        {
            for (int c = 0; c < cn; c++)
            {
                T acc = row[((long)t * cn) + c];
                for (int i = 1; i < kw; i++)
                {
                    acc = TRed.Combine(acc, row[((long)(t + i) * cn) + c]);
                }

                dst[c] = Finish(acc, divisorValue);
            }
        }
    }

    /// <summary><c>into[i] = Combine(a[i], b[i])</c> over <paramref name="length"/> elements (<paramref name="into"/> may be <paramref name="a"/> or <paramref name="b"/>).</summary>
    private static void Combine2<T, TRed>(T* a, T* b, T* into, int length)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0, i = 0;
        for (; lanes != 0 && i + lanes <= length; i += lanes)
        {
            TRed.Combine(Vector.Load(a + i), Vector.Load(b + i)).Store(into + i);
        }

        for (; i < length; i++)
        {
            into[i] = TRed.Combine(a[i], b[i]);
        }
    }

    /// <summary>
    /// <c>prefix[i] = Combine(prefix[i], next[i])</c>, then <c>into[i] = Combine(suffix[i], prefix[i])</c>, in one pass; with
    /// <paramref name="prefetch"/>, each line of the row after <paramref name="next"/> is prefetched into the second-level
    /// cache on the way (the row the next output row brings in).
    /// </summary>
    private static void ExtendAndJoin<T, TRed>(T* prefix, T* next, T* suffix, T* into, int length, bool prefetch)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0, i = 0;
        for (; lanes != 0 && i + lanes <= length; i += lanes)
        {
            if (prefetch && ((i * sizeof(T)) & 63) == 0)
            {
                Sse.Prefetch1(next + length + i);
            }

            Vector<T> p = TRed.Combine(Vector.Load(prefix + i), Vector.Load(next + i));
            p.Store(prefix + i);
            TRed.Combine(Vector.Load(suffix + i), p).Store(into + i);
        }

        for (; i < length; i++)
        {
            prefix[i] = TRed.Combine(prefix[i], next[i]);
            into[i] = TRed.Combine(suffix[i], prefix[i]);
        }
    }

    /// <summary><c>into</c> = the reduction of <paramref name="count"/> consecutive rows starting at <paramref name="first"/>, in row order.</summary>
    private static void FoldRows<T, TRed>(T* first, int count, int rowLen, T* into)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        new ReadOnlySpan<T>(first, rowLen).CopyTo(new Span<T>(into, rowLen));
        for (int j = 1; j < count; j++)
        {
            Combine2<T, TRed>(into, first + ((long)j * rowLen), into, rowLen);
        }
    }
}
