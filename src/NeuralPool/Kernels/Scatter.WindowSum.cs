using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// The gradient of window sums (average and Lp pooling): every valid tap of output o receives
/// <c>gradOutput[o] / divisor(o)</c>, the contributions to one input element added in the order of the outputs
/// (channels-first: each output row's contributions are first spread along a row, and the rows then added in
/// output-row order). Every input element is written once by its first contribution (or cleared when no window
/// reaches it) and only later contributions read it back, so the gradient is never cleared and then added to.
/// </summary>
internal static unsafe partial class Scatter
{
    /// <summary>Widest (taps - 1) · dilation the 512-bit stride-2 spread takes (its sources span two vectors).</summary>
    private const int SpreadReach = 45;

    /// <summary>
    /// The gradient of a window sum divided by <paramref name="divisor"/>: every valid tap of output o
    /// receives <c>gradOutput[o] / divisor(o)</c>. <paramref name="gradInput"/> is overwritten.
    /// </summary>
    public static void WindowSum<T>(in PoolGeometry g, ReadOnlySpan<T> gradOutput, Divisor divisor, Span<T> gradInput)
        where T : unmanaged, INumber<T>
    {
        fixed (T* gy = gradOutput)
        fixed (T* gx = gradInput)
        {
            var job = new Job { G = g, Layout = g.Layout, C = g.C, Block = BlockSize(g.Layout, g.N, g.C), Src = gy, Dst = gx, Divisor = divisor };
            long work = g.InputLength + g.OutputLength;
            if (g.Layout == TensorLayout.ChannelsFirst)
            {
                Workers.For(g.N * g.C, work, &WindowSumPlanes<T>, &job);
            }
            else
            {
                Workers.For(Items(g.Layout, g.N, g.C, job.Block), work, &WindowSumLastBlocks<T>, &job);
            }
        }
    }

    /// <summary>The span tables of one call and which output row (and, channels-last, column) first reaches each input row (column).</summary>
    private readonly struct SumTables
    {
        public readonly AxisSpan* Cols;
        public readonly AxisSpan* DSpans;
        public readonly AxisSpan* HSpans;

        /// <summary>Per input row (id · H + ih): the first output row (od · Ho + oh) whose window reaches it, or -1.</summary>
        public readonly int* FirstRow;

        /// <summary>Per input column: the first output column whose window reaches it, or -1.</summary>
        public readonly int* FirstCol;

        public SumTables(in PoolGeometry g, DivisorMode mode, byte* at)
        {
            var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
            Cols = (AxisSpan*)at;
            DSpans = Cols + wAxis.Out;
            HSpans = DSpans + dAxis.Out;
            FirstRow = (int*)(HSpans + hAxis.Out);
            FirstCol = FirstRow + ((long)dAxis.In * hAxis.In);
            AxisSpan.Fill(wAxis, mode, Cols);
            AxisSpan.Fill(dAxis, mode, DSpans);
            AxisSpan.Fill(hAxis, mode, HSpans);
            new Span<int>(FirstRow, dAxis.In * hAxis.In).Fill(-1);
            new Span<int>(FirstCol, wAxis.In).Fill(-1);
            for (int od = 0; od < dAxis.Out; od++)
            {
                AxisSpan ds = DSpans[od];
                for (int oh = 0; oh < hAxis.Out; oh++)
                {
                    AxisSpan hs = HSpans[oh];
                    for (int jd = 0; jd < ds.Count && hs.Count > 0; jd++)
                    {
                        int id = ds.First + (jd * dAxis.Dilation);
                        for (int jh = 0; jh < hs.Count; jh++)
                        {
                            int r = (id * hAxis.In) + hs.First + (jh * hAxis.Dilation);
                            if (FirstRow[r] < 0)
                            {
                                FirstRow[r] = (od * hAxis.Out) + oh;
                            }
                        }
                    }
                }
            }

            for (int ow = 0; ow < wAxis.Out; ow++)
            {
                AxisSpan col = Cols[ow];
                for (int t = 0; t < col.Count; t++)
                {
                    int w = col.First + (t * wAxis.Dilation);
                    if (FirstCol[w] < 0)
                    {
                        FirstCol[w] = ow;
                    }
                }
            }
        }

        public static long Bytes(in PoolGeometry g) =>
            ((long)(g.W.Out + g.D.Out + g.H.Out) * sizeof(AxisSpan)) + (((long)g.D.In * g.H.In) + g.W.In) * sizeof(int);
    }

