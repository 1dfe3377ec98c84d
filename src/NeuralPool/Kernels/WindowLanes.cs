using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Full windows of one block, gathered tap-major with one lane per window, for an <see cref="IWindowMath{T}"/>
/// to reduce with vectors across windows. The windows come in segments, runs of neighbours in one output row.
/// </summary>
internal unsafe struct LaneBlock<T>
    where T : unmanaged
{
    /// <summary>Taps per window: the kernel volume (every tap of a full window lies inside the input).</summary>
    public int Taps;

    /// <summary>Windows in the block.</summary>
    public int Count;

    /// <summary><see cref="Count"/> rounded up to a multiple of <c>Vector&lt;T&gt;.Count</c>: the length of every row.</summary>
    public int Width;

    /// <summary>
    /// <see cref="Taps"/> rows of <see cref="Width"/>: tap t (D, H, W scan order) of window j at <c>[t·Width + j]</c>.
    /// The spare lanes from <see cref="Count"/> on repeat window 0, so whole vectors can be reduced.
    /// </summary>
    public T* Values;

    /// <summary>Backward only: rows shaped like <see cref="Values"/> that receive each tap's gradient; the driver adds lanes below <see cref="Count"/> into the input gradient.</summary>
    public T* Grad;

    /// <summary>Rows of <see cref="Width"/> for the reducer's own use (as many as <see cref="IWindowMath{T}.ScratchRows"/> asked for).</summary>
    public T* Scratch;

    /// <summary>Number of <see cref="Scratch"/> rows.</summary>
    public int ScratchRowCount;

    /// <summary>The windows, segment by segment, in lane order.</summary>
    public Segment* Segments;

    /// <summary>Number of <see cref="Segments"/>.</summary>
    public int SegmentCount;

    /// <summary>Input distance between tap 0 of neighbouring windows of a segment.</summary>
    public long Step;

    /// <summary>Output distance between neighbouring windows of a segment.</summary>
    public long OutputStep;

    /// <summary>Input offset of each tap from tap 0, the same for every window.</summary>
    public long* Offsets;

    /// <summary>The work unit the block belongs to (see <see cref="WindowLanes.Units"/>).</summary>
    public int Unit;

    /// <summary>Scratch row <paramref name="index"/> (a per-tap table of <see cref="Taps"/> rows starting there is <c>Taps · Width</c> long).</summary>
    public readonly T* ScratchRow(int index)
    {
        Debug.Assert(index >= 0 && index < ScratchRowCount);
        return Scratch + ((long)index * Width);
    }
}

/// <summary>Windows [Lane, Lane + Count) of a block: neighbours in one output row of one plane.</summary>
internal struct Segment
{
    /// <summary>Lane of the first window, and number of windows.</summary>
    public int Lane, Count;

    /// <summary>Channel of the plane.</summary>
    public int Channel;

    /// <summary>The plane, n·C + c.</summary>
    public long Plane;

    /// <summary>Input index (physical) of tap 0 of the first window.</summary>
    public long Input;

    /// <summary>Output index (physical) of the first window.</summary>
    public long Output;
}

/// <summary>One window that is not full (padding, ceil-mode overhang or dilation gaps outside the input): its valid taps.</summary>
internal unsafe struct OneWindow
{
    /// <summary>Output index (physical).</summary>
    public long Output;

    /// <summary>Channel.</summary>
    public int Channel;

    /// <summary>The plane, n·C + c.</summary>
    public long Plane;

    /// <summary>Output position on the D, H and W axes.</summary>
    public int Od, Oh, Ow;

    /// <summary>Number of valid taps.</summary>
    public int Count;

    /// <summary>Input index (physical) of each valid tap, in D, H, W scan order.</summary>
    public long* Taps;

    /// <summary>Kernel position (0 to kernel volume − 1, D, H, W order) of each valid tap.</summary>
    public int* Kernel;

    /// <summary>The work unit the window belongs to.</summary>
    public int Unit;

    /// <summary>Scratch for the reducer: at least <see cref="IWindowMath{T}.ScratchRows"/> times the vector width elements of the value type.</summary>
    public void* Scratch;
}

