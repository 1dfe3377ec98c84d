using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// The generic forward driver: reduces every window of a <see cref="PoolGeometry"/> with a reducer
/// policy, optionally dividing, optionally recording the (plane-local, row-major) index of the maximum.
/// Work is split into contiguous ranges of output rows (channels-first: one row of one plane;
/// channels-last: one row of all channels) over <see cref="Workers"/>.
/// <list type="bullet">
/// <item>Channels-last: lanes are channels; all lanes share one window, accumulators stay in registers across taps.</item>
/// <item>Channels-first: separable. The valid input rows of an output row are reduced column-wise into a
/// scratch row (contiguous vectors), then windows slide along that row: contiguous vectors at stride 1;
/// at larger strides a stride-1 vector pass followed by picking every s-th result. Borders and adaptive
/// bins read the same scratch row element by element.</item>
/// <item>Max with indices, channels-first: lanes are consecutive outputs (stride 1) tracking their indices;
/// at larger strides a separable pass that carries each column's winning row.</item>
/// </list>
/// Kernels trust the geometry: lengths are checked by the operators before any call.
/// <para>
/// Maxima follow PyTorch's row-major scan exactly: the first of equal values wins, which matters only for +0 against −0.
/// Kernels that reduce in that order (direct taps, register and short rows, 3 x 3 'same' planes, sliding rows) are exact
/// as they go; the ones that reduce rows or columns first settle afterwards every output that came out zero, tap by tap
/// in the scan's order (<see cref="SettleZeroMaxima"/>), which costs an and and a minimum per output vector on rows without
/// zeros.
/// </para>
/// </summary>
internal static unsafe partial class WindowReduce
{
    private struct Job
    {
        public PoolGeometry G;
        public void* X;
        public void* Y;
        public long* Indices;
        public Divisor Divisor;

        /// <summary>Channels-last bodies: the W, D and H span tables when the caller has built them (<see cref="FillTables"/>), else null.</summary>
        public AxisSpan* Tables;
    }

    /// <summary>Entries of the channels-last span tables: every output column, then the D and H spans.</summary>
    private static int TableLength(in PoolGeometry g) => g.W.Out + g.D.Out + g.H.Out;

    /// <summary>The channels-last span tables: W columns, then D spans, then H spans.</summary>
    private static void FillTables(in PoolGeometry g, DivisorMode mode, AxisSpan* into)
    {
        AxisSpan.Fill(g.W, mode, into);
        AxisSpan.Fill(g.D, mode, into + g.W.Out);
        AxisSpan.Fill(g.H, mode, into + g.W.Out + g.D.Out);
    }

    public static void Forward<T, TRed>(in PoolGeometry g, ReadOnlySpan<T> input, Span<T> output, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        Debug.Assert(input.Length >= g.InputLength && output.Length >= g.OutputLength);
        fixed (T* x = input)
        fixed (T* y = output)
        {
            var job = new Job { G = g, X = x, Y = y, Divisor = divisor };
            long work = g.InputLength + g.OutputLength;
            if (g.Layout == TensorLayout.ChannelsLast)
            {
                Workers.For(RowCount(g), work, LastBody<T, TRed>(g), &job);
            }
            else if (WholePlanes<T>(g))
            {
                ForwardWholePlanes<T, TRed>(g, x, y, divisor);
            }
            else if (RegisterRowsPay<T, TRed>(g))
            {
                if (TRed.IsMax)
                {
                    ForwardRegisterRows<MaxReducer<float>>(g, (float*)x, (float*)y, divisor);
                }
                else
                {
                    ForwardRegisterRows<SumReducer<float>>(g, (float*)x, (float*)y, divisor);
                }
            }
            else if (ShortRowsPay<T, TRed>(g))
            {
                if (TRed.IsMax)
                {
                    ForwardShortRows<MaxReducer<float>>(g, (float*)x, (float*)y, divisor);
                }
                else
                {
                    ForwardShortRows<SumReducer<float>>(g, (float*)x, (float*)y, divisor);
                }
            }
            else if (FlatPays<T>(g))
            {
                ForwardFlat<T, TRed>(g, x, y, divisor);
            }
            else if (BlocksPay<T>(g))
            {
                ForwardBlocks<T, TRed>(g, x, y, divisor);
            }
            else
            {
                Workers.For(RowCount(g), work, &FirstRows<T, TRed>, &job);
            }
        }
    }

    /// <summary>The channels-last forward body for <paramref name="g"/>: sliding, separable or direct.</summary>
    private static delegate*<int, int, void*, void> LastBody<T, TRed>(in PoolGeometry g)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T> =>
        NarrowPairsPay<T>(g) ? (TRed.IsMax ? &LastNarrowPairRows<T, TRed, NaNFreeMaxReducer<T>> : &LastNarrowPairRows<T, TRed, TRed>)
            : SlidingPays(g) ? (TRed.IsMax && (typeof(T) == typeof(float) || typeof(T) == typeof(double))
                ? &LastSlidingRows<T, TRed, NaNFreeMaxReducer<T>> : &LastSlidingRows<T, TRed, TRed>)
            : SeparablePays(g) ? (RingRowsPay<T, TRed>(g) ? &LastRingRows<T, TRed>
                : TRed.IsMax && (typeof(T) == typeof(float) || typeof(T) == typeof(double))
                ? &LastSeparableRows<T, TRed, NaNFreeMaxReducer<T>> : &LastSeparableRows<T, TRed, TRed>)
            : &LastRows<T, TRed>;