    /// <summary>
    /// Channels-first planes. Per output row: <c>u = gradOutput / divisor</c> along the row (vectors), then the row of
    /// contributions <c>hv</c>, where column w receives u of every output column whose window reaches it, in output order
    /// (512-bit float lanes at W stride 1 and 2; a scalar spread otherwise); hv is then stored into each input row the
    /// window reaches that no earlier output row reached, and added to the others.
    /// </summary>
    private static void WindowSumPlanes<T>(int p0, int p1, void* state)
        where T : unmanaged, INumber<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var divisor = job.Divisor;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int width = wAxis.In, wOut = wAxis.Out, rowsIn = dAxis.In * hAxis.In;
        // Scratch: the tables, the spread's permutes, the column parts of the divisor, u with zero margins, hv.
        int margin = SpreadPlan.MarginOf(g), uLength = margin + Math.Max(width, wOut) + margin;
        long permutes = SpreadPlan.TableBytes(g);
        long bytes = SumTables.Bytes(g) + 64 + permutes + (((long)wOut + uLength + width + 64) * sizeof(T));
        byte* at = ThreadScratch.GetOrAllocate(bytes, inner: false, out byte[]? large);
        var tables = new SumTables(g, divisor.Mode, at);
        byte* permuteTables = (byte*)(((nint)(at + SumTables.Bytes(g)) + 63) & ~(nint)63);
        var spread = new SpreadPlan(g, permuteTables);
        T* colPart = (T*)(permuteTables + permutes);
        T* u = colPart + wOut;
        T* hv = u + uLength;
        for (int ow = 0; ow < wOut; ow++)
        {
            colPart[ow] = T.CreateChecked(tables.Cols[ow].Part);
        }

        bool partsExact = PartsExact<T>(g);
        new Span<T>(u, uLength).Clear(); // the margins stay zero: taps of outputs outside the row add +0
        u += margin;
        for (int p = p0; p < p1; p++)
        {
            T* xp = (T*)job.Dst + ((long)p * g.InputPlane);
            T* yr = (T*)job.Src + ((long)p * g.OutputPlane);
            for (int od = 0; od < dAxis.Out; od++)
            {
                AxisSpan ds = tables.DSpans[od];
                for (int oh = 0; oh < hAxis.Out; oh++, yr += wOut)
                {
                    AxisSpan hs = tables.HSpans[oh];
                    if (ds.Count == 0 || hs.Count == 0)
                    {
                        continue;
                    }

                    Divide(yr, u, colPart, tables.Cols, wOut, divisor, (long)ds.Part * hs.Part, partsExact);
                    spread.Spread(u, hv, tables.Cols);
                    int q = (od * hAxis.Out) + oh;
                    for (int jd = 0; jd < ds.Count; jd++)
                    {
                        int id = ds.First + (jd * dAxis.Dilation);
                        for (int jh = 0; jh < hs.Count; jh++)
                        {
                            int r = (id * hAxis.In) + hs.First + (jh * hAxis.Dilation);
                            T* row = xp + ((long)r * width);
                            if (tables.FirstRow[r] == q)
                            {
                                StoreFirst(hv, row, width); // hv is a sum from +0 already: adding +0 leaves it as it is
                            }
                            else
                            {
                                AddRow(row, hv, width);
                            }
                        }
                    }
                }
            }

            for (int r = 0; r < rowsIn; r++)
            {
                if (tables.FirstRow[r] < 0)
                {
                    new Span<T>(xp + ((long)r * width), width).Clear();
                }
            }
        }