/// <summary>
/// The math of an operator that reduces each window on its own (SoftPool, detail-preserving, gated, mixed, stochastic
/// and GeM pooling): once vectorized over blocks of full windows, once for a single window given by its valid taps.
/// Both see the same windows in the same tap order. The forward writes outputs itself; the backward writes the
/// gradient of a block into <see cref="LaneBlock{T}.Grad"/> (the driver adds it to the input gradient) and adds the
/// gradient of a single window into the input gradient itself.
/// </summary>
internal interface IWindowMath<T>
    where T : unmanaged
{
    /// <summary>Rows of <see cref="LaneBlock{T}.Width"/> the block reducer needs as scratch, for windows of <paramref name="taps"/> taps.</summary>
    static abstract int ScratchRows(int taps);

    /// <summary>Whether the driver runs a backward pass (allocates and adds <see cref="LaneBlock{T}.Grad"/>).</summary>
    bool Backward { get; }

    /// <summary>Reduces a block of full windows.</summary>
    void Block(in LaneBlock<T> block);

    /// <summary>Reduces one window that is not full.</summary>
    void Window(in OneWindow window);
}

/// <summary>
/// The math of an operator with one result per window that depends on the window's taps alone (SoftPool, the
/// evaluation form of stochastic pooling), run by <see cref="ResultPerWindow{T, TResult}"/>.
/// </summary>
internal unsafe interface IWindowResult<T>
    where T : unmanaged
{
    /// <summary>
    /// Windows j to j + <c>Vector&lt;T&gt;.Count</c> − 1 of a block, one per lane: returns their results; backward, also
    /// writes each tap's gradient for the windows' output gradients <paramref name="gradOutput"/> into <see cref="LaneBlock{T}.Grad"/>.
    /// </summary>
    static abstract Vector<T> Lanes(in LaneBlock<T> b, int j, Vector<T> gradOutput, bool backward);

    /// <summary>
    /// One window, given by its valid taps in <paramref name="x"/>: returns its result; backward, also adds each tap's
    /// gradient for the output gradient <paramref name="gradOutput"/> into <paramref name="gradInput"/>.
    /// </summary>
    static abstract T Window(T* x, in OneWindow w, T gradOutput, T* gradInput, bool backward);
}

/// <summary>
/// The <see cref="IWindowMath{T}"/> of an <see cref="IWindowResult{T}"/>: one scratch row holds a block's results
/// (forward, then stored to <see cref="Y"/>) or its output gradients (backward, loaded from <see cref="GradOutput"/>).
/// </summary>
internal unsafe struct ResultPerWindow<T, TResult> : IWindowMath<T>
    where T : unmanaged, INumber<T>
    where TResult : struct, IWindowResult<T>
{
    public T* X, Y, GradOutput, GradInput;

    public bool Backward { get; init; }

    public static int ScratchRows(int taps) => 1;

    public readonly void Block(in LaneBlock<T> b)
    {
        T* lane = b.ScratchRow(0);
        if (Backward)
        {
            WindowLanes.LoadLanes(b, GradOutput, lane);
        }

        for (int j = 0; j < b.Width; j += Vector<T>.Count)
        {
            var y = TResult.Lanes(b, j, Backward ? Vector.Load(lane + j) : Vector<T>.Zero, Backward);
            if (!Backward)
            {
                y.Store(lane + j);
            }
        }

        if (!Backward)
        {
            WindowLanes.StoreLanes(b, lane, Y);
        }
    }

    public readonly void Window(in OneWindow w)
    {
        T y = TResult.Window(X, w, Backward ? GradOutput[w.Output] : T.Zero, GradInput, Backward);
        if (!Backward)
        {
            Y[w.Output] = y;
        }
    }
}