    /// <summary>Max with the index of the chosen element (flat within its (n, c) plane, row-major over D, H, W).</summary>
    public static void MaxWithIndices<T>(in PoolGeometry g, ReadOnlySpan<T> input, Span<T> output, Span<long> indices)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        Debug.Assert(input.Length >= g.InputLength && output.Length >= g.OutputLength && indices.Length >= g.OutputLength);
        fixed (T* x = input)
        fixed (T* y = output)
        fixed (long* ind = indices)
        {
            var job = new Job { G = g, X = x, Y = y, Indices = ind };
            long work = g.InputLength + (3 * g.OutputLength);
            bool vector = Vector.IsHardwareAccelerated && g.InputPlane <= int.MaxValue;
            bool last = g.Layout == TensorLayout.ChannelsLast;
            if (!last && PlaneIndicesPay<T>(g))
            {
                Workers.For(RowCount(g), work, &FirstMaxIndexPlaneRows, &job);
                return;
            }

            if (!last && IndexBlocksPay<T>(g))
            {
                ForwardIndexBlocks(g, x, y, ind);
                return;
            }

            delegate*<int, int, void*, void> body =
                vector && typeof(T) == typeof(float) ? (last ? &LastMaxIndexRows<float, int> : &FirstMaxIndexRows<float, int>)
                : vector && typeof(T) == typeof(double) ? (last ? &LastMaxIndexRows<double, long> : &FirstMaxIndexRows<double, long>)
                : &ScalarMaxIndexRows<T>;
            Workers.For(RowCount(g), work, body, &job);
        }
    }

    /// <summary>Work items: output rows of every plane (channels-first) or of every batch element (channels-last).</summary>
    private static int RowCount(in PoolGeometry g) =>
        (int)((g.Layout == TensorLayout.ChannelsLast ? g.N : (long)g.N * g.C) * g.D.Out * g.H.Out);

    // ---------------------------------------------------------------- scalar window loop (tails, fallbacks)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Finish<T>(T acc, long divisor)
        where T : unmanaged, INumber<T> => divisor == 1 ? acc : acc / T.CreateChecked(divisor);

    /// <summary>Max and its plane-local index for output (od, oh, ow): the first maximum in D, H, W scan order; the last NaN if any.</summary>
    internal static T MaxPosition<T>(in PoolGeometry g, T* plane, nint es, int od, int oh, int ow, out long index)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        FirstMaximum(g, plane, es, od, oh, ow, MaxReducer<T>.Empty, out index);

    /// <summary>
    /// <see cref="MaxPosition"/> for any number type, tap by tap in PyTorch's row-major order: <paramref name="empty"/>
    /// and index -1 when the window holds no input. Also what the kernels that reduce rows or columns first settle their
    /// zero maxima with (<see cref="SettleZeroMaxima"/>).
    /// </summary>
    private static T FirstMaximum<T>(in PoolGeometry g, T* plane, nint es, int od, int oh, int ow, T empty, out long index)
        where T : unmanaged, INumber<T>
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
        int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
        int sw = wAxis.Start(ow), fw = wAxis.FirstValid(ow), ew = wAxis.EndValid(ow);
        index = -1;
        T acc = empty;
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

    private static void ScalarMaxIndexRows<T>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        T* x = (T*)job.X, y = (T*)job.Y;
        long* ind = job.Indices;
        bool last = g.Layout == TensorLayout.ChannelsLast;
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        int cn = last ? g.C : 1;
        var cursor = new RowCursor(g, r0);
        for (int r = r0; r < r1; r++, cursor.Next())
        {
            int plane = cursor.Plane, od = cursor.Od, oh = cursor.Oh;
            long o = (long)r * g.W.Out * cn;
            for (int ow = 0; ow < g.W.Out; ow++)
            {
                for (int c = 0; c < cn; c++, o++)
                {
                    T* xp = last ? x + (plane * inPlane * cn) + c : x + (plane * inPlane);
                    y[o] = MaxPosition(g, xp, cn, od, oh, ow, out ind[o]);
                }
            }
        }
    }

    // ---------------------------------------------------------------- channels-last: lanes are channels

    private static void LastRows<T, TRed>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var divisor = job.Divisor;
        T* x = (T*)job.X, y = (T*)job.Y;
        int cn = g.C;
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        long inPlane = g.InputPlane;
        int wOut = wAxis.Out;
        int tables = (wOut * sizeof(AxisSpan)) + ((dAxis.Out + hAxis.Out) * sizeof(AxisSpan));
        byte[]? rented = tables > 16384 ? ArrayPool<byte>.Shared.Rent(tables) : null;
        byte* stack = stackalloc byte[rented is null ? tables : 0];
        try
        {
            fixed (byte* heap = rented)
            {
                // Per call: every output column's taps and divisor part, and the D and H spans.
                var cols = job.Tables != null ? job.Tables : (AxisSpan*)(rented is null ? stack : heap);
                var dSpans = cols + wOut;
                var hSpans = dSpans + dAxis.Out;
                if (job.Tables == null)
                {
                    FillTables(g, divisor.Mode, cols);
                }
                long dStep = (long)dAxis.Dilation * hAxis.In * wAxis.In * cn, hStep = (long)hAxis.Dilation * wAxis.In * cn, wStep = (long)wAxis.Dilation * cn;
                // 512-bit rows: max on float and double (NaN-free, the row redone exactly on a NaN), and sums.
                bool wideRows = Vector512.IsHardwareAccelerated && cn >= Vector512<T>.Count
                    && (!TRed.IsMax || typeof(T) == typeof(float) || typeof(T) == typeof(double));
                // 1-D windows over wide rows of whole vectors go tap by tap across the channels (see LastRowTapPasses).
                bool tapPasses = wideRows && dAxis.Kernel == 1 && hAxis.Kernel == 1 && cn % Vector512<T>.Count == 0
                    && cn * sizeof(T) >= TapPassMinBytes && cn * sizeof(T) <= TapPassMaxBytes;
                T* part = stackalloc T[tapPasses ? cn : 0];
                var cursor = new RowCursor(g, r0);
                for (int r = r0; r < r1; r++, cursor.Next())
                {
                    T* xn = x + (cursor.Plane * inPlane * cn);
                    T* yo = y + ((long)r * wOut * cn);
                    AxisSpan ds = dSpans[cursor.Od], hs = hSpans[cursor.Oh];
                    long rowPart = (long)ds.Part * hs.Part;

                    // The fast forms report false on a NaN (max): the row is then computed with the exact rule below.
                    if (tapPasses
                        ? (TRed.IsMax
                            ? LastRowTapPasses<T, NaNFreeMaxReducer<T>>(g, xn, yo, ds, hs, cols, wStep, divisor, part)
                            : LastRowTapPasses<T, TRed>(g, xn, yo, ds, hs, cols, wStep, divisor, part))
                        : wideRows && (TRed.IsMax
                            ? LastRowWide<T, NaNFreeMaxReducer<T>>(g, xn, yo, ds, hs, cols, dStep, hStep, wStep, divisor)
                            : LastRowWide<T, TRed>(g, xn, yo, ds, hs, cols, dStep, hStep, wStep, divisor)))
                    {
                        continue;
                    }

                    for (int ow = 0; ow < wOut; ow++, yo += cn)
                    {
                        AxisSpan col = cols[ow];
                        if (ds.Count == 0 || hs.Count == 0 || col.Count == 0)
                        {
                            new Span<T>(yo, cn).Fill(TRed.Empty);
                            continue;
                        }

                        long divisorValue = divisor.Combine(rowPart, col.Part);
                        T* seed = xn + ((((long)ds.First * hAxis.In) + hs.First) * wAxis.In + col.First) * cn;
                        int c = 0;
                        if (lanes != 0 && cn >= lanes)
                        {
                            var scale = new Vector<T>(T.CreateChecked(divisorValue));
                            for (; c + lanes <= cn; c += lanes)
                            {
                                // acc lane l: the reduction of channel c + l over the window so far.
                                Vector<T> acc = TRed.SeedWithFirst ? Vector.Load(seed + c) : Vector<T>.Zero;
                                T* dp = seed + c;
                                for (int jd = 0; jd < ds.Count; jd++, dp += dStep)
                                {
                                    T* hp = dp;
                                    for (int jh = 0; jh < hs.Count; jh++, hp += hStep)
                                    {
                                        T* wp = hp;
                                        for (int jw = 0; jw < col.Count; jw++, wp += wStep)
                                        {
                                            acc = TRed.Combine(acc, Vector.Load(wp));
                                        }
                                    }
                                }

                                (divisorValue == 1 ? acc : acc / scale).Store(yo + c);
                            }
                        }

                        if (c < cn)
                        {
                            // Channels past the last full vector: scalar accumulators, the same taps in the same order.
                            T* tail = yo + c;
                            int count = cn - c;
                            for (int k = 0; k < count; k++)
                            {
                                tail[k] = TRed.SeedWithFirst ? seed[c + k] : T.Zero;
                            }

                            T* dp = seed + c;
                            for (int jd = 0; jd < ds.Count; jd++, dp += dStep)
                            {
                                T* hp = dp;
                                for (int jh = 0; jh < hs.Count; jh++, hp += hStep)
                                {
                                    T* wp = hp;
                                    for (int jw = 0; jw < col.Count; jw++, wp += wStep)
                                    {
                                        for (int k = 0; k < count; k++)
                                        {
                                            tail[k] = TRed.Combine(tail[k], wp[k]);
                                        }
                                    }
                                }
                            }

                            if (divisorValue != 1)
                            {
                                T div = T.CreateChecked(divisorValue);
                                for (int k = 0; k < count; k++)
                                {
                                    tail[k] /= div;
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Channels-last positions at least this large (bytes) take <see cref="LastRowTapPasses"/>.</summary>
    private const int TapPassMinBytes = 256;

    /// <summary>Channels-last positions at most this large (bytes) take <see cref="LastRowTapPasses"/>: its partial result lives on the stack.</summary>
    private const int TapPassMaxBytes = 16384;

    /// <summary>How many taps along W ahead of a window's first tap the tap passes prefetch one line (1-D windows).</summary>
    private const int TapPassPrefetch = 8;

    /// <summary>
    /// One channels-last output row, direct, tap by tap: each output's taps are folded in one pass over all the channels
    /// per tap (the first two together), through a partial result of one position in <paramref name="part"/>, and the last
    /// pass writes the output. Same reducers, order and NaN rule as <see cref="LastRowWide"/>, whose passes go the other way
    /// round (every tap per vector of channels), which reads as many streams as the window has taps; one or two streams
    /// at a time measured faster from memory (seq 1-D k3 s2 on 768 channels: 3.0 against 3.9-5.1 ms). C is a multiple of
    /// the vector width.
    /// </summary>
    private static bool LastRowTapPasses<T, TRed>(in PoolGeometry g, T* xn, T* yo, AxisSpan ds, AxisSpan hs, AxisSpan* cols,
        long wStep, Divisor divisor, T* part)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        // Windows one row high (D and H kernel 1): the taps of an output are consecutive along W.
        bool checkNaN = typeof(TRed) == typeof(NaNFreeMaxReducer<T>);
        int cn = g.C, wOut = g.W.Out, wide = Vector512<T>.Count;
        long hIn = g.H.In, wIn = g.W.In, rowPart = (long)ds.Part * hs.Part;
        for (int ow = 0; ow < wOut; ow++, yo += cn)
        {
            AxisSpan col = cols[ow];
            if (ds.Count == 0 || hs.Count == 0 || col.Count == 0)
            {
                new Span<T>(yo, cn).Fill(TRed.Empty);
                continue;
            }

            long divisorValue = divisor.Combine(rowPart, col.Part);
            var scale = Vector512.Create(T.CreateChecked(divisorValue));
            T* seed = xn + (((((long)ds.First * hIn) + hs.First) * wIn) + col.First) * cn;
            Sse.Prefetch0(seed + (TapPassPrefetch * wStep));

            // The first pass folds taps 0 and 1 (or 0 alone), each later pass one tap; the last pass writes the output.
            var nan = Vector512<T>.Zero;
            for (int t = 0, taps = col.Count; t < taps; t++)
            {
                T* tp = seed + (t * wStep);
                T* second = t == 0 && taps > 1 ? seed + wStep : null;
                T* dst = t == taps - 1 || (second != null && taps == 2) ? yo : part;
                bool last = dst == yo;
                for (int c = 0; c < cn; c += wide)
                {
                    Vector512<T> v = Vector512.Load(tp + c), acc;
                    if (t == 0)
                    {
                        acc = TRed.SeedWithFirst ? v : TRed.Combine(Vector512<T>.Zero, v);
                        if (second != null)
                        {
                            Vector512<T> u = Vector512.Load(second + c);
                            acc = TRed.Combine(acc, u);
                            if (checkNaN)
                            {
                                nan |= NaNLanes(u);
                            }
                        }
                    }
                    else
                    {
                        acc = TRed.Combine(Vector512.Load(part + c), v);
                    }

                    if (checkNaN)
                    {
                        nan |= NaNLanes(v);
                    }

                    (last && divisorValue != 1 ? acc / scale : acc).Store(dst + c);
                }

                if (checkNaN && nan != Vector512<T>.Zero)
                {
                    return false;
                }

                if (second != null)
                {
                    t++;
                }
            }
        }

        return true;
    }

    /// <summary>How many taps along W ahead of a channels-last window the direct 512-bit row prefetches.</summary>
    private const int PrefetchTaps = 4;

    /// <summary>
    /// One channels-last output row, direct, on 512-bit vectors (C at least one vector; the last vector of a position
    /// overlaps the one before it and recomputes the same values): max with the one-instruction maximum
    /// (<see cref="NaNFreeMaxReducer{T}"/>), or sums divided by each output's divisor. The NaN-free maximum returns false
    /// when an input it reduced is NaN: the row is then to be computed again with the exact rule.
    /// </summary>
    private static bool LastRowWide<T, TRed>(in PoolGeometry g, T* xn, T* yo, AxisSpan ds, AxisSpan hs, AxisSpan* cols,
        long dStep, long hStep, long wStep, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        bool checkNaN = typeof(TRed) == typeof(NaNFreeMaxReducer<T>);
        int cn = g.C, wOut = g.W.Out, wide = Vector512<T>.Count, sh = g.H.Stride, sw = g.W.Stride;
        long hIn = g.H.In, wIn = g.W.In, rowPart = (long)ds.Part * hs.Part;

        // 2-D windows from memory: each output prefetches, into the second-level cache, the taps its window one output row
        // down brings in (calls alternated, 8 images: stem 3 x 3 stride 2 nhwc 2.01 -> 1.82 ms on 1 thread, 0.97 -> 0.88 ms
        // on 2; vgg 2 x 2 nhwc 3.4 -> 3.2 ms, 2.6 -> 2.3 ms). With the data in the caches it cost 15 % (adaptive 13 -> 7);
        // prefetching into the first-level cache, or the last tap a few taps ahead along the row, was slower.
        bool oneRow = ds.Count == 1 && hs.Count == 1;
        bool rowsAhead = !oneRow && FromMemory<T>(g);
        long rowDown = (long)sh * wIn * cn;
        for (int ow = 0; ow < wOut; ow++, yo += cn)
        {
            AxisSpan col = cols[ow];
            if (ds.Count == 0 || hs.Count == 0 || col.Count == 0)
            {
                new Span<T>(yo, cn).Fill(TRed.Empty);
                continue;
            }

            long divisorValue = divisor.Combine(rowPart, col.Part);
            var scale = Vector512.Create(T.CreateChecked(divisorValue));
            T* seed = xn + (((((long)ds.First * hIn) + hs.First) * wIn) + col.First) * cn;

            // One row of taps (1-D windows): the hardware prefetcher falls behind on the overlapping streams, so the last
            // tap a few taps ahead is prefetched. (Measured: it helps there and slows 2-D windows, whose rows it would miss.)
            T* ahead = seed + ((col.Count - 1 + PrefetchTaps) * wStep);
            for (int c = 0; ; c += wide)
            {
                c = Math.Min(c, cn - wide);
                if (oneRow)
                {
                    Sse.Prefetch0(ahead + c);
                }
                else if (rowsAhead)
                {
                    // The taps the same window one output row down brings in (its last stride rows, last stride columns).
                    T* down = seed + c + rowDown;
                    for (int jh = hs.Count - Math.Min(hs.Count, sh); jh < hs.Count; jh++)
                    {
                        for (int jw = col.Count - Math.Min(col.Count, sw); jw < col.Count; jw++)
                        {
                            Sse.Prefetch1(down + (jh * hStep) + (jw * wStep));
                        }
                    }
                }

                // Max seeds with the first tap, met again in the loop; sums start from zero. The NaN lanes are gathered per
                // vector of channels: an accumulator living across the whole row was kept in memory by the register
                // allocator without profile data, a store and a load on every tap (three times slower).
                Vector512<T> acc = TRed.SeedWithFirst ? Vector512.Load(seed + c) : Vector512<T>.Zero;
                var nan = Vector512<T>.Zero;
                T* dp = seed + c;
                for (int jd = 0; jd < ds.Count; jd++, dp += dStep)
                {
                    T* hp = dp;
                    for (int jh = 0; jh < hs.Count; jh++, hp += hStep)
                    {
                        T* wp = hp;
                        for (int jw = 0; jw < col.Count; jw++, wp += wStep)
                        {
                            Vector512<T> v = Vector512.Load(wp);
                            acc = TRed.Combine(acc, v);
                            if (checkNaN)
                            {
                                nan |= NaNLanes(v);
                            }
                        }
                    }
                }

                if (checkNaN && nan != Vector512<T>.Zero)
                {
                    return false;
                }

                (divisorValue == 1 ? acc : acc / scale).Store(yo + c);
                if (c + wide >= cn)
                {
                    break;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Channels-last: whether reducing the rows of a window first (once per output row, over W·C
    /// contiguous elements) and then sliding along the row costs less than visiting every tap per output,
    /// which is the case when windows overlap horizontally.
    /// </summary>
    private static bool SeparablePays(in PoolGeometry g)
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        if (wAxis.Out == 0)
        {
            return false;
        }

        // Kernel is the largest bin on adaptive axes. One output column per row (global pooling) streams
        // whole rows instead of striding across them channel block by channel block.
        double rows = (double)dAxis.Kernel * hAxis.Kernel;
        double direct = rows * wAxis.Kernel;
        double separable = (rows * wAxis.In / wAxis.Out) + wAxis.Kernel;
        bool narrow = Vector.IsHardwareAccelerated && g.C < Vector<float>.Count; // too few channels for the direct path's vectors
        // A scratch row that stays in the first-level cache costs about what its tap count says; a larger one
        // adds traffic, so the separable path must then save a quarter of the taps.
        double margin = (long)wAxis.In * g.C * sizeof(double) <= 32768 ? 1.0 : 0.75;
        return rows > 1 && (narrow || wAxis.Out == 1 || separable < margin * direct);
    }

    /// <summary>
    /// Channels-last, separable: the valid input rows of an output row are reduced into a scratch row of
    /// W·C elements (contiguous vectors), then each output reduces its horizontal taps of that row
    /// (lanes are channels).
    /// </summary>
    private static void LastSeparableRows<T, TRed, TFast>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
        where TFast : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var divisor = job.Divisor;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int cn = g.C;
        int width = checked(wAxis.In * cn);
        long inPlane = g.InputPlane;
        int wOut = wAxis.Out;
        int tables = ((wOut * sizeof(AxisSpan)) + ((dAxis.Out + hAxis.Out) * sizeof(AxisSpan)) + sizeof(T) - 1) / sizeof(T);
        int scratch = width + Vector<T>.Count + tables + 2; // slack: vectors of narrow rows may read past the row
        T[]? rented = scratch > 8192 ? ArrayPool<T>.Shared.Rent(scratch) : null;
        T* stack = stackalloc T[rented is null ? scratch : 0];
        try
        {
            fixed (T* heap = rented)
            {
                T* v = rented is null ? stack : heap;
                // Per call: every output column's taps and divisor part, and the D and H spans.
                var cols = job.Tables != null ? job.Tables : (AxisSpan*)(((nint)(v + width + Vector<T>.Count) + 7) & ~(nint)7);
                var dSpans = cols + wOut;
                var hSpans = dSpans + dAxis.Out;
                if (job.Tables == null)
                {
                    FillTables(g, divisor.Mode, cols);
                }

                var cursor = new RowCursor(g, r0);
                for (int r = r0; r < r1; r++, cursor.Next())
                {
                    T* xn = (T*)job.X + (cursor.Plane * inPlane * cn);
                    T* yo = (T*)job.Y + ((long)r * wOut * cn);
                    AxisSpan ds = dSpans[cursor.Od], hs = hSpans[cursor.Oh];
                    if (ds.Count == 0 || hs.Count == 0)
                    {
                        new Span<T>(yo, wOut * cn).Fill(TRed.Empty);
                        continue;
                    }

                    // Max: cheap maxima while the row's inputs prove NaN-free, else the exact rule; rows first either way,
                    // so zero maxima are settled in PyTorch's order afterwards.
                    if (typeof(TFast) != typeof(TRed) && !SeparableVertical<T, TFast>(g, xn, ds, hs, width, v, checkNaN: true))
                    {
                        SeparableHorizontal<T, TFast>(g, v, yo, cols, (long)ds.Part * hs.Part, divisor);
                    }
                    else
                    {
                        SeparableVertical<T, TRed>(g, xn, ds, hs, width, v, checkNaN: false);
                        SeparableHorizontal<T, TRed>(g, v, yo, cols, (long)ds.Part * hs.Part, divisor);
                    }

                    if (SignedZeros<T, TRed>())
                    {
                        SettleZeroMaxima<T, TRed>(g, xn, yo, cursor.Od, cursor.Oh, cn);
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Channels-last separable, vertical: <c>v[w·C + c]</c> = the reduction of the valid rows of <c>x[row][w][c]</c>,
    /// in one pass with the first three rows in registers. With <paramref name="checkNaN"/>, the same pass
    /// also reports whether any of those rows holds a NaN (then <paramref name="v"/> is to be recomputed).
    /// </summary>
    private static bool SeparableVertical<T, TRed>(in PoolGeometry g, T* xn, AxisSpan ds, AxisSpan hs, int width, T* v, bool checkNaN)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int n = ds.Count * hs.Count;
        T** rows = stackalloc T*[n];
        WindowRows(g, xn, ds, hs, width, rows);

        if (n == 1)
        {
            new ReadOnlySpan<T>(rows[0], width).CopyTo(new Span<T>(v, width));
            return checkNaN && ContainsNaN(rows[0], width);
        }

        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        T* r0 = rows[0], r1 = rows[1], r2 = n > 2 ? rows[2] : rows[1];
        int w = 0;
        var bad512 = Vector512<T>.Zero;
        for (; Vector512.IsHardwareAccelerated && w + Vector512<T>.Count <= width; w += Vector512<T>.Count)
        {
            // The same on 512-bit vectors.
            Vector512<T> a0 = Vector512.Load(r0 + w), a1 = Vector512.Load(r1 + w);
            Vector512<T> acc = TRed.Combine(a0, a1);
            if (checkNaN)
            {
                bad512 |= NaNLanes(a0) | NaNLanes(a1);
            }

            for (int k = 2; k < n; k++)
            {
                Vector512<T> ak = Vector512.Load(rows[k] + w);
                acc = TRed.Combine(acc, ak);
                if (checkNaN)
                {
                    bad512 |= NaNLanes(ak);
                }
            }

            acc.Store(v + w);
        }

        var bad = bad512 == Vector512<T>.Zero ? Vector<T>.Zero : Vector<T>.AllBitsSet;
        for (; lanes != 0 && w + lanes <= width; w += lanes)
        {
            Vector<T> a0 = Vector.Load(r0 + w), a1 = Vector.Load(r1 + w);
            Vector<T> acc = TRed.Combine(a0, a1);
            if (checkNaN)
            {
                bad |= NaNLanes(a0, a1);
            }

            if (n > 2)
            {
                Vector<T> a2 = Vector.Load(r2 + w);
                acc = TRed.Combine(acc, a2);
                for (int k = 3; k < n; k++)
                {
                    Vector<T> ak = Vector.Load(rows[k] + w);
                    acc = TRed.Combine(acc, ak);
                    if (checkNaN)
                    {
                        bad |= NaNLanes(a2, ak);
                    }
                }

                if (checkNaN)
                {
                    bad |= NaNLanes(a2, a2);
                }
            }

            acc.Store(v + w);
        }

        bool nan = bad != Vector<T>.Zero;
        for (; w < width; w++)
        {
            T acc = r0[w];
            nan |= checkNaN && T.IsNaN(acc);
            for (int k = 1; k < n; k++)
            {
                acc = TRed.Combine(acc, rows[k][w]);
                nan |= checkNaN && T.IsNaN(rows[k][w]);
            }

            v[w] = acc;
        }

        return nan;
    }

    /// <summary>Channels-last: the first element of each valid input row (D, then H) of one output row's windows, <paramref name="rowStride"/> elements a row.</summary>
    private static void WindowRows<T>(in PoolGeometry g, T* xn, AxisSpan ds, AxisSpan hs, long rowStride, T** rows)
        where T : unmanaged
    {
        for (int jd = 0, k = 0; jd < ds.Count; jd++)
        {
            long id = ds.First + ((long)jd * g.D.Dilation);
            for (int jh = 0; jh < hs.Count; jh++)
            {
                rows[k++] = xn + (((id * g.H.In) + hs.First + ((long)jh * g.H.Dilation)) * rowStride);
            }
        }
    }

    /// <summary>
    /// <c>y[o] = (v[o] ⊕ v[o + 1] ⊕ v[o + 2]) / divisor</c> for <paramref name="count"/> consecutive positions of C channels (C at
    /// least one 512-bit vector; the last vector overlaps the one before it), taps in order, positions o + 1 and o + 2 kept
    /// in registers for the next output.
    /// </summary>
    private static void Slide3<T, TRed>(T* v, T* y, int cn, int count, long divisorValue)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int wide = Vector512<T>.Count;
        var scale = Vector512.Create(T.CreateChecked(divisorValue));
        for (int c = 0; ; c += wide)
        {
            c = Math.Min(c, cn - wide);
            T* src = v + c, dst = y + c;
            Vector512<T> a = Vector512.Load(src), b = Vector512.Load(src + cn);
            for (int o = 0; o < count; o++, src += cn, dst += cn)
            {
                Vector512<T> next = Vector512.Load(src + (2 * cn));
                Vector512<T> acc = TRed.Combine(TRed.Combine(a, b), next);
                (divisorValue == 1 ? acc : acc / scale).Store(dst);
                a = b;
                b = next;
            }

            if (c + wide >= cn)
            {
                break;
            }
        }
    }

    /// <summary>Lanes where <paramref name="v"/> is NaN (float and double), on 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> NaNLanes<T>(Vector512<T> v)
        where T : unmanaged =>
        !Avx512F.IsSupported ? ~Vector512.Equals(v, v)
        : typeof(T) == typeof(float) ? Avx512F.CompareUnordered(v.AsSingle(), v.AsSingle()).As<float, T>()
        : Avx512F.CompareUnordered(v.AsDouble(), v.AsDouble()).As<double, T>();

    /// <summary>Lanes where <paramref name="a"/> or <paramref name="b"/> is NaN (none for integer types).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> NaNLanes<T>(Vector<T> a, Vector<T> b)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            return Vector<T>.Zero;
        }

        return Vector<T>.Count * sizeof(T) == 32 && Avx.IsSupported
            ? Unordered(a.AsVector256(), b.AsVector256()).AsVector()
            : ~Vector.Equals(a, a) | ~Vector.Equals(b, b);
    }

    /// <summary>Channels-last separable, horizontal: each output reduces its taps of the vertical row <paramref name="v"/>, lanes over channels.</summary>
    private static void SeparableHorizontal<T, TRed>(in PoolGeometry g, T* v, T* yo, AxisSpan* cols, long rowPart, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var wAxis = g.W;
        int cn = g.C, wOut = wAxis.Out;
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        long step = (long)wAxis.Dilation * cn;

        // One vector per position (plane blocks): the interior outputs, every tap valid and one divisor, in a tight loop.
        int fastBegin = cn == lanes ? wAxis.InteriorBegin : wOut, fastEnd = wAxis.InteriorEnd;

        // Three-tap windows at stride 1 over many channels: the interior outputs a channel vector at a time, sliding along
        // the row with the last two positions in registers, so each position of the scratch row is loaded once, not three times.
        int slideBegin = Vector512.IsHardwareAccelerated && cn >= Vector512<T>.Count && wAxis.Stride == 1 && wAxis.Dilation == 1
            && wAxis.Kernel == 3 && !wAxis.Adaptive ? wAxis.InteriorBegin : wOut;
        for (int ow = 0; ow < wOut; ow++, yo += cn)
        {
            if (ow == slideBegin && slideBegin < fastEnd)
            {
                Slide3<T, TRed>(v + ((long)cols[ow].First * cn), yo, cn, fastEnd - ow, divisor.Combine(rowPart, cols[ow].Part));
                yo += (long)(fastEnd - 1 - ow) * cn;
                ow = fastEnd - 1;
                continue;
            }

            if (ow == fastBegin && fastBegin < fastEnd)
            {
                int kw = cols[ow].Count;
                long interiorDivisor = divisor.Combine(rowPart, cols[ow].Part);
                var interiorScale = new Vector<T>(T.CreateChecked(interiorDivisor));
                long advance = (long)wAxis.Stride * cn;
                T* src = v + ((long)cols[ow].First * cn);
                for (; ow < fastEnd; ow++, yo += cn, src += advance)
                {
                    Vector<T> acc = Vector.Load(src);
                    for (int t = 1; t < kw; t++)
                    {
                        acc = TRed.Combine(acc, Vector.Load(src + (t * step)));
                    }

                    (interiorDivisor == 1 ? acc : acc / interiorScale).Store(yo);
                }

                if (ow >= wOut)
                {
                    break;
                }
            }

            AxisSpan col = cols[ow];
            if (col.Count == 0)
            {
                new Span<T>(yo, cn).Fill(TRed.Empty);
                continue;
            }

            long divisorValue = divisor.Combine(rowPart, col.Part);
            T* seed = v + ((long)col.First * cn);
            int c = 0;
            if (Vector512.IsHardwareAccelerated && cn >= Vector512<T>.Count)
            {
                // 512-bit vectors, the last one overlapping the one before it (recomputed from v: the same values).
                int wide = Vector512<T>.Count;
                var scale512 = Vector512.Create(T.CreateChecked(divisorValue));
                for (; ; c += wide)
                {
                    c = Math.Min(c, cn - wide);
                    Vector512<T> acc = Vector512.Load(seed + c);
                    for (int t = 1; t < col.Count; t++)
                    {
                        acc = TRed.Combine(acc, Vector512.Load(seed + c + (t * step)));
                    }

                    (divisorValue == 1 ? acc : acc / scale512).Store(yo + c);
                    if (c + wide >= cn)
                    {
                        break;
                    }
                }

                continue;
            }

            if (lanes != 0 && cn >= lanes)
            {
                var scale = new Vector<T>(T.CreateChecked(divisorValue));
                for (; c + lanes <= cn; c += lanes)
                {
                    Vector<T> acc = Vector.Load(seed + c);
                    for (int t = 1; t < col.Count; t++)
                    {
                        acc = TRed.Combine(acc, Vector.Load(seed + c + (t * step)));
                    }

                    (divisorValue == 1 ? acc : acc / scale).Store(yo + c);
                }
            }
            else if (lanes != 0 && ((long)ow * cn) + lanes <= (long)wOut * cn)
            {
                // Fewer channels than lanes: one vector per output whose spare lanes read the following positions
                // (within the scratch row and its slack) and write into the following outputs of this row, which are
                // computed after this one; the last outputs, where a vector would leave the row, are scalar.
                Vector<T> acc = Vector.Load(seed);
                for (int t = 1; t < col.Count; t++)
                {
                    acc = TRed.Combine(acc, Vector.Load(seed + (t * step)));
                }

                (divisorValue == 1 ? acc : acc / new Vector<T>(T.CreateChecked(divisorValue))).Store(yo);
                continue;
            }

            for (; c < cn; c++)
            {
                T acc = seed[c];
                for (int t = 1; t < col.Count; t++)
                {
                    acc = TRed.Combine(acc, seed[c + (t * step)]);
                }

                yo[c] = Finish(acc, divisorValue);
            }
        }
    }

    private static void LastMaxIndexRows<T, TI>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
        where TI : unmanaged, INumber<TI>
    {
        Debug.Assert(Vector<T>.Count == Vector<TI>.Count);
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        T* x = (T*)job.X, y = (T*)job.Y;
        long* ind = job.Indices;
        int cn = g.C;
        int lanes = Vector<T>.Count;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        long inPlane = g.InputPlane;
        int wOut = wAxis.Out;
        int tables = TableLength(g) * sizeof(AxisSpan);
        byte[]? rented = tables > 16384 ? ArrayPool<byte>.Shared.Rent(tables) : null;
        byte* stack = stackalloc byte[rented is null ? tables : 0];
        try
        {
            fixed (byte* heap = rented)
            {
                // Per call: every output column's valid taps, and the D and H spans (the divisor mode is irrelevant here).
                var cols = (AxisSpan*)(rented is null ? stack : heap);
                var dSpans = cols + wOut;
                var hSpans = dSpans + dAxis.Out;
                FillTables(g, DivisorMode.None, cols);
                long wStep = wAxis.Dilation, hStep = (long)hAxis.Dilation * wAxis.In, dStep = (long)dAxis.Dilation * hAxis.In * wAxis.In;
                bool fastRows = Vector512.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && cn >= Vector512<T>.Count;
                var cursor = new RowCursor(g, r0);
                for (int r = r0; r < r1; r++, cursor.Next())
                {
                    T* xn = x + (cursor.Plane * inPlane * cn);
                    long o = (long)r * wOut * cn;
                    AxisSpan ds = dSpans[cursor.Od], hs = hSpans[cursor.Oh];

                    // A plain greater-than while the row's inputs prove NaN-free; otherwise the row again with the NaN rule.
                    if (fastRows && LastMaxIndexRowNaNFree<T, TI>(g, xn, y + o, ind + o, ds, hs, cols, dStep, hStep, wStep))
                    {
                        continue;
                    }

                    for (int ow = 0; ow < wOut; ow++, o += cn)
                    {
                        AxisSpan ws = cols[ow];
                        int c = 0;
                        if (ds.Count != 0 && hs.Count != 0 && ws.Count != 0)
                        {
                            long seedPos = (((long)ds.First * hAxis.In) + hs.First) * wAxis.In + ws.First;
                            for (; c + lanes <= cn; c += lanes)
                            {
                                // best lane l: the max so far of channel c + l; at lane l: its plane-local index.
                                T* xc = xn + c;
                                Vector<T> best = Vector.Load(xc + (seedPos * cn));
                                var at = new Vector<TI>(TI.CreateTruncating(seedPos));
                                for (int jd = 0; jd < ds.Count; jd++)
                                {
                                    for (int jh = 0; jh < hs.Count; jh++)
                                    {
                                        long pos = seedPos + (jd * dStep) + (jh * hStep);
                                        for (int jw = 0; jw < ws.Count; jw++, pos += wStep)
                                        {
                                            Vector<T> v = Vector.Load(xc + (pos * cn));
                                            Vector<T> takes = MaxReducer<T>.Takes(best, v);
                                            best = Vector.ConditionalSelect(takes, v, best);
                                            at = Vector.ConditionalSelect(takes.As<T, TI>(), new Vector<TI>(TI.CreateTruncating(pos)), at);
                                        }
                                    }
                                }

                                best.Store(y + o + c);
                                StoreIndices(at, ind + o + c);
                            }
                        }

                        for (; c < cn; c++)
                        {
                            y[o + c] = MaxPosition(g, xn + c, cn, cursor.Od, cursor.Oh, ow, out ind[o + c]);
                        }
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// One channels-last output row of max with indices on 512-bit vectors, taking a tap when it is greater (C at least
    /// one vector; the last vector of a position overlaps the one before it). Returns false when an input it compared
    /// is NaN: the row is then to be computed again with the NaN rule.
    /// </summary>
    private static bool LastMaxIndexRowNaNFree<T, TI>(in PoolGeometry g, T* xn, T* y, long* ind, AxisSpan ds, AxisSpan hs, AxisSpan* cols,
        long dStep, long hStep, long wStep)
        where T : unmanaged, INumber<T>
        where TI : unmanaged, INumber<TI>
    {
        int cn = g.C, wOut = g.W.Out, wide = Vector512<T>.Count;
        long hIn = g.H.In, wIn = g.W.In;
        for (int ow = 0; ow < wOut; ow++, y += cn, ind += cn)
        {
            AxisSpan ws = cols[ow];
            if (ds.Count == 0 || hs.Count == 0 || ws.Count == 0)
            {
                return false; // empty windows: the exact loops write their -∞ and -1
            }

            long seedPos = (((long)ds.First * hIn) + hs.First) * wIn + ws.First;
            for (int c = 0; ; c += wide)
            {
                c = Math.Min(c, cn - wide);
                T* xc = xn + c;
                Vector512<T> best = Vector512.Load(xc + (seedPos * cn));
                var nan = NaNLanes(best); // per vector of channels, so that it stays in a register (see LastRowWide)
                var at = Vector512.Create(TI.CreateTruncating(seedPos));
                for (int jd = 0; jd < ds.Count; jd++)
                {
                    for (int jh = 0; jh < hs.Count; jh++)
                    {
                        long pos = seedPos + (jd * dStep) + (jh * hStep);
                        for (int jw = 0; jw < ws.Count; jw++, pos += wStep)
                        {
                            Vector512<T> v = Vector512.Load(xc + (pos * cn));
                            Vector512<T> takes = Vector512.GreaterThan(v, best);
                            nan |= NaNLanes(v);
                            best = Vector512.ConditionalSelect(takes, v, best);
                            at = Vector512.ConditionalSelect(takes.As<T, TI>(), Vector512.Create(TI.CreateTruncating(pos)), at);
                        }
                    }
                }

                if (nan != Vector512<T>.Zero)
                {
                    return false;
                }

                best.Store(y + c);
                StoreIndices(at, ind + c);
                if (c + wide >= cn)
                {
                    break;
                }
            }
        }

        return true;
    }

    /// <summary>Stores 512-bit index lanes as 64-bit indices: 32-bit lanes widened in two halves, 64-bit lanes as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreIndices<TI>(Vector512<TI> at, long* into)
        where TI : unmanaged, INumber<TI>
    {
        if (typeof(TI) == typeof(int))
        {
            var (low, high) = Vector512.Widen(at.As<TI, int>());
            low.Store(into);
            high.Store(into + Vector512<long>.Count);
        }
        else
        {
            at.As<TI, long>().Store(into);
        }
    }

    /// <summary>Stores index lanes as 64-bit indices: 32-bit lanes widened in two halves, 64-bit lanes as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreIndices<TI>(Vector<TI> at, long* into)
        where TI : unmanaged, INumber<TI>
    {
        if (typeof(TI) == typeof(int))
        {
            Vector.Widen(at.As<TI, int>(), out Vector<long> low, out Vector<long> high);
            low.Store(into);
            high.Store(into + Vector<long>.Count);
        }
        else if (typeof(TI) == typeof(long))
        {
            at.As<TI, long>().Store(into);
        }
        else
        {
            for (int l = 0; l < Vector<TI>.Count; l++)
            {
                into[l] = long.CreateTruncating(at[l]);
            }
        }
    }

    // ---------------------------------------------------------------- channels-first: separable rows

    private static void FirstRows<T, TRed>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int width = wAxis.In, wOut = wAxis.Out;
        int ib = wAxis.InteriorBegin, ie = wAxis.InteriorEnd;
        int maxRows = dAxis.Kernel * hAxis.Kernel;

        // Per call: the border columns with their taps and divisor parts, scratch rows, row pointers.
        int borders = wOut - (ie - ib);
        int spans = dAxis.Out + hAxis.Out;
        int scratch = (2 * width) + (borders * sizeof(AxisSpan) / sizeof(T)) + 1 + (maxRows * sizeof(nint) / sizeof(T)) + 1
            + (spans * sizeof(AxisSpan) / sizeof(T)) + 1;
        T[]? rented = scratch > 8192 ? ArrayPool<T>.Shared.Rent(scratch) : null;
        T* stack = stackalloc T[rented is null ? scratch : 0];
        try
        {
            fixed (T* heap = rented)
            {
                T* v = rented is null ? stack : heap;
                T* h = v + width;
                var border = (AxisSpan*)(h + width);
                var rows = (T**)(border + borders);
                var dSpans = (AxisSpan*)(rows + maxRows);
                var hSpans = dSpans + dAxis.Out;
                AxisSpan.Fill(dAxis, job.Divisor.Mode, dSpans);
                AxisSpan.Fill(hAxis, job.Divisor.Mode, hSpans);
                int nb = 0;
                for (int ow = 0; ow < wOut; ow++)
                {
                    if (ow >= ib && ow < ie)
                    {
                        continue;
                    }

                    border[nb++] = AxisSpan.Of(wAxis, job.Divisor.Mode, ow);
                }

                // One window spanning whole rows (global and adaptive-to-1 pooling): the rows it covers are contiguous.
                bool wholeRows = wOut == 1 && hAxis.Dilation == 1 && wAxis.Dilation == 1 && wAxis.Start(0) + wAxis.FirstValid(0) == 0 && wAxis.ValidCount(0) == width;
                var plan = new RowPlan<T>
                {
                    V = v, H = h, Border = border, Borders = nb, Rows = rows, DSpans = dSpans, HSpans = hSpans,
                    WholeRows = wholeRows,
                    WholeRowPart = !wholeRows ? 0 : job.Divisor.Mode == DivisorMode.PaddedCount ? wAxis.PaddedCount(0) : wAxis.ValidCount(0),
                    InteriorBegin = ib, InteriorEnd = ie,
                };
                var cursor = new RowCursor(g, r0);
                for (int r = r0; r < r1; r++, cursor.Next())
                {
                    T* xp = (T*)job.X + ((long)cursor.Plane * g.InputPlane);
                    T* yr = (T*)job.Y + ((long)r * wOut);
                    SeparableRow<T, TRed>(g, xp, yr, cursor.Od, cursor.Oh, job.Divisor, plan);
                    if (SignedZeros<T, TRed>())
                    {
                        SettleZeroMaxima<T, TRed>(g, xp, yr, cursor.Od, cursor.Oh, 1); // columns first
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether max pooling over <typeparamref name="T"/> has zeros of two signs whose order decides the result.</summary>
    private static bool SignedZeros<T, TRed>()
        where TRed : IReducer<T>
        where T : unmanaged, INumber<T> =>
        (TRed.IsMax || typeof(TRed) == typeof(NaNFreeMaxReducer<T>)) && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>
    /// Settles the zero maxima of one output row that was reduced columns (or rows) first: a window whose maximum is zero
    /// may hold +0 and -0, which such passes meet out of PyTorch's row-major order, so each output equal to zero is
    /// recomputed tap by tap in that order (D, H, W, the earlier taps as the accumulator) and takes the sign of the first
    /// zero. <paramref name="xn"/> is what the row reads: a channels-first plane (<paramref name="cn"/> = 1) or a
    /// channels-last image; <paramref name="yo"/> holds the row's W.Out positions of <paramref name="cn"/> channels.
    /// A row without a zero is only scanned for its least magnitude (<see cref="AnyZero"/>).
    /// </summary>
    private static void SettleZeroMaxima<T, TRed>(in PoolGeometry g, T* xn, T* yo, int od, int oh, int cn)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int len = g.W.Out * cn, lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0;
        if (!AnyZero(yo, len))
        {
            return;
        }

        for (int i = 0; i < len;)
        {
            int end = Math.Min(len, i + Math.Max(lanes, 1));
            if (lanes != 0 && end - i == lanes && !Vector.EqualsAny(Vector.Load(yo + i), Vector<T>.Zero))
            {
                i = end;
                continue;
            }

            for (; i < end; i++)
            {
                if (yo[i] == T.Zero)
                {
                    yo[i] = FirstMaximum(g, xn + (i % cn), cn, od, oh, i / cn, TRed.Empty, out _);
                }
            }
        }
    }

    /// <summary>Whether <paramref name="length"/> elements from <paramref name="p"/> (float or double) hold a zero of either sign.</summary>
    private static bool AnyZero<T>(T* p, long length)
        where T : unmanaged, INumber<T>
    {
        long i = 0;
        int wide = Vector512<T>.Count;
        if (Avx512F.IsSupported && length >= wide)
        {
            // The least magnitude over the run, an and and a minimum per vector and no branch: the new value goes first, so
            // a NaN (whose magnitude is NaN) leaves the running least as it was.
            var least = Vector512.Create(T.CreateSaturating(double.PositiveInfinity));
            for (; i + wide <= length; i += wide)
            {
                least = LeastFirst(Vector512.Abs(Vector512.Load(p + i)), least);
            }

            least = LeastFirst(Vector512.Abs(Vector512.Load(p + length - wide)), least);
            return Vector512.EqualsAny(least, Vector512<T>.Zero);
        }

        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<T>.Count <= length; i += Vector<T>.Count)
            {
                if (Vector.EqualsAny(Vector.Load(p + i), Vector<T>.Zero))
                {
                    return true;
                }
            }
        }

        for (; i < length; i++)
        {
            if (p[i] == T.Zero)
            {
                return true;
            }
        }

        return false;

        // vminps / vminpd: the second operand where either is NaN.
        static Vector512<T> LeastFirst(Vector512<T> x, Vector512<T> least) => typeof(T) == typeof(float)
            ? Avx512F.Min(x.AsSingle(), least.AsSingle()).As<float, T>()
            : Avx512F.Min(x.AsDouble(), least.AsDouble()).As<double, T>();
    }

    /// <summary>What every row of one call shares: scratch rows, the border columns, the interior range.</summary>
    private struct RowPlan<T>
        where T : unmanaged
    {
        public T* V;
        public T* H;
        public AxisSpan* Border;
        public int Borders;
        public T** Rows;
        public AxisSpan* DSpans;
        public AxisSpan* HSpans;
        public bool WholeRows;
        public long WholeRowPart;
        public int InteriorBegin;
        public int InteriorEnd;
    }

    /// <summary>Walks work rows (plane, od, oh) in order without dividing per row.</summary>
    private struct RowCursor
    {
        private readonly int _dOut, _hOut;

        public RowCursor(in PoolGeometry g, int row)
        {
            (_dOut, _hOut) = (g.D.Out, g.H.Out);
            int perPlane = _dOut * _hOut;
            Plane = perPlane == 0 ? 0 : row / perPlane;
            int rem = perPlane == 0 ? 0 : row % perPlane;
            Od = _hOut == 0 ? 0 : rem / _hOut;
            Oh = _hOut == 0 ? 0 : rem % _hOut;
        }

        public int Plane { get; private set; }

        public int Od { get; private set; }

        public int Oh { get; private set; }

        public void Next()
        {
            if (++Oh < _hOut)
            {
                return;
            }

            Oh = 0;
            if (++Od < _dOut)
            {
                return;
            }

            Od = 0;
            Plane++;
        }
    }

    /// <summary>
    /// One output row (od, oh) of one channels-first plane. Vertical: each vector of columns is reduced
    /// over the row's valid input rows in registers and stored once (the last vector overlaps the one
    /// before it rather than leaving a scalar tail; with one valid row the input row itself is used).
    /// Horizontal: border columns from the precomputed list; interior columns with contiguous vectors at
    /// stride 1, or a stride-1 pass into a second scratch row and every s-th result at larger strides.
    /// </summary>
    private static void SeparableRow<T, TRed>(in PoolGeometry g, T* xp, T* yr, int od, int oh, Divisor divisor, in RowPlan<T> plan)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        AxisSpan ds = plan.DSpans[od], hs = plan.HSpans[oh];
        int width = wAxis.In;
        if (ds.Count == 0 || hs.Count == 0)
        {
            new Span<T>(yr, wAxis.Out).Fill(TRed.Empty);
            return;
        }

        long rowPart = (long)ds.Part * hs.Part;
        if (plan.WholeRows)
        {
            // One window spanning whole rows (global and adaptive-to-1 pooling): its rows of each depth slice are contiguous.
            T total = default;
            for (int jd = 0; jd < ds.Count; jd++)
            {
                long id = ds.First + ((long)jd * dAxis.Dilation);
                T part = ReduceContiguous<T, TRed>(xp + (((id * hAxis.In) + hs.First) * width), hs.Count * width);
                total = jd == 0 ? part : TRed.Combine(total, part);
            }

            yr[0] = Finish(total, divisor.Combine(rowPart, plan.WholeRowPart));
            return;
        }

        int n = 0;
        for (int jd = 0; jd < ds.Count; jd++)
        {
            long id = ds.First + ((long)jd * dAxis.Dilation);
            for (int jh = 0; jh < hs.Count; jh++)
            {
                plan.Rows[n++] = xp + (((id * hAxis.In) + hs.First + ((long)jh * hAxis.Dilation)) * width);
            }
        }

        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        T* v = plan.V;
        if (n == 1)
        {
            v = plan.Rows[0];
        }
        else if (lanes != 0 && width >= lanes)
        {
            T* r0 = plan.Rows[0], r1 = plan.Rows[1], r2 = n > 2 ? plan.Rows[2] : r1;
            for (int w = 0; ; w += lanes)
            {
                if (w + lanes > width)
                {
                    w = width - lanes; // overlapping last vector: recomputed from the rows, so sums stay exact
                }

                // acc lane l: column w + l reduced over the valid rows (the first three rows held in registers).
                Vector<T> acc = TRed.Combine(Vector.Load(r0 + w), Vector.Load(r1 + w));
                if (n > 2)
                {
                    acc = TRed.Combine(acc, Vector.Load(r2 + w));
                    for (int j = 3; j < n; j++)
                    {
                        acc = TRed.Combine(acc, Vector.Load(plan.Rows[j] + w));
                    }
                }

                acc.Store(v + w);
                if (w + lanes >= width)
                {
                    break;
                }
            }
        }
        else
        {
            for (int w = 0; w < width; w++)
            {
                T acc = plan.Rows[0][w];
                for (int j = 1; j < n; j++)
                {
                    acc = TRed.Combine(acc, plan.Rows[j][w]);
                }

                v[w] = acc;
            }
        }

        for (int b = 0; b < plan.Borders; b++)
        {
            ref readonly AxisSpan col = ref plan.Border[b];
            if (col.Count == 0)
            {
                yr[col.Out] = TRed.Empty;
                continue;
            }

            T acc = v[col.First];
            for (int t = 1; t < col.Count; t++)
            {
                acc = TRed.Combine(acc, v[col.First + (t * wAxis.Dilation)]);
            }

            yr[col.Out] = Finish(acc, divisor.Combine(rowPart, col.Part));
        }

        int ib = plan.InteriorBegin, ie = plan.InteriorEnd;
        if (ie <= ib)
        {
            return;
        }

        // Interior: every tap valid, one divisor for all.
        int s = wAxis.Stride, kw = wAxis.Kernel, dw = wAxis.Dilation;
        long divisorValue = divisor.Combine(rowPart, kw);
        if (s == 2 && dw == 1 && sizeof(T) == 4 && Avx512F.IsSupported)
        {
            ib = Stride2Wide<T, TRed>(v, yr, ib, ie, kw, wAxis.PadBegin, width, divisorValue);
            if (ie <= ib)
            {
                return;
            }
        }

        var scale = new Vector<T>(T.CreateChecked(divisorValue));
        T* start = v + ((long)ib * s) - wAxis.PadBegin;
        int count = s == 1 ? ie - ib : ((ie - 1 - ib) * s) + 1;
        T* into = s == 1 ? yr + ib : plan.H;
        if (lanes != 0 && count >= lanes)
        {
            for (int t = 0; ; t += lanes)
            {
                if (t + lanes > count)
                {
                    t = count - lanes;
                }

                // lanes: consecutive window starts t .. t + lanes - 1, whose taps are contiguous in v.
                Vector<T> acc = Vector.Load(start + t);
                for (int jw = 1; jw < kw; jw++)
                {
                    acc = TRed.Combine(acc, Vector.Load(start + t + ((long)jw * dw)));
                }

                (s == 1 && divisorValue != 1 ? acc / scale : acc).Store(into + t);
                if (t + lanes >= count)
                {
                    break;
                }
            }
        }
        else
        {
            for (int t = 0; t < count; t++)
            {
                T acc = start[t];
                for (int jw = 1; jw < kw; jw++)
                {
                    acc = TRed.Combine(acc, start[t + ((long)jw * dw)]);
                }

                into[t] = s == 1 ? Finish(acc, divisorValue) : acc;
            }
        }

        if (s != 1)
        {
            int ow = ib;
            if (s == 2 && sizeof(T) == 4 && lanes != 0)
            {
                // Every other element of H: a pair of 4-byte elements read as one 8-byte lane, narrowed to its low half (the even one).
                for (; ow + lanes <= ie; ow += lanes)
                {
                    T* pair = plan.H + ((long)(ow - ib) * 2);
                    Vector<T> even = Vector.Narrow(Vector.Load(pair).As<T, ulong>(), Vector.Load(pair + lanes).As<T, ulong>()).As<uint, T>();
                    (divisorValue == 1 ? even : even / scale).Store(yr + ow);
                }
            }

            for (; ow < ie; ow++)
            {
                yr[ow] = Finish(plan.H[(long)(ow - ib) * s], divisorValue);
            }
        }
    }

    /// <summary>
    /// Interior outputs from <paramref name="ib"/> on at stride 2 (4-byte elements, no dilation), sixteen at a
    /// time: output ow reduces <c>v[2·ow - pad + j]</c> for j &lt; kw in tap order, and taps j and j + 1 of
    /// sixteen outputs are the even and the odd elements of one pair of 512-bit loads. Stops where the loads
    /// of a block would leave the row (they end one element after its last tap) and returns the first output left.
    /// </summary>
    private static int Stride2Wide<T, TRed>(T* v, T* yr, int ib, int ie, int kw, int pad, int width, long divisorValue)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odds = evens + Vector512<int>.One;
        var scale = Vector512.Create(T.CreateChecked(divisorValue));
        int ow = ib;
        for (; ow + 16 <= ie && (2L * (ow + 15)) - pad + kw < width; ow += 16)
        {
            float* at = (float*)(v + (2L * ow) - pad);
            Vector512<float> lo = Vector512.Load(at), hi = Vector512.Load(at + 16);
            Vector512<T> acc = Avx512F.PermuteVar16x32x2(lo, evens, hi).As<float, T>();
            if (kw > 1)
            {
                acc = TRed.Combine(acc, Avx512F.PermuteVar16x32x2(lo, odds, hi).As<float, T>());
            }

            for (int j = 2; j < kw; j += 2)
            {
                lo = Vector512.Load(at + j);
                hi = Vector512.Load(at + j + 16);
                acc = TRed.Combine(acc, Avx512F.PermuteVar16x32x2(lo, evens, hi).As<float, T>());
                if (j + 1 < kw)
                {
                    acc = TRed.Combine(acc, Avx512F.PermuteVar16x32x2(lo, odds, hi).As<float, T>());
                }
            }

            (divisorValue == 1 ? acc : acc / scale).Store(yr + ow);
        }

        return ow;
    }

    /// <summary>
    /// Reduces <paramref name="length"/> (at least 1) contiguous elements: four interleaved vector
    /// accumulators, then single vectors, then the lanes pairwise as a tree, then the scalar tail.
    /// </summary>
    private static T ReduceContiguous<T, TRed>(T* p, int length)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        if (lanes == 0 || length < lanes)
        {
            T scalar = p[0];
            for (int k = 1; k < length; k++)
            {
                scalar = TRed.Combine(scalar, p[k]);
            }

            return scalar;
        }

        // a0..a3 lane l: the reduction of four interleaved streams of vectors.
        Vector<T> a0 = Vector.Load(p);
        int i = lanes;
        if (length >= 4 * lanes)
        {
            Vector<T> a1 = Vector.Load(p + lanes), a2 = Vector.Load(p + (2 * lanes)), a3 = Vector.Load(p + (3 * lanes));
            for (i = 4 * lanes; i + (4 * lanes) <= length; i += 4 * lanes)
            {
                a0 = TRed.Combine(a0, Vector.Load(p + i));
                a1 = TRed.Combine(a1, Vector.Load(p + i + lanes));
                a2 = TRed.Combine(a2, Vector.Load(p + i + (2 * lanes)));
                a3 = TRed.Combine(a3, Vector.Load(p + i + (3 * lanes)));
            }

            a0 = TRed.Combine(TRed.Combine(a0, a1), TRed.Combine(a2, a3));
        }

        for (; i + lanes <= length; i += lanes)
        {
            a0 = TRed.Combine(a0, Vector.Load(p + i));
        }

        T* lane = stackalloc T[lanes];
        a0.Store(lane);
        for (int width = lanes / 2; width >= 1; width /= 2)
        {
            for (int k = 0; k < width; k++)
            {
                lane[k] = TRed.Combine(lane[k], lane[k + width]);
            }
        }

        T acc = lane[0];
        for (; i < length; i++)
        {
            acc = TRed.Combine(acc, p[i]);
        }

        return acc;
    }

    private static void FirstMaxIndexRows<T, TI>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
        where TI : unmanaged, INumber<TI>
    {
        Debug.Assert(Vector<T>.Count == Vector<TI>.Count);
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        if (wAxis.Stride != 1)
        {
            FirstMaxIndexSeparable<T, TI>(g, (T*)job.X, (T*)job.Y, job.Indices, r0, r1);
            return;
        }

        T* x = (T*)job.X, y = (T*)job.Y;
        long* ind = job.Indices;
        int lanes = Vector<T>.Count;
        int ib = wAxis.InteriorBegin;
        int ie = ib + ((wAxis.InteriorEnd - ib) / lanes * lanes);
        int kw = wAxis.Kernel, dw = wAxis.Dilation, pw = wAxis.PadBegin;
        Vector<TI> iota = SimdLoad.Iota<TI>(1);
        TI* lane = stackalloc TI[lanes];
        var cursor = new RowCursor(g, r0);
        for (int r = r0; r < r1; r++, cursor.Next())
        {
            int plane = cursor.Plane, od = cursor.Od, oh = cursor.Oh;
            T* xp = x + ((long)plane * g.InputPlane);
            long o = (long)r * wAxis.Out;
            int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
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
                long seedPos = seedRow + ow0 - pw;
                Vector<T> best = Vector.Load(xp + seedPos);
                Vector<TI> at = new Vector<TI>(TI.CreateTruncating(seedPos)) + iota;
                for (int jd = fd; jd < ed; jd++)
                {
                    long id = sd + ((long)jd * dAxis.Dilation);
                    for (int jh = fh; jh < eh; jh++)
                    {
                        long rowPos = (((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * wAxis.In) + ow0 - pw;
                        for (int jw = 0; jw < kw; jw++)
                        {
                            long pos = rowPos + ((long)jw * dw);
                            Vector<T> v = Vector.Load(xp + pos);
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

    /// <summary>Lanes where <paramref name="a"/> or <paramref name="b"/> is NaN (float and double only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Unordered<T>(Vector256<T> a, Vector256<T> b)
        where T : unmanaged => typeof(T) == typeof(float)
            ? Avx.CompareUnordered(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx.CompareUnordered(a.AsDouble(), b.AsDouble()).As<double, T>();

    /// <summary>True when any of the <paramref name="length"/> elements is NaN (always false for integer types).</summary>
    private static bool ContainsNaN<T>(T* p, int length)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            return false;
        }

        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        int i = 0;
        if (lanes != 0)
        {
            var any = Vector<T>.Zero;
            if (Vector<T>.Count * sizeof(T) == 32 && Avx.IsSupported)
            {
                // An unordered compare of two vectors flags a NaN in either: four vectors per two compares.
                var any256 = Vector256<T>.Zero;
                for (; i + (4 * lanes) <= length; i += 4 * lanes)
                {
                    any256 |= Unordered(Vector256.Load(p + i), Vector256.Load(p + i + lanes))
                        | Unordered(Vector256.Load(p + i + (2 * lanes)), Vector256.Load(p + i + (3 * lanes)));
                }

                any = any256.AsVector();
            }

            for (; i + lanes <= length; i += lanes)
            {
                Vector<T> v = Vector.Load(p + i);
                any |= ~Vector.Equals(v, v);
            }

            if (any != Vector<T>.Zero)
            {
                return true;
            }
        }

        for (; i < length; i++)
        {
            if (T.IsNaN(p[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Channels-first max with indices at stride &gt; 1, separable. Vertical (lanes are columns): per column,
    /// the first row holding the column's max, or the last NaN, with that row's plane offset. Horizontal
    /// (per output): a flat index <c>rowOffset + column</c> grows with D, H, W scan order, so the window's
    /// answer is the NaN candidate with the largest index if any, else the maximum candidate with the smallest.
    /// </summary>
    private static void FirstMaxIndexSeparable<T, TI>(in PoolGeometry g, T* x, T* y, long* ind, int r0, int r1)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
        where TI : unmanaged, INumber<TI>
    {
        int width = g.W.In, wOut = g.W.Out;
        T[]? rentedV = width > 2048 ? ArrayPool<T>.Shared.Rent(width) : null;
        TI[]? rentedI = width > 2048 ? ArrayPool<TI>.Shared.Rent(width) : null;
        AxisSpan[]? rentedC = wOut > 1024 ? ArrayPool<AxisSpan>.Shared.Rent(wOut) : null;
        T* stackV = stackalloc T[rentedV is null ? width : 0];
        TI* stackI = stackalloc TI[rentedI is null ? width : 0];
        AxisSpan* stackC = stackalloc AxisSpan[rentedC is null ? wOut : 0];
        try
        {
            fixed (T* heapV = rentedV)
            fixed (TI* heapI = rentedI)
            fixed (AxisSpan* heapC = rentedC)
            {
                T* v = rentedV is null ? stackV : heapV;
                TI* vi = rentedI is null ? stackI : heapI;
                AxisSpan* cols = rentedC is null ? stackC : heapC;
                var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
                AxisSpan.Fill(wAxis, DivisorMode.None, cols);

                int lanes = Vector<T>.Count;
                var cursor = new RowCursor(g, r0);
                for (int r = r0; r < r1; r++, cursor.Next())
                {
                    int plane = cursor.Plane, od = cursor.Od, oh = cursor.Oh;
                    T* xp = x + ((long)plane * g.InputPlane);
                    T* yr = y + ((long)r * wAxis.Out);
                    long* ir = ind + ((long)r * wAxis.Out);
                    int sd = dAxis.Start(od), fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od);
                    int sh = hAxis.Start(oh), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
                    if (fd >= ed || fh >= eh)
                    {
                        new Span<T>(yr, wAxis.Out).Fill(MaxReducer<T>.Empty);
                        new Span<long>(ir, wAxis.Out).Fill(-1);
                        continue;
                    }

                    bool first = true;
                    for (int jd = fd; jd < ed; jd++)
                    {
                        long id = sd + ((long)jd * dAxis.Dilation);
                        for (int jh = fh; jh < eh; jh++)
                        {
                            long rowOffset = ((id * hAxis.In) + sh + ((long)jh * hAxis.Dilation)) * width;
                            T* row = xp + rowOffset;
                            var rowVector = new Vector<TI>(TI.CreateTruncating(rowOffset));
                            int w = 0;
                            if (first)
                            {
                                new ReadOnlySpan<T>(row, width).CopyTo(new Span<T>(v, width));
                                new Span<TI>(vi, width).Fill(TI.CreateTruncating(rowOffset));
                                first = false;
                                continue;
                            }

                            for (; lanes != 0 && w + lanes <= width; w += lanes)
                            {
                                // lane l: column w + l; takes where the new row holds a greater value or a NaN.
                                Vector<T> best = Vector.Load(v + w), cand = Vector.Load(row + w);
                                Vector<T> takes = MaxReducer<T>.Takes(best, cand);
                                Vector.ConditionalSelect(takes, cand, best).Store(v + w);
                                Vector.ConditionalSelect(takes.As<T, TI>(), rowVector, Vector.Load(vi + w)).Store(vi + w);
                            }

                            for (; w < width; w++)
                            {
                                T c = row[w];
                                if (c > v[w] || T.IsNaN(c))
                                {
                                    v[w] = c;
                                    vi[w] = TI.CreateTruncating(rowOffset);
                                }
                            }
                        }
                    }

                    // Without a NaN in the row the choice is the first maximum in scan order, made without branches.
                    int dw = wAxis.Dilation;
                    bool clean = !ContainsNaN(v, width);
                    for (int ow = 0; ow < wOut; ow++)
                    {
                        AxisSpan column = cols[ow];
                        if (column.Count == 0)
                        {
                            yr[ow] = MaxReducer<T>.Empty;
                            ir[ow] = -1;
                            continue;
                        }

                        int col = column.First;
                        T best = v[col];
                        long at = long.CreateTruncating(vi[col]) + col;
                        for (int t = 1; t < column.Count; t++)
                        {
                            col = column.First + (t * dw);
                            T c = v[col];
                            long ci = long.CreateTruncating(vi[col]) + col;
                            bool take = clean
                                ? (c > best) | ((c == best) & (ci < at))
                                : T.IsNaN(c) ? !T.IsNaN(best) || ci > at : !T.IsNaN(best) && (c > best || (c == best && ci < at));
                            long mask = -(long)Unsafe.As<bool, byte>(ref take);
                            at ^= (at ^ ci) & mask;
                            best = clean ? MaxReducer<T>.Combine(best, c) : take ? c : best;
                        }

                        yr[ow] = xp[at];
                        ir[ow] = at;
                    }
                }
            }
        }
        finally
        {
            if (rentedV is not null)
            {
                ArrayPool<T>.Shared.Return(rentedV);
            }

            if (rentedI is not null)
            {
                ArrayPool<TI>.Shared.Return(rentedI);
            }

            if (rentedC is not null)
            {
                ArrayPool<AxisSpan>.Shared.Return(rentedC);
            }
        }
    }
}