        GC.KeepAlive(large); // the scratch pointer is into it
    }

    /// <summary><c>u[ow] = y[ow] / divisor(rowPart, column part)</c> along one output row (vectors; the same IEEE division as scalar code).</summary>
    private static void Divide<T>(T* y, T* u, T* colPart, AxisSpan* cols, int wOut, Divisor divisor, long rowPart, bool partsExact)
        where T : unmanaged, INumber<T>
    {
        if (divisor.Mode == DivisorMode.None)
        {
            new ReadOnlySpan<T>(y, wOut).CopyTo(new Span<T>(u, wOut));
            return;
        }

        if (!partsExact)
        {
            for (int o = 0; o < wOut; o++)
            {
                u[o] = y[o] / T.CreateChecked(divisor.Combine(rowPart, cols[o].Part));
            }

            return;
        }

        // rowPart · part is exact in T here, so multiplying the two parts in T gives the divisor the integer product does.
        bool constant = divisor.Mode == DivisorMode.Override;
        T row = T.CreateChecked(constant ? divisor.Override : rowPart);
        int ow = 0;
        if (Vector512.IsHardwareAccelerated && wOut >= Vector512<T>.Count)
        {
            var rv = Vector512.Create(row);
            for (; ; ow += Vector512<T>.Count)
            {
                ow = Math.Min(ow, wOut - Vector512<T>.Count); // the last vector overlaps and divides the same values again
                (Vector512.Load(y + ow) / (constant ? rv : rv * Vector512.Load(colPart + ow))).Store(u + ow);
                if (ow + Vector512<T>.Count >= wOut)
                {
                    return;
                }
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var rv = new Vector<T>(row);
            for (; ow + Vector<T>.Count <= wOut; ow += Vector<T>.Count)
            {
                (Vector.Load(y + ow) / (constant ? rv : rv * Vector.Load(colPart + ow))).Store(u + ow);
            }
        }

        for (; ow < wOut; ow++)
        {
            u[ow] = y[ow] / (constant ? row : row * colPart[ow]);
        }
    }

    /// <summary>Whether every product of a row part and a column part (at most the kernel volume) is exact in T.</summary>
    private static bool PartsExact<T>(in PoolGeometry g) =>
        (typeof(T) == typeof(float) && g.KernelVolume < (1L << 24)) || (typeof(T) == typeof(double) && g.KernelVolume < (1L << 53));

    /// <summary><c>row[i] += add[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<T>(T* row, T* add, int length)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= length; i += Vector512<T>.Count)
            {
                (Vector512.Load(row + i) + Vector512.Load(add + i)).Store(row + i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<T>.Count <= length; i += Vector<T>.Count)
            {
                (Vector.Load(row + i) + Vector.Load(add + i)).Store(row + i);
            }
        }

        for (; i < length; i++)
        {
            row[i] += add[i];
        }
    }

    /// <summary>
    /// How one output row's contributions spread along the W axis. 512-bit float lanes at stride 1 (each tap a shifted
    /// load of u) and stride 2 (each tap a two-vector permute of u, lanes of the other parity zero); taps in descending
    /// order, which is ascending output order for each column. Lanes of outputs outside the row read the zero margins of
    /// u, and adding +0 to a sum started from +0 changes nothing. Other strides, adaptive bins and double spread scalar.
    /// </summary>
    private readonly struct SpreadPlan
    {
        private readonly int _stride, _kernel, _dilation, _pad, _width, _wOut, _base, _slots;
        private readonly bool _wide;
        private readonly Vector512<int>* _index, _keep;

        /// <summary>Zero elements of u on each side of the row.</summary>
        public readonly int Margin;

        /// <summary>Bytes of permute tables <see cref="SpreadPlan(in PoolGeometry, void*)"/> needs.</summary>
        public static long TableBytes(in PoolGeometry g) => 2L * g.W.Kernel * sizeof(Vector512<int>);

        /// <param name="g">The geometry.</param>
        /// <param name="tables">64-byte aligned scratch of <see cref="TableBytes"/> bytes for the stride-2 permutes.</param>
        public SpreadPlan(in PoolGeometry g, void* tables)
        {
            var w = g.W;
            (_stride, _kernel, _dilation, _pad, _width, _wOut) = (w.Stride, w.Kernel, w.Dilation, w.PadBegin, w.In, w.Out);
            int reach = (_kernel - 1) * _dilation;
            _wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported && !w.Adaptive && (_stride == 1 || _stride == 2) && reach <= SpreadReach
                && _width >= 16;
            _base = FloorDiv(_pad - reach, 2);
            Margin = MarginOf(g);
            _index = (Vector512<int>*)tables;
            _keep = _index + _kernel;
            if (!_wide || _stride != 2)
            {
                return;
            }

            // Lane l receives u[(w + l + pad - t · dilation) / 2] for each tap t where that is whole: as lane
            // (l + pad - t · dilation) / 2 - base of the 32 elements from u[w / 2 + base]. Slot s holds each lane's s-th such
            // tap from the last tap down (ascending output order); lanes with fewer taps keep zero in the later slots.
            int* lanes = stackalloc int[16];
            int* mask = stackalloc int[16];
            for (int slot = 0; ; slot++)
            {
                bool any = false;
                for (int l = 0; l < 16; l++)
                {
                    int found = 0;
                    (lanes[l], mask[l]) = (0, 0);
                    for (int t = _kernel - 1; t >= 0; t--)
                    {
                        int offset = l + _pad - (t * _dilation);
                        if ((offset & 1) == 0 && found++ == slot)
                        {
                            (lanes[l], mask[l]) = ((offset / 2) - _base, -1);
                            any = true;
                            break;
                        }
                    }
                }

                if (!any)
                {
                    break;
                }

                _index[slot] = Vector512.Load(lanes);
                _keep[slot] = Vector512.Load(mask);
                _slots = slot + 1;
            }
        }

        public static int MarginOf(in PoolGeometry g) => ((g.W.Kernel - 1) * g.W.Dilation) + g.W.PadBegin + 64;

        private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

        /// <summary><c>hv[w]</c> for every input column w: the sum, from +0 in output order, of u over the outputs whose window reaches w.</summary>
        public void Spread<T>(T* u, T* hv, AxisSpan* cols)
            where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float) && _wide)
            {
                if (_stride == 1)
                {
                    SpreadStride1((float*)u, (float*)hv);
                }
                else
                {
                    SpreadStride2((float*)u, (float*)hv);
                }

                return;
            }

            new Span<T>(hv, _width).Clear();
            for (int ow = 0; ow < _wOut; ow++)
            {
                AxisSpan col = cols[ow];
                T value = u[ow];
                for (int t = 0; t < col.Count; t++)
                {
                    hv[col.First + (t * _dilation)] += value;
                }
            }
        }

        /// <summary>Stride 1: column w receives u[w + pad - t · dilation] for t from the last tap down.</summary>
        private void SpreadStride1(float* u, float* hv)
        {
            for (int w = 0; ; w += 16)
            {
                w = Math.Min(w, _width - 16); // the last vector overlaps and recomputes the same sums
                var acc = Vector512<float>.Zero;
                float* src = u + w + _pad;
                for (int t = _kernel - 1; t >= 0; t--)
                {
                    acc += Vector512.Load(src - (t * _dilation));
                }

                acc.Store(hv + w);
                if (w + 16 >= _width)
                {
                    break;
                }
            }
        }

        /// <summary>Stride 2: lane l of the vector at column w (w even) receives u[(w + l + pad - t · dilation) / 2] for each tap t where that is whole.</summary>
        private void SpreadStride2(float* u, float* hv)
        {
            Vector512<int>* index = _index, keep = _keep;
            int end = _width - (_width % 16);
            for (int w = 0; w < end; w += 16)
            {
                float* src = u + (w / 2) + _base;
                Vector512<float> a = Vector512.Load(src), b = Vector512.Load(src + 16);
                var acc = Vector512<float>.Zero;
                for (int slot = 0; slot < _slots; slot++)
                {
                    acc += (Avx512F.PermuteVar16x32x2(a, index[slot], b).AsInt32() & keep[slot]).AsSingle();
                }

                acc.Store(hv + w);
            }

            // Columns past the last whole vector (odd start: a scalar pass in the same order).
            for (int w = end; w < _width; w++)
            {
                float acc = 0;
                for (int t = _kernel - 1; t >= 0; t--)
                {
                    int offset = w + _pad - (t * _dilation);
                    if ((offset & 1) == 0)
                    {
                        acc += u[offset / 2];
                    }
                }

                hv[w] = acc;
            }
        }
    }

    /// <summary>
    /// Channels-last blocks of channels. Per output position: <c>u = gradOutput / divisor</c> over the block's channels
    /// (vectors, once per position), then each valid tap stores u + 0 where this is the first window to reach that
    /// position (the +0 makes a -0 gradient +0, as adding it to a cleared gradient does) and adds u elsewhere. Positions
    /// no window reaches are cleared.
    /// </summary>
    private static void WindowSumLastBlocks<T>(int i0, int i1, void* state)
        where T : unmanaged, INumber<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var divisor = job.Divisor;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int cn = g.C, width = wAxis.In, wOut = wAxis.Out, rowsIn = dAxis.In * hAxis.In;
        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        long bytes = SumTables.Bytes(g) + 64 + ((long)job.Block * sizeof(T));
        byte* at = ThreadScratch.GetOrAllocate(bytes, inner: false, out byte[]? large);
        var tables = new SumTables(g, divisor.Mode, at);
        T* u = (T*)(((nint)(at + SumTables.Bytes(g)) + 63) & ~(nint)63);
        for (int item = i0; item < i1; item++)
        {
            var (b, c0, c1) = Block(item, cn, job.Block);
            int count = c1 - c0;
            T* xn = (T*)job.Dst + (b * inPlane * cn) + c0;
            T* yo = (T*)job.Src + (b * outPlane * cn) + c0;
            for (int od = 0; od < dAxis.Out; od++)
            {
                AxisSpan ds = tables.DSpans[od];
                for (int oh = 0; oh < hAxis.Out; oh++)
                {
                    AxisSpan hs = tables.HSpans[oh];
                    long rowPart = (long)ds.Part * hs.Part;
                    int q = (od * hAxis.Out) + oh;
                    for (int ow = 0; ow < wOut; ow++, yo += cn)
                    {
                        AxisSpan col = tables.Cols[ow];
                        if (ds.Count == 0 || hs.Count == 0 || col.Count == 0)
                        {
                            continue;
                        }

                        T div = T.CreateChecked(divisor.Combine(rowPart, col.Part));
                        int c = 0;
                        if (lanes != 0)
                        {
                            var scale = new Vector<T>(div);
                            for (; c + lanes <= count; c += lanes)
                            {
                                (Vector.Load(yo + c) / scale).Store(u + c);
                            }
                        }

                        for (; c < count; c++)
                        {
                            u[c] = yo[c] / div;
                        }

                        for (int jd = 0; jd < ds.Count; jd++)
                        {
                            int id = ds.First + (jd * dAxis.Dilation);
                            for (int jh = 0; jh < hs.Count; jh++)
                            {
                                int r = (id * hAxis.In) + hs.First + (jh * hAxis.Dilation);
                                bool firstRow = tables.FirstRow[r] == q;
                                T* row = xn + ((long)r * width * cn);
                                for (int t = 0; t < col.Count; t++)
                                {
                                    int w = col.First + (t * wAxis.Dilation);
                                    T* dst = row + ((long)w * cn);
                                    if (firstRow && tables.FirstCol[w] == ow)
                                    {
                                        StoreFirst(u, dst, count);
                                    }
                                    else
                                    {
                                        AddRow(dst, u, count);
                                    }
                                }
                            }
                        }
                    }
                }
            }

            for (int r = 0; r < rowsIn; r++)
            {
                T* row = xn + ((long)r * width * cn);
                for (int w = 0; w < width; w++)
                {
                    if (tables.FirstRow[r] < 0 || tables.FirstCol[w] < 0)
                    {
                        new Span<T>(row + ((long)w * cn), count).Clear();
                    }
                }
            }
        }

        GC.KeepAlive(large); // the scratch pointer is into it
    }

    /// <summary><c>dst[i] = +0 + u[i]</c>: the first contribution to a gradient element, as if added to a cleared one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFirst<T>(T* u, T* dst, int length)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= length; i += Vector512<T>.Count)
            {
                (Vector512<T>.Zero + Vector512.Load(u + i)).Store(dst + i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<T>.Count <= length; i += Vector<T>.Count)
            {
                (Vector<T>.Zero + Vector.Load(u + i)).Store(dst + i);
            }
        }

        for (; i < length; i++)
        {
            dst[i] = T.Zero + u[i];
        }
    }
}