/// <summary>
/// Per-unit partial sums of parameter gradients, <see cref="Width"/> values per work unit of a geometry (unit u's at
/// <c>[u·Width, (u + 1)·Width)</c> of <see cref="Values"/>), cleared, from <see cref="WindowLanes.Partials{T}"/>. The
/// totals add the units up in unit order, so they do not depend on the thread count.
/// </summary>
internal readonly unsafe ref struct UnitPartials<T>
    where T : unmanaged, INumber<T>
{
    private readonly T[]? _large;

    private UnitPartials(T* values, T[]? large, int units, int width)
    {
        Values = values;
        _large = large;
        Units = units;
        Width = width;
    }

    /// <summary>The partial sums.</summary>
    public T* Values { get; }

    /// <summary>Work units of the geometry.</summary>
    public int Units { get; }

    /// <summary>Values per unit.</summary>
    public int Width { get; }

    /// <summary>Cleared partial sums of <paramref name="width"/> values for each work unit that <typeparamref name="TMath"/> runs <paramref name="g"/> in.</summary>
    public static UnitPartials<T> For<TMath>(in PoolGeometry g, int width = 1)
        where TMath : unmanaged, IWindowMath<T>
    {
        int units = WindowLanes.Units<T, TMath>(g);
        T* values = WindowLanes.Partials<T>((long)units * width, out T[]? large);
        return new UnitPartials<T>(values, large, units, width);
    }

    /// <summary>Overwrites <paramref name="totals"/> (<see cref="Width"/> values) with the sums over the units.</summary>
    public void SumInto(Span<T> totals)
    {
        Debug.Assert(totals.Length == Width);
        totals.Clear();
        for (int u = 0; u < Units; u++)
        {
            for (int t = 0; t < Width; t++)
            {
                totals[t] += Values[((long)u * Width) + t];
            }
        }

        GC.KeepAlive(_large);
    }

    /// <summary>The sum over the units of a partial of one value per unit.</summary>
    public T Sum()
    {
        T total = T.Zero;
        SumInto(new Span<T>(ref total));
        return total;
    }
}

/// <summary>
/// The driver of the operators that reduce each window on its own with an arbitrary function. Work is split into
/// fixed units of whole (n, c) planes, chosen from the geometry alone, and units are spread over the workers; within a
/// unit the full windows (every tap inside the input) are gathered into blocks, one window per lane, and reduced with
/// vectors, while the other windows are reduced one at a time from their valid taps. A window's result never depends
/// on the block it lands in (spare lanes are computed but dropped), and what a unit accumulates (input gradients of
/// overlapping windows, partial sums of parameter gradients per unit or per plane) runs in an order fixed by the
/// geometry, so results do not depend on the thread count. A backward pass overwrites the input gradient: each unit clears its own
/// planes first (channels-first), or the whole gradient is cleared before the units run (channels-last).
/// </summary>
internal static unsafe class WindowLanes
{
    /// <summary>Bytes of block rows a thread keeps, so a block stays in the first-level cache.</summary>
    private const int BlockBytes = 48 << 10;

    private struct Job<T, TMath>
        where T : unmanaged, INumber<T>
        where TMath : unmanaged, IWindowMath<T>
    {
        public PoolGeometry G;
        public TMath Math;
        public T* X;
        public T* GradInput;
        public int PlanesPerUnit;
        public int Lanes;
    }

    /// <summary>Number of work units of a geometry: the length of per-unit partial sums.</summary>
    public static int Units<T, TMath>(in PoolGeometry g)
        where T : unmanaged, INumber<T>
        where TMath : unmanaged, IWindowMath<T>
    {
        var (planes, _) = Plan<T, TMath>(g);
        long all = (long)g.N * g.C;
        return (int)((all + planes - 1) / planes);
    }

    /// <summary>Runs <paramref name="math"/> over every window of <paramref name="g"/>; with a backward math, overwrites <paramref name="gradInput"/>.</summary>
    public static void Run<T, TMath>(in PoolGeometry g, ReadOnlySpan<T> input, Span<T> gradInput, in TMath math)
        where T : unmanaged, INumber<T>
        where TMath : unmanaged, IWindowMath<T>
    {
        Debug.Assert(!math.Backward || gradInput.Length == g.InputLength);
        if (math.Backward && g.Layout == TensorLayout.ChannelsLast)
        {
            gradInput.Clear();
        }

        var (planes, lanes) = Plan<T, TMath>(g);
        int units = Units<T, TMath>(g);
        fixed (T* x = input)
        fixed (T* gx = gradInput)
        {
            var job = new Job<T, TMath> { G = g, Math = math, X = x, GradInput = math.Backward ? gx : null, PlanesPerUnit = planes, Lanes = lanes };

            // Every window costs tens of operations (exponentials, powers): worth threads at a tenth of the reductions' size.
            long work = 16 * (g.InputLength + g.OutputLength);
            Workers.For(units, work, &UnitRange<T, TMath>, &job);
        }
    }

