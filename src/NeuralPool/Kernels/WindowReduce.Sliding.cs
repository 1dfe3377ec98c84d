using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-last, stride 1, large windows: the van Herk / Gil-Werman block algorithm in both directions, so the cost
/// per output does not grow with the window. Positions along a row (and rows down the slice) are cut into blocks of
/// k. A window starting at t covers the suffix of t's block from t and the prefix of the next block up to t + k - 1;
/// the suffixes of a block are computed once when the sweep enters it and the prefix is extended by one position
/// (row) per output. About three reductions per output and direction, for max and for sums alike (sums only add: no
/// running subtraction, so infinities and NaN come out as in the direct sum).
/// <para>
/// Horizontal first, each input row once, into a ring of kh rows of horizontal results (row i in slot i mod kh), then
/// vertical down the ring: entering a block of rows turns its slots into the block's suffixes in place, and the row
/// that the next output brings in takes the slot of the suffix the previous output was the last to read. Every
/// reduction takes the earlier taps as its accumulator and rows are reduced before they are combined, so ties resolve
/// as PyTorch's row-major scan does (the first of equal maxima: +0 against −0) and the last NaN wins. Windows clipped
/// by the top reduce their valid rows directly; windows clipped by the bottom slide on as if the rows past the end held
/// the reduction's identity (−inf for max, −0 for sums), which changes neither a maximum nor a sum.
/// </para>
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
            && (long)Math.Max(g.W.In, g.W.Out) * g.C * (g.H.Kernel + 3) * 8 <= ThreadScratch.MaxBytes / 2;
    }

    /// <summary>Whether max pooling of <paramref name="g"/> without indices runs on the sliding rows, channels-last or on transposed channels-first plane blocks (for tests).</summary>
    internal static bool TakesSlidingRows<T>(in PoolGeometry g)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        if (g.Layout == TensorLayout.ChannelsLast)
        {
            return !NarrowPairsPay<T>(g) && SlidingPays(g);
        }

        var sub = g with { N = 1, C = Vector256<T>.Count, Layout = TensorLayout.ChannelsLast };
        return !WholePlanes<T>(g) && !RegisterRowsPay<T, MaxReducer<T>>(g) && !ShortRowsPay<T, MaxReducer<T>>(g) && !FlatPays<T>(g)
            && BlocksPay<T>(g) && !NarrowPairsPay<T>(sub) && SlidingPays(sub);
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
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int cn = g.C, kh = hAxis.Kernel, kw = wAxis.Kernel, wOut = wAxis.Out, hIn = hAxis.In;
        int inRow = checked(wAxis.In * cn), len = checked(wOut * cn);
        long slice = (long)hIn * inRow, inPlane = g.InputPlane * cn;

        // Scratch: the ring of kh rows of horizontal results (suffixes once their block is entered), the running prefix,
        // the vertical result, the horizontal pass's line (kw + 1 positions of C channels) and the span tables.
        long rl = ((((long)len * sizeof(T)) + 63) & ~63L) / sizeof(T), posBytes = (((long)cn * sizeof(T)) + 63) & ~63L;
        long rowsBytes = (kh + 2) * rl * sizeof(T);
        byte* scratch = ThreadScratch.Get(rowsBytes + ((kw + 1) * posBytes) + (TableLength(g) * sizeof(AxisSpan)), inner: true);

        T* ring = (T*)scratch, prefix = ring + (kh * rl), v = prefix + rl;
        T* line = (T*)(scratch + rowsBytes);
        var cols = job.Tables != null ? job.Tables : (AxisSpan*)(scratch + rowsBytes + ((kw + 1) * posBytes));
        if (job.Tables == null)
        {
            FillTables(g, job.Divisor.Mode, cols);
        }

        // Rows whose columns all hold an input and share one divisor (averages counting the padding) are joined straight
        // into the output (7 x 7 nhwc average, 8 images, calls alternated: 5.45 -> 5.08 ms on 1 thread, 2.81 -> 2.69 ms on
        // 2). The max's columns differ in their valid count, which it does not divide by; joining it straight in as well
        // measured no faster (4.19 / 4.22 ms), so it finishes rows in scratch. Shifting the scratch rows to the output's place in its cache line, so that the vectors placed on
        // the output's lines are on the rows' lines too, measured slower (max 4.37 -> 4.79 ms, average 5.03 -> 5.83 ms).
        bool direct = ((nint)job.Y & (sizeof(T) - 1)) == 0 && !HasEmptyColumn(cols, wOut) && UniformColumns(cols, wOut);
        var dSpans = cols + wOut;
        var hSpans = dSpans + dAxis.Out;

        // Outputs of 16 MB and more go out with streaming stores on their whole cache lines (no read of the output lines):
        // joined straight into place or finished in scratch and copied out a row at a time.
        bool stream = g.OutputLength * sizeof(T) >= Streaming.MinBytes && Streaming.Supported;

        // From memory, each input row is first read straight through, a load per cache line, and then reduced from the
        // caches: the horizontal pass reads a row a vector of channels at a time across seven positions, an order the
        // hardware prefetcher follows poorly (7 x 7 nhwc average, 8 images, calls alternated: 6.8 -> 5.0 ms; prefetch
        // instructions instead, for this row or the next: 5.8-5.9 ms). The NaN scan of the max reads the row the same way.
        bool touch = FromMemory<T>(g);

        // The slice whose rows the ring holds, the next input row to reduce, the block of rows whose suffixes the ring
        // holds (from row sFrom on) and the last row in the prefix.
        T* owner = null;
        int done = 0, sBlock = -1, sFrom = 0, pRow = -1;
        var cursor = new RowCursor(g, r0);
        for (int r = r0; r < r1; r++, cursor.Next())
        {
            T* yo = (T*)job.Y + ((long)r * len);
            AxisSpan ds = dSpans[cursor.Od], hs = hSpans[cursor.Oh];
            if (ds.Count == 0 || hs.Count == 0)
            {
                new Span<T>(yo, len).Fill(TRed.Empty);
                continue;
            }

            T* xs = (T*)job.X + (cursor.Plane * inPlane) + (ds.First * slice);
            int start = hAxis.Start(cursor.Oh);
            if (owner != xs)
            {
                owner = xs;
                (done, sBlock, pRow) = (Math.Max(start, 0), -1, -1);
            }

            // Horizontal results of every row up to the last this output reads (past the end: the identity).
            for (int last = start < 0 ? hs.First + hs.Count - 1 : start + kh - 1; done <= last; done++)
            {
                T* slot = ring + (done % kh * rl);
                if (done >= hIn)
                {
                    new Span<T>(slot, len).Fill(TRed.SeedWithFirst ? TRed.Empty : -T.Zero);
                    continue;
                }

                T* src = xs + ((long)done * inRow);
                if (checkNaN)
                {
                    if (ContainsNaN(src, inRow))
                    {
                        return false;
                    }
                }
                else if (touch)
                {
                    Touch((byte*)src, (long)inRow * sizeof(T));
                }

                SlideRow<T, TRed>(g, src, slot, cols, line);
            }

            T* row;
            if (start < 0)
            {
                // Clipped by the top: the valid rows directly (no block has been entered yet, so the ring holds them as they are).
                FoldRing<T, TRed>(ring, kh, rl, hs.First, hs.Count, len, v);
                row = v;
            }
            else
            {
                int t = start, j = t / kh, k0 = j * kh;
                if (sBlock != j || sFrom > t)
                {
                    // Entering block j: slot of row i = reduction of rows i .. k0 + kh - 1 (earlier rows first).
                    for (int i = k0 + kh - 2; i >= t; i--)
                    {
                        Combine2<T, TRed>(ring + (i % kh * rl), ring + ((i + 1) % kh * rl), ring + (i % kh * rl), len);
                    }

                    (sBlock, sFrom) = (j, t);
                }

                T* s = ring + (t % kh * rl);
                if (t == k0)
                {
                    row = s; // the window is block j itself
                }
                else
                {
                    // The prefix of block j + 1 up to row u = t + kh - 1, extended by one row when the sweep moves on by one.
                    int u = t + kh - 1, u0 = u - (u % kh);

                    // From memory, sums prefetch the input row the next output brings in (into the outer caches) while
                    // they join this one, so that its read overlaps the join's work (7 x 7 nhwc average, 8 images,
                    // calls alternated: 5.0 -> 4.7 ms on 1 thread, 2.64 -> 2.48 ms on 2; 5.6 -> 5.2 ms not counting the
                    // padding). The max, whose NaN scan reads the row, measured slower with it (4.27 -> 4.39 ms).
                    var ahead = touch && !checkNaN && t + kh < hIn ? new Ahead((byte*)(xs + ((long)(t + kh) * inRow)), (long)inRow * sizeof(T)) : default;
                    if (pRow == u - 1 && u != u0 && direct)
                    {
                        ExtendAndJoinOut<T, TRed>(prefix, ring + (u % kh * rl), s, yo, len, job.Divisor.Combine((long)ds.Part * hs.Part, cols[0].Part), stream, ahead);
                        pRow = u;
                        continue;
                    }

                    if (pRow == u - 1 && u != u0)
                    {
                        ExtendAndJoin<T, TRed>(prefix, ring + (u % kh * rl), s, v, len, ahead);
                    }
                    else
                    {
                        FoldRing<T, TRed>(ring, kh, rl, u0, u - u0 + 1, len, prefix);
                        Combine2<T, TRed>(s, prefix, v, len);
                    }

                    pRow = u;
                    row = v;
                }
            }

            EmitRow<T>(row, v, yo, wOut, cn, cols, (long)ds.Part * hs.Part, job.Divisor, TRed.Empty, stream);
        }

        if (stream)
        {
            Streaming.Fence(); // streaming stores are weakly ordered: done before the output's readers
        }

        return true;
    }

    /// <summary>A row of <paramref name="bytes"/> bytes to prefetch while a pass walks another (the default: none).</summary>
    private readonly struct Ahead(byte* start, long bytes)
    {
        /// <summary>Prefetches, into the outer caches, the line at byte <paramref name="offset"/> of the row (if the row is that long).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At(long offset)
        {
            if (offset < bytes)
            {
                Sse.Prefetch2(start + offset);
            }
        }
    }

    /// <summary>Reads one byte of every cache line of <paramref name="bytes"/> bytes from <paramref name="p"/> on, in order (brings them into the caches).</summary>
    private static void Touch(byte* p, long bytes)
    {
        for (long q = 0; q < bytes; q += 64)
        {
            Volatile.Read(ref p[q]);
        }
    }

    /// <summary><c>into</c> = the reduction of the ring's rows <paramref name="first"/> .. first + count - 1, in row order.</summary>
    private static void FoldRing<T, TRed>(T* ring, int slots, long rowLength, int first, int count, int length, T* into)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        new ReadOnlySpan<T>(ring + (first % slots * rowLength), length).CopyTo(new Span<T>(into, length));
        for (int i = first + 1; i < first + count; i++)
        {
            Combine2<T, TRed>(into, ring + (i % slots * rowLength), into, length);
        }
    }

    /// <summary>
    /// One output row from its reduction <paramref name="row"/> (W positions of C channels), divided by each position's
    /// divisor; positions whose window holds no input get <paramref name="empty"/>. With <paramref name="stream"/>, the
    /// row is finished in <paramref name="v"/> (which may be <paramref name="row"/>) and copied out whole, its aligned
    /// cache lines with streaming stores.
    /// </summary>
    private static void EmitRow<T>(T* row, T* v, T* yo, int wOut, int cn, AxisSpan* cols, long rowPart, Divisor divisor, T empty, bool stream)
        where T : unmanaged, INumber<T>
    {
        if (!stream)
        {
            FinishRow(row, yo, wOut, cn, cols, rowPart, divisor, empty);
            return;
        }

        if (divisor.Mode != DivisorMode.None || HasEmptyColumn(cols, wOut))
        {
            FinishRow(row, v, wOut, cn, cols, rowPart, divisor, empty);
            row = v;
        }

        Streaming.Copy((byte*)row, (byte*)yo, (long)wOut * cn * sizeof(T));
    }

    private static bool HasEmptyColumn(AxisSpan* cols, int wOut) => cols[0].Count == 0 || cols[wOut - 1].Count == 0;

    /// <summary><paramref name="into"/> = <paramref name="v"/> divided by each position's divisor (<paramref name="empty"/> where the window holds no input); <paramref name="into"/> may be <paramref name="v"/>.</summary>
    private static void FinishRow<T>(T* v, T* into, int wOut, int cn, AxisSpan* cols, long rowPart, Divisor divisor, T empty)
        where T : unmanaged, INumber<T>
    {
        int wide = Vector512.IsHardwareAccelerated ? Vector512<T>.Count : int.MaxValue;
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : int.MaxValue;
        for (int ow = 0; ow < wOut; ow++, v += cn, into += cn)
        {
            AxisSpan col = cols[ow];
            if (col.Count == 0)
            {
                new Span<T>(into, cn).Fill(empty);
                continue;
            }

            long divisorValue = divisor.Combine(rowPart, col.Part);
            if (cn >= wide)
            {
                // In place, the overlapping last vector is loaded before anything is stored over it.
                var scale = Vector512.Create(T.CreateChecked(divisorValue));
                Vector512<T> tail = Divide(Vector512.Load(v + cn - wide), divisorValue, scale);
                for (int c = 0; c + wide <= cn; c += wide)
                {
                    Divide(Vector512.Load(v + c), divisorValue, scale).Store(into + c);
                }

                tail.Store(into + cn - wide);
            }
            else if (cn >= lanes)
            {
                var scale = new Vector<T>(T.CreateChecked(divisorValue));
                Vector<T> tail = Vector.Load(v + cn - lanes);
                tail = divisorValue == 1 ? tail : tail / scale;
                for (int c = 0; c + lanes <= cn; c += lanes)
                {
                    Vector<T> value = Vector.Load(v + c);
                    (divisorValue == 1 ? value : value / scale).Store(into + c);
                }

                tail.Store(into + cn - lanes);
            }
            else
            {
                for (int c = 0; c < cn; c++)
                {
                    into[c] = Finish(v[c], divisorValue);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Divide<T>(Vector512<T> value, long divisorValue, Vector512<T> scale)
        where T : unmanaged, INumber<T> => divisorValue == 1 ? value : value / scale;

    /// <summary>
    /// One row of horizontal results: <paramref name="row"/> holds W.In positions of C channels, <paramref name="dst"/> gets
    /// W.Out positions of C channels, undivided. Border positions reduce their valid taps; interior positions slide with
    /// the block algorithm, lanes over channels.
    /// </summary>
    private static void SlideRow<T, TRed>(in PoolGeometry g, T* row, T* dst, AxisSpan* cols, T* line)
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
            T* yc = dst + ((long)ow * cn);
            if (col.Count == 0)
            {
                new Span<T>(yc, cn).Fill(TRed.Empty);
                continue;
            }

            T* seed = row + ((long)col.First * cn);
            int c = 0;
            if (cn >= lanes)
            {
                for (; ; c += lanes)
                {
                    c = Math.Min(c, cn - lanes); // overlapping last vector: recomputed, same values
                    Vector<T> acc = Vector.Load(seed + c);
                    for (int t = 1; t < col.Count; t++)
                    {
                        acc = TRed.Combine(acc, Vector.Load(seed + c + ((long)t * cn)));
                    }

                    acc.Store(yc + c);
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

                yc[c] = acc;
            }
        }

        if (ie <= ib)
        {
            return;
        }

        int t0 = ib - wAxis.PadBegin, t1 = ie - wAxis.PadBegin; // window starts of the interior outputs
        T* out0 = dst + ((long)ib * cn);
        if (cn < lanes)
        {
            SlideScalar<T, TRed>(row, out0, cn, kw, t0, t1);
            return;
        }

        if (kw == 7 && Vector512.IsHardwareAccelerated && cn >= Vector512<T>.Count)
        {
            SlideRegisters7<T, TRed>(row, out0, cn, t0, t1);
            return;
        }

        if (cn > 2 * lanes)
        {
            SlideLine<T, TRed>(row, out0, cn, kw, t0, t1, line);
            return;
        }

        // A few channel vectors: each runs along the row with its suffix block and prefix in registers.
        Vector<T>* suffix = stackalloc Vector<T>[kw];
        for (int c = 0; c < cn; c += lanes)
        {
            c = Math.Min(c, cn - lanes); // overlapping last vector: recomputed, same values
            T* src = row + c;
            T* o = out0 + c;
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
                    suffix[0].Store(o);
                    t++;
                    o += cn;
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
                    TRed.Combine(suffix[t - k0], prefix).Store(o);
                    t++;
                    o += cn;
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
    /// Interior positions of a window 7 wide, a block of seven positions at a time and, within it, a 512-bit vector of
    /// channels at a time (so the row is read position by position), the block's suffixes and the next block's prefix in
    /// registers: about one load, one store and three reductions per output, where the pass through the scratch line
    /// takes six loads and three stores. Same operations in the same order as <see cref="SlideLine"/>.
    /// </summary>
    private static void SlideRegisters7<T, TRed>(T* row, T* dst, int cn, int t0, int t1)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        const int kw = 7;
        int lanes = Vector512<T>.Count;
        int t = t0;
        for (int k0 = t0 - (t0 % kw); t < t1; k0 += kw)
        {
            int end = Math.Min(k0 + kw, t1);
            bool whole = t == k0 && end == k0 + kw;
            for (int c = 0; ; c += lanes)
            {
                c = Math.Min(c, cn - lanes); // overlapping last vector: recomputed, same values
                if (whole)
                {
                    Block7<T, TRed>(row + c + ((long)k0 * cn), dst + c + ((long)(k0 - t0) * cn), cn);
                }
                else
                {
                    Cut7<T, TRed>(row + c, dst + c, cn, t0, k0, t, end);
                }

                if (c + lanes >= cn)
                {
                    break;
                }
            }

            t = end;
        }
    }

    /// <summary>
    /// The seven outputs of a whole block for one vector of channels: <paramref name="b"/> at the block's first position,
    /// <paramref name="o"/> at its first output (positions and outputs <paramref name="step"/> apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block7<T, TRed>(T* b, T* o, long step)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        // Suffixes of the block, then the prefix of the next block one position at a time.
        Vector512<T> s6 = Vector512.Load(b + (6 * step));
        Vector512<T> s5 = TRed.Combine(Vector512.Load(b + (5 * step)), s6);
        Vector512<T> s4 = TRed.Combine(Vector512.Load(b + (4 * step)), s5);
        Vector512<T> s3 = TRed.Combine(Vector512.Load(b + (3 * step)), s4);
        Vector512<T> s2 = TRed.Combine(Vector512.Load(b + (2 * step)), s3);
        Vector512<T> s1 = TRed.Combine(Vector512.Load(b + step), s2);
        Vector512<T> s0 = TRed.Combine(Vector512.Load(b), s1);
        T* nb = b + (7 * step);
        Vector512<T> p = Vector512.Load(nb);
        s0.Store(o);
        TRed.Combine(s1, p).Store(o + step);
        p = TRed.Combine(p, Vector512.Load(nb + step));
        TRed.Combine(s2, p).Store(o + (2 * step));
        p = TRed.Combine(p, Vector512.Load(nb + (2 * step)));
        TRed.Combine(s3, p).Store(o + (3 * step));
        p = TRed.Combine(p, Vector512.Load(nb + (3 * step)));
        TRed.Combine(s4, p).Store(o + (4 * step));
        p = TRed.Combine(p, Vector512.Load(nb + (4 * step)));
        TRed.Combine(s5, p).Store(o + (5 * step));
        p = TRed.Combine(p, Vector512.Load(nb + (5 * step)));
        TRed.Combine(s6, p).Store(o + (6 * step));
    }

    /// <summary>Outputs [t, end) of the block at <paramref name="k0"/> cut by the ends of the interior, one by one, for one vector of channels (<paramref name="src"/> and <paramref name="yc"/> at its first channel; outputs from <paramref name="t0"/>).</summary>
    private static void Cut7<T, TRed>(T* src, T* yc, long step, int t0, int k0, int t, int end)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        const int kw = 7;
        for (; t < end; t++)
        {
            Vector512<T> acc = Vector512.Load(src + ((kw - 1 + k0) * step));
            for (int i = k0 + kw - 2; i >= t; i--)
            {
                acc = TRed.Combine(Vector512.Load(src + (i * step)), acc);
            }

            if (t > k0)
            {
                Vector512<T> pre = Vector512.Load(src + ((k0 + kw) * step));
                for (int i = k0 + kw + 1; i < t + kw; i++)
                {
                    pre = TRed.Combine(pre, Vector512.Load(src + (i * step)));
                }

                acc = TRed.Combine(acc, pre);
            }

            acc.Store(yc + ((t - t0) * step));
        }
    }

    /// <summary>
    /// Interior positions for many channels: positions play the part of rows, each a contiguous run of
    /// <paramref name="cn"/> channels, so every pass streams through memory (suffix block and prefix in <paramref name="line"/>).
    /// </summary>
    private static void SlideLine<T, TRed>(T* row, T* dst, int cn, int kw, int t0, int t1, T* line)
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
                new ReadOnlySpan<T>(line, cn).CopyTo(new Span<T>(dst, cn));
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
                Combine2<T, TRed>(line + ((long)(t - k0) * stride), prefix, dst, cn);
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

    /// <summary>Interior positions for fewer channels than a vector: every window's taps directly.</summary>
    private static void SlideScalar<T, TRed>(T* row, T* dst, int cn, int kw, int t0, int t1)
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

                dst[c] = acc;
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

    /// <summary><c>prefix[i] = Combine(prefix[i], next[i])</c>, then <c>into[i] = Combine(suffix[i], prefix[i])</c>, in one pass.</summary>
    private static void ExtendAndJoin<T, TRed>(T* prefix, T* next, T* suffix, T* into, int length, Ahead ahead)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0, i = 0;
        for (; lanes != 0 && i + lanes <= length; i += lanes)
        {
            ahead.At((long)i * sizeof(T));
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

    /// <summary>
    /// <see cref="ExtendAndJoin"/> straight into the output row <paramref name="y"/>, divided by
    /// <paramref name="divisorValue"/>. With <paramref name="stream"/> and 512-bit vectors, the vectors are placed on the
    /// output's cache lines and go out with streaming stores; a plain first vector covers the elements before the first
    /// line boundary and a plain overlapping last one those after the last. Both are computed from the prefix as it was
    /// and stored into it after the lines between, where the elements they share get the same values again, so each
    /// row is added into the prefix exactly once.
    /// </summary>
    private static void ExtendAndJoinOut<T, TRed>(T* prefix, T* next, T* suffix, T* y, int length, long divisorValue, bool stream, Ahead ahead)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int wide = Vector512<T>.Count;
        if (!stream || !Vector512.IsHardwareAccelerated || length < wide)
        {
            int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0, e = 0;
            var div = new Vector<T>(T.CreateChecked(divisorValue));
            for (; lanes != 0 && e + lanes <= length; e += lanes)
            {
                ahead.At((long)e * sizeof(T));
                Vector<T> p = TRed.Combine(Vector.Load(prefix + e), Vector.Load(next + e));
                p.Store(prefix + e);
                Vector<T> joined = TRed.Combine(Vector.Load(suffix + e), p);
                (divisorValue == 1 ? joined : joined / div).Store(y + e);
            }

            for (; e < length; e++)
            {
                prefix[e] = TRed.Combine(prefix[e], next[e]);
                y[e] = Finish(TRed.Combine(suffix[e], prefix[e]), divisorValue);
            }

            return;
        }

        var scale = Vector512.Create(T.CreateChecked(divisorValue));
        int head = (int)(((64 - ((nint)y & 63)) & 63) / sizeof(T)), last = length - wide;
        Vector512<T> first = TRed.Combine(Vector512.Load(prefix), Vector512.Load(next));
        Vector512<T> end = TRed.Combine(Vector512.Load(prefix + last), Vector512.Load(next + last));
        if (head != 0)
        {
            Divide(TRed.Combine(Vector512.Load(suffix), first), divisorValue, scale).Store(y);
        }

        int i = head;
        for (; i + wide <= length; i += wide)
        {
            ahead.At((long)i * sizeof(T));
            Vector512<T> p = TRed.Combine(Vector512.Load(prefix + i), Vector512.Load(next + i));
            p.Store(prefix + i);
            Vector512<T> joined = Divide(TRed.Combine(Vector512.Load(suffix + i), p), divisorValue, scale);
            Avx512F.StoreAlignedNonTemporal((float*)(y + i), joined.AsSingle());
        }

        if (i < length)
        {
            Divide(TRed.Combine(Vector512.Load(suffix + last), end), divisorValue, scale).Store(y + last);
        }

        first.Store(prefix);
        end.Store(prefix + last);
    }

    /// <summary>Whether every output column has the same part of the divisor (one divisor per output row).</summary>
    private static bool UniformColumns(AxisSpan* cols, int wOut)
    {
        for (int ow = 1; ow < wOut; ow++)
        {
            if (cols[ow].Part != cols[0].Part)
            {
                return false;
            }
        }

        return true;
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