    /// <summary>Planes per unit and lanes per block, from the geometry alone.</summary>
    private static (int Planes, int Lanes) Plan<T, TMath>(in PoolGeometry g)
        where T : unmanaged, INumber<T>
        where TMath : unmanaged, IWindowMath<T>
    {
        int taps = (int)Math.Max(1, g.KernelVolume), vc = Vector<T>.Count;
        int rows = (2 * taps) + TMath.ScratchRows(taps);
        int lanes = Math.Clamp(BlockBytes / (rows * sizeof(T)) / vc * vc, vc, 1024);
        long full = (long)Span(g.D) * Span(g.H) * Span(g.W);
        long all = Math.Max(1L, (long)g.N * g.C);
        int planes = full == 0 ? 64 : (int)Math.Clamp(lanes / full, 1, 4096);
        return ((int)Math.Min(planes, all), lanes);

        static int Span(PoolAxis a) => Math.Max(0, a.InteriorEnd - a.InteriorBegin);
    }

    private static void UnitRange<T, TMath>(int u0, int u1, void* state)
        where T : unmanaged, INumber<T>
        where TMath : unmanaged, IWindowMath<T>
    {
        ref var job = ref Unsafe.AsRef<Job<T, TMath>>(state);
        var g = job.G;
        var math = job.Math;
        T* x = job.X, gx = job.GradInput, xEnd = job.X + g.InputLength;
        bool backward = gx != null, first = g.Layout == TensorLayout.ChannelsFirst;
        int taps = (int)Math.Max(1, g.KernelVolume), lanes = job.Lanes, c = g.C;
        long planeCount = (long)g.N * c;

        // Scratch: rows of values, gradients and the reducer's own; per-lane and per-tap tables.
        int rows = (2 * taps) + TMath.ScratchRows(taps);
        long bytes = ((long)rows * lanes * sizeof(T)) + ((long)lanes * sizeof(Segment)) + ((long)taps * ((2 * sizeof(long)) + sizeof(int)));
        byte* scratch = ThreadScratch.GetOrAllocate(bytes, inner: true, out byte[]? large);
        var block = new LaneBlock<T>
        {
            Taps = taps,
            Values = (T*)scratch,
            Grad = (T*)scratch + ((long)taps * lanes),
            Scratch = (T*)scratch + (2L * taps * lanes),
            ScratchRowCount = TMath.ScratchRows(taps),
        };
        byte* tables = scratch + ((long)rows * lanes * sizeof(T));
        block.Segments = (Segment*)tables;
        block.Offsets = (long*)(block.Segments + lanes);
        long* tapList = block.Offsets + taps;
        int* kernel = (int*)(tapList + taps);

        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        long es = first ? 1 : c;
        long rowIn = wAxis.In, planeIn = (long)hAxis.In * wAxis.In;
        for (int kd = 0, t = 0; kd < dAxis.Kernel; kd++)
        {
            for (int kh = 0; kh < hAxis.Kernel; kh++)
            {
                for (int kw = 0; kw < wAxis.Kernel; kw++, t++)
                {
                    block.Offsets[t] = (((long)kd * dAxis.Dilation * planeIn) + ((long)kh * hAxis.Dilation * rowIn) + ((long)kw * wAxis.Dilation)) * es;
                }
            }
        }

        var one = new OneWindow { Taps = tapList, Kernel = kernel, Scratch = block.Scratch };
        int d0 = dAxis.InteriorBegin, d1 = dAxis.InteriorEnd, h0 = hAxis.InteriorBegin, h1 = hAxis.InteriorEnd;
        int w0 = wAxis.InteriorBegin, w1 = Math.Max(w0, wAxis.InteriorEnd);
        long laneStep = (long)wAxis.Stride * es;
        block.Step = laneStep;
        block.OutputStep = first ? 1 : c;
        for (int unit = u0; unit < u1; unit++)
        {
            long p0 = (long)unit * job.PlanesPerUnit, p1 = Math.Min(planeCount, p0 + job.PlanesPerUnit);
            if (backward && first)
            {
                new Span<T>(gx + (p0 * g.InputPlane), checked((int)((p1 - p0) * g.InputPlane))).Clear();
            }

            block.Unit = one.Unit = unit;
            block.SegmentCount = 0;
            int count = 0;
            for (long p = p0; p < p1; p++)
            {
                int n = (int)(p / c), ch = (int)(p % c);
                long outBase = first ? p * g.OutputPlane : ((long)n * g.OutputPlane * c) + ch;
                long inBase = first ? p * g.InputPlane : ((long)n * g.InputPlane * c) + ch;
                long outStep = first ? 1 : c;
                one.Channel = ch;
                one.Plane = p;
                long o = outBase;
                for (int od = 0; od < dAxis.Out; od++)
                {
                    bool fullD = od >= d0 && od < d1;
                    for (int oh = 0; oh < hAxis.Out; oh++, o += wAxis.Out * outStep)
                    {
                        bool fullRow = fullD && oh >= h0 && oh < h1;
                        long rowStart = inBase + ((((long)dAxis.Start(od) * planeIn) + ((long)hAxis.Start(oh) * rowIn)) * es);
                        for (int ow = 0; ow < wAxis.Out; ow++)
                        {
                            if (fullRow && ow == w0)
                            {
                                // The full windows of the row, one lane each.
                                long oo = o + (ow * outStep), ii = rowStart + ((long)wAxis.Start(ow) * es);
                                while (ow < w1)
                                {
                                    int run = Math.Min(w1 - ow, lanes - count);
                                    block.Segments[block.SegmentCount++] = new Segment { Lane = count, Count = run, Channel = ch, Plane = p, Input = ii, Output = oo };
                                    oo += run * outStep;
                                    ii += run * laneStep;
                                    ow += run;
                                    count += run;
                                    if (count == lanes)
                                    {
                                        Flush(ref block, count, x, xEnd, gx, math);
                                        count = 0;
                                    }
                                }

                                if (ow == wAxis.Out)
                                {
                                    break;
                                }
                            }

                            one.Output = o + (ow * outStep);
                            (one.Od, one.Oh, one.Ow) = (od, oh, ow);
                            one.Count = TapsOf(g, inBase, es, od, oh, ow, tapList, kernel);
                            math.Window(one);
                        }
                    }
                }
            }

            if (count > 0)
            {
                Flush(ref block, count, x, xEnd, gx, math);
            }
        }

        GC.KeepAlive(large); // the scratch pointer is into it
    }

    /// <summary>Gathers the block's windows tap-major from x (which ends at <paramref name="end"/>), reduces them, and (backward) adds their gradients into the input gradient.</summary>
    private static void Flush<T, TMath>(ref LaneBlock<T> block, int count, T* x, T* end, T* gx, TMath math)
        where T : unmanaged, INumber<T>
        where TMath : unmanaged, IWindowMath<T>
    {
        int vc = Vector<T>.Count, width = (count + vc - 1) / vc * vc;
        block.Count = count;
        block.Width = width;
        long step = block.Step;
        for (int t = 0; t < block.Taps; t++)
        {
            T* row = block.Values + ((long)t * width);
            T* xt = x + block.Offsets[t];
            for (int s = 0; s < block.SegmentCount; s++)
            {
                Segment seg = block.Segments[s];
                Gather(xt + seg.Input, step, row + seg.Lane, seg.Count, end);
            }

            for (int j = count; j < width; j++)
            {
                row[j] = row[0];
            }
        }

        math.Block(block);
        if (gx != null)
        {
            for (int t = 0; t < block.Taps; t++)
            {
                T* row = block.Grad + ((long)t * width);
                T* gt = gx + block.Offsets[t];
                if (step == 2 && t + 1 < block.Taps && block.Offsets[t + 1] == block.Offsets[t] + 1)
                {
                    // Taps t and t + 1 are neighbours and windows two apart: together they cover a contiguous run.
                    for (int s = 0; s < block.SegmentCount; s++)
                    {
                        Segment seg = block.Segments[s];
                        AddPairs(row + seg.Lane, row + width + seg.Lane, gt + seg.Input, seg.Count);
                    }

                    t++;
                    continue;
                }

                for (int s = 0; s < block.SegmentCount; s++)
                {
                    Segment seg = block.Segments[s];
                    T* dst = gt + seg.Input, src = row + seg.Lane;
                    for (int i = 0; i < seg.Count; i++)
                    {
                        dst[i * step] += src[i];
                    }
                }
            }
        }

        block.SegmentCount = 0;
    }

    /// <summary><c>dst[2i] += even[i]</c> and <c>dst[2i + 1] += odd[i]</c> for i below <paramref name="count"/>; 32-bit lanes interleaved with vectors.</summary>
    private static void AddPairs<T>(T* even, T* odd, T* dst, int count)
        where T : unmanaged, INumber<T>
    {
        int i = 0, vc = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated && sizeof(T) == 4)
        {
            // Widening puts lane i of a vector in the low half of 64-bit lane i; the odd values go to the high halves.
            for (; i + vc <= count; i += vc)
            {
                Vector.Widen(Vector.Load((uint*)(even + i)), out Vector<ulong> evenLow, out Vector<ulong> evenHigh);
                Vector.Widen(Vector.Load((uint*)(odd + i)), out Vector<ulong> oddLow, out Vector<ulong> oddHigh);
                T* d = dst + (2L * i);
                (Vector.Load(d) + (evenLow | (oddLow << 32)).As<ulong, T>()).Store(d);
                (Vector.Load(d + vc) + (evenHigh | (oddHigh << 32)).As<ulong, T>()).Store(d + vc);
            }
        }

        for (; i < count; i++)
        {
            dst[2L * i] += even[i];
            dst[(2L * i) + 1] += odd[i];
        }
    }

    /// <summary>
    /// <c>dst[i] = src[i·step]</c> for i below <paramref name="count"/>: contiguous and 32-bit stride-2 runs with vectors,
    /// the last vector overlapping the one before it. Nothing at or past <paramref name="end"/> is read.
    /// </summary>
    private static void Gather<T>(T* src, long step, T* dst, int count, T* end)
        where T : unmanaged
    {
        int vc = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated && count >= vc && step == 1)
        {
            for (int i = 0; ; i = Math.Min(i + vc, count - vc))
            {
                Vector.Load(src + i).Store(dst + i);
                if (i == count - vc)
                {
                    return;
                }
            }
        }

        // Two vectors of the row as 64-bit pairs; narrowing keeps each pair's low half, the even element. The last
        // pair's odd element, one past the run, is read but not used: it must lie before the end.
        if (Vector.IsHardwareAccelerated && count >= vc && step == 2 && sizeof(T) == 4 && src + (2L * count) <= end)
        {
            for (int i = 0; ; i = Math.Min(i + vc, count - vc))
            {
                T* p = src + (2L * i);
                Vector.Narrow(Vector.Load((ulong*)p), Vector.Load((ulong*)(p + vc))).As<uint, T>().Store(dst + i);
                if (i == count - vc)
                {
                    return;
                }
            }
        }

        for (int i = 0; i < count; i++)
        {
            dst[i] = src[i * step];
        }
    }

    /// <summary>
    /// A cleared buffer of <paramref name="count"/> values for partial sums, from the calling thread's scratch (so a call
    /// allocates nothing), or from <paramref name="large"/>, a new pinned array, when it would not fit there.
    /// </summary>
    public static T* Partials<T>(long count, out T[]? large)
        where T : unmanaged
    {
        long bytes = Math.Max(1, count) * sizeof(T);
        large = bytes > ThreadScratch.MaxBytes ? GC.AllocateArray<T>(checked((int)count), pinned: true) : null;
        T* p = large is null ? (T*)ThreadScratch.Get(bytes, inner: false) : (T*)Unsafe.AsPointer(ref large[0]);
        new Span<T>(p, checked((int)count)).Clear();
        return p;
    }

    /// <summary><c>*sum += row[0] + … + row[Count − 1]</c>, lane after lane: the block's windows' share of a per-unit partial sum.</summary>
    public static void AddLanes<T>(in LaneBlock<T> b, T* row, T* sum)
        where T : unmanaged, INumber<T>
    {
        T acc = *sum;
        for (int j = 0; j < b.Count; j++)
        {
            acc += row[j];
        }

        *sum = acc;
    }

    /// <summary>Row <paramref name="row"/> receives <c>perOutput[output of lane j]</c> for each window of the block, 0 in the spare lanes.</summary>
    public static void LoadLanes<T>(in LaneBlock<T> b, T* perOutput, T* row)
        where T : unmanaged, INumber<T>
    {
        for (int s = 0; s < b.SegmentCount; s++)
        {
            Segment seg = b.Segments[s];
            Gather(perOutput + seg.Output, b.OutputStep, row + seg.Lane, seg.Count, null);
        }

        new Span<T>(row + b.Count, b.Width - b.Count).Clear();
    }

    /// <summary><c>perOutput[output of lane j] = row[j]</c> for each window of the block.</summary>
    public static void StoreLanes<T>(in LaneBlock<T> b, T* row, T* perOutput)
        where T : unmanaged, INumber<T>
    {
        for (int s = 0; s < b.SegmentCount; s++)
        {
            Segment seg = b.Segments[s];
            T* dst = perOutput + seg.Output, src = row + seg.Lane;
            if (b.OutputStep == 1)
            {
                new Span<T>(src, seg.Count).CopyTo(new Span<T>(dst, seg.Count));
                continue;
            }

            for (int i = 0; i < seg.Count; i++)
            {
                dst[i * b.OutputStep] = src[i];
            }
        }
    }

    /// <summary>Row <paramref name="row"/> receives <c>perChannel[channel of lane j]</c>; the spare lanes repeat lane 0.</summary>
    public static void ChannelLanes<T>(in LaneBlock<T> b, T* perChannel, T* row)
        where T : unmanaged, INumber<T>
    {
        for (int s = 0; s < b.SegmentCount; s++)
        {
            Segment seg = b.Segments[s];
            new Span<T>(row + seg.Lane, seg.Count).Fill(perChannel[seg.Channel]);
        }

        new Span<T>(row + b.Count, b.Width - b.Count).Fill(row[0]);
    }

    /// <summary>The valid taps of output (od, oh, ow) of the plane starting at <paramref name="inBase"/>: input indices and kernel positions.</summary>
    private static int TapsOf(in PoolGeometry g, long inBase, long es, int od, int oh, int ow, long* taps, int* kernel)
    {
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int count = 0;
        int fd = dAxis.FirstValid(od), ed = dAxis.EndValid(od), fh = hAxis.FirstValid(oh), eh = hAxis.EndValid(oh);
        int fw = wAxis.FirstValid(ow), ew = wAxis.EndValid(ow);
        for (int jd = fd; jd < ed; jd++)
        {
            long d = dAxis.Start(od) + ((long)jd * dAxis.Dilation);
            for (int jh = fh; jh < eh; jh++)
            {
                long row = ((d * hAxis.In) + hAxis.Start(oh) + ((long)jh * hAxis.Dilation)) * wAxis.In;
                for (int jw = fw; jw < ew; jw++)
                {
                    long pos = row + wAxis.Start(ow) + ((long)jw * wAxis.Dilation);
                    taps[count] = inBase + (pos * es);
                    kernel[count++] = (((jd * hAxis.Kernel) + jh) * wAxis.Kernel) + jw;
                }
            }
        }

        return count;
    }
}
