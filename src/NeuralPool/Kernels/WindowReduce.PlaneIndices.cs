using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-first float max with indices straight on the planes, 16 outputs of a row per 512-bit vector.
/// Each tap of the window is one vector of the 16 outputs' inputs (stride 2: loads de-interleaved by permutes);
/// the running maximum and the number of the tap it came from stay in registers, with the reducer's rule
/// (<c>x &gt; best || isnan(x)</c>, in scan order) applied per lane through mask registers. Three-tap rows
/// go four vectors at a time, so that four independent chains hide the compare-and-select latency.
/// The tap number becomes the plane-local index once per vector, through a table of tap offsets, and is
/// widened to 64 bits on the store. Vectors that reach into the padding mask the taps outside the row per lane;
/// rows without a valid tap and vectors whose loads would leave the input take the scalar window (<see cref="MaxPosition"/>).
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>Most taps a window may have here: the tap number is looked up in one 16-entry table.</summary>
    private const int PlaneIndexTaps = 16;

    /// <summary>
    /// Fewest outputs per row for the plane kernel; narrower rows go through plane blocks. With two vectors at the padded
    /// ends and overlapping vectors in between, 28-output rows took 4.8 ms against the blocks' 3.3 (Inception 3x3, indices).
    /// </summary>
    private const int PlaneIndexRowLimit = 48;

    /// <summary>Whether channels-first max with indices runs on the planes directly (float, 512-bit, W stride 1 or 2 without dilation, rows of at least <see cref="PlaneIndexRowLimit"/> outputs, every window with a valid column).</summary>
    private static bool PlaneIndicesPay<T>(in PoolGeometry g)
        where T : unmanaged
    {
        var (d, h, w) = (g.D, g.H, g.W);
        return typeof(T) == typeof(float) && Avx512F.IsSupported && Vector512.IsHardwareAccelerated
            && g.InputPlane <= int.MaxValue && !d.Adaptive && !h.Adaptive && !w.Adaptive
            && w.Stride is 1 or 2 && w.Dilation == 1
            && (long)d.Kernel * h.Kernel * w.Kernel <= PlaneIndexTaps
            && w.Out >= PlaneIndexRowLimit && w.InteriorEnd - w.InteriorBegin >= Vector512<float>.Count
            && w.FirstValid(0) < w.EndValid(0) && w.FirstValid(w.Out - 1) < w.EndValid(w.Out - 1);
    }

    /// <summary>Output rows [r0, r1) of every plane: max and plane-local index, channels-first, float.</summary>
    private static void FirstMaxIndexPlaneRows(int r0, int r1, void* state)
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        float* x = (float*)job.X, y = (float*)job.Y;
        int kh = hAxis.Kernel, kw = wAxis.Kernel, sw = wAxis.Stride;
        int width = wAxis.In, wOut = wAxis.Out;

        // Offset of tap t = (jd * kh + jh) * kw + jw from the window's first input.
        int* table = stackalloc int[PlaneIndexTaps];
        for (int t = 0; t < PlaneIndexTaps; t++)
        {
            int jw = t % kw, jh = t / kw % kh, jd = t / kw / kh;
            table[t] = (int)((((long)jd * dAxis.Dilation * hAxis.In) + ((long)jh * hAxis.Dilation)) * width) + jw;
        }

        var rows = new PlaneRows(in g)
        {
            Input = x,
            End = x + g.InputLength,
            Table = table,
            Kh = kh,
            Kw = kw,
            Width = width,
            Stride = sw,
            Pad = wAxis.PadBegin,
            InteriorBegin = wAxis.InteriorBegin,
            InteriorEnd = wAxis.InteriorEnd,
        };
        var cursor = new RowCursor(g, r0);
        for (int r = r0; r < r1; r++, cursor.Next())
        {
            int od = cursor.Od, oh = cursor.Oh;
            float* xp = x + (cursor.Plane * g.InputPlane);
            float* yr = y + ((long)r * wOut);
            long* ir = job.Indices + ((long)r * wOut);
            int sd = dAxis.Start(od), sh = hAxis.Start(oh);
            (rows.Od, rows.Oh) = (od, oh);
            (rows.Fd, rows.Ed, rows.Fh, rows.Eh) = (dAxis.FirstValid(od), dAxis.EndValid(od), hAxis.FirstValid(oh), hAxis.EndValid(oh));
            if (rows.Fd >= rows.Ed || rows.Fh >= rows.Eh)
            {
                for (int ow = 0; ow < wOut; ow++)
                {
                    yr[ow] = MaxPosition(g, xp, 1, od, oh, ow, out ir[ow]);
                }

                continue;
            }

            // Tap offsets are relative to the full window's first input row (valid or not).
            rows.Plane = xp;
            rows.Window = xp + ((((long)sd * hAxis.In) + sh) * width);
            (rows.Lowest, rows.LastRow) = (table[((rows.Fd * kh) + rows.Fh) * kw], table[(((rows.Ed - 1) * kh) + rows.Eh - 1) * kw]);
            if (sw == 1)
            {
                PlaneIndexRow<UnitStride>(rows, yr, ir, wOut);
            }
            else
            {
                PlaneIndexRow<DoubleStride>(rows, yr, ir, wOut);
            }
        }
    }

    /// <summary>
    /// One output row of <paramref name="wOut"/> outputs. Windows inside the row go four vectors at a time for three-tap
    /// rows (the loads of a row shared by the taps, the four chains in parallel), else one vector at a time; the last
    /// vector overlaps the one before it. The vectors at either end whose windows reach into the padding are computed
    /// whole with masked taps, and the interior lanes they share are written again with the same values.
    /// </summary>
    private static void PlaneIndexRow<TStride>(in PlaneRows rows, float* yr, long* ir, int wOut)
        where TStride : IColumnStride
    {
        int lanes = Vector512<float>.Count;
        int ib = rows.InteriorBegin, ie = rows.InteriorEnd;

        // Three taps, padding 1: only output 0's first tap lies left of the row, and the first quad starts at output 0
        // with that lane's first tap passed over.
        bool leftInQuad = rows.Kw == 3 && rows.Pad == 1 && ib == 1 && ie > 3 * lanes;
        if (ib > 0 && !leftInQuad)
        {
            PlaneIndexVector<TStride>(rows, yr, ir, 0);
        }

        if (ie < wOut)
        {
            PlaneIndexVector<TStride>(rows, yr, ir, wOut - lanes);
        }

        // Quads while more than three vectors remain (the last one overlapping), then single vectors.
        int c = leftInQuad ? 0 : ib;
        for (; rows.Kw == 3 && ie - c > 3 * lanes; c += 4 * lanes)
        {
            int o0 = c, o1 = c + lanes, o2 = c + (2 * lanes), o3 = Math.Min(c + (3 * lanes), ie - lanes);
            Vector512<float> left = c == 0 && leftInQuad ? Vector512.Create(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle() : default;
            if (!PlaneIndexQuad<TStride>(rows, yr, ir, o0, o1, o2, o3, left))
            {
                PlaneIndexVector<TStride>(rows, yr, ir, o0);
                PlaneIndexVector<TStride>(rows, yr, ir, o1);
                PlaneIndexVector<TStride>(rows, yr, ir, o2);
                PlaneIndexVector<TStride>(rows, yr, ir, o3);
            }
        }

        for (; c < ie; c += lanes)
        {
            PlaneIndexVector<TStride>(rows, yr, ir, Math.Min(c, ie - lanes));
        }
    }

    /// <summary>Outputs [o, o + 16) of the row; the scalar window where a load would leave the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PlaneIndexVector<TStride>(in PlaneRows rows, float* yr, long* ir, int o)
        where TStride : IColumnStride
    {
        int lanes = Vector512<float>.Count, sw = rows.Stride;
        Vector512<int> columns = Vector512.CreateSequence(0, sw);
        int start = (o * sw) - rows.Pad;
        float* p = rows.Window + start;
        int reach = rows.LastRow + rows.Kw - 1 + ((lanes - 1) * sw) + TStride.OverRead;
        if (p + rows.Lowest < rows.Input || p + reach >= rows.End)
        {
            for (int l = 0; l < lanes; l++)
            {
                yr[o + l] = MaxPosition(rows.G, rows.Plane, 1, rows.Od, rows.Oh, o + l, out ir[o + l]);
            }

            return;
        }

        Vector512<float> from;
        Vector512<float> best = o >= rows.InteriorBegin && o + lanes <= rows.InteriorEnd
            ? rows.Interior<TStride>(p, out from)
            : rows.Edge<TStride>(p, Vector512.Create(start) + columns, out from);
        StoreMaxIndex(rows, yr, ir, o, best, from);
    }

    /// <summary>
    /// Four vectors of windows inside the row with three taps per row, but for the lanes of <paramref name="left"/> in the
    /// first vector, whose first tap lies left of the row and is passed over; false (nothing written) where a load would
    /// leave the input.
    /// </summary>
    private static bool PlaneIndexQuad<TStride>(in PlaneRows rows, float* yr, long* ir, int o0, int o1, int o2, int o3, Vector512<float> left)
        where TStride : IColumnStride
    {
        int sw = rows.Stride;
        float* p0 = rows.Window + (o0 * sw) - rows.Pad, p1 = rows.Window + (o1 * sw) - rows.Pad;
        float* p2 = rows.Window + (o2 * sw) - rows.Pad, p3 = rows.Window + (o3 * sw) - rows.Pad;
        int* table = rows.Table;
        int kh = rows.Kh;
        if (p0 + rows.Lowest < rows.Input || p3 + rows.LastRow + TStride.Reach3 >= rows.End)
        {
            return false;
        }

        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default;
        bool seeded = false;
        for (int jd = rows.Fd; jd < rows.Ed; jd++)
        {
            for (int jh = rows.Fh; jh < rows.Eh; jh++)
            {
                int t0 = ((jd * kh) + jh) * 3, off = table[t0];
                var (r0, g0) = Row3<TStride>(p0 + off, t0, left);
                var (r1, g1) = Row3<TStride>(p1 + off, t0, default);
                var (r2, g2) = Row3<TStride>(p2 + off, t0, default);
                var (r3, g3) = Row3<TStride>(p3 + off, t0, default);
                if (seeded)
                {
                    Later(ref b0, ref f0, r0, g0);
                    Later(ref b1, ref f1, r1, g1);
                    Later(ref b2, ref f2, r2, g2);
                    Later(ref b3, ref f3, r3, g3);
                }
                else
                {
                    (b0, b1, b2, b3, f0, f1, f2, f3, seeded) = (r0, r1, r2, r3, g0, g1, g2, g3, true);
                }
            }
        }

        StoreMaxIndex(rows, yr, ir, o0, b0, f0);
        StoreMaxIndex(rows, yr, ir, o1, b1, f1);
        StoreMaxIndex(rows, yr, ir, o2, b2, f2);
        StoreMaxIndex(rows, yr, ir, o3, b3, f3);
        return true;
    }

    /// <summary>The three taps of one input row for 16 outputs, reduced in scan order: the max and the tap it came from. In the lanes of <paramref name="left"/> the first tap is passed over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Best, Vector512<float> From) Row3<TStride>(float* row, int t0, Vector512<float> left)
        where TStride : IColumnStride
    {
        TStride.Taps3(row, out Vector512<float> first, out Vector512<float> second, out Vector512<float> third);
        Vector512<float> from = Vector512.Create(t0).AsSingle();
        Vector512<float> takes = Takes(first, second) | left;
        first = Avx512F.BlendVariable(first, second, takes);
        from = Avx512F.BlendVariable(from, Vector512.Create(t0 + 1).AsSingle(), takes);
        Later(ref first, ref from, third, Vector512.Create(t0 + 2).AsSingle());
        return (first, from);
    }

    /// <summary>Stores 16 maxima and their plane-local indices (tap number to offset through the tap table, widened to 64 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMaxIndex(in PlaneRows rows, float* yr, long* ir, int o, Vector512<float> best, Vector512<float> from)
    {
        int lanes = Vector512<float>.Count, sw = rows.Stride;
        best.Store(yr + o);
        Vector512<int> at = Avx512F.PermuteVar16x32(Vector512.Load(rows.Table), from.AsInt32())
            + Vector512.CreateSequence(0, sw) + Vector512.Create((int)(rows.Window - rows.Plane) + (o * sw) - rows.Pad);
        Avx512F.ConvertToVector512Int64(at.GetLower()).Store(ir + o);
        Avx512F.ConvertToVector512Int64(at.GetUpper()).Store(ir + o + (lanes / 2));
    }

    /// <summary>The valid rows of one output row's windows, relative to the full window's first input row.</summary>
    private ref struct PlaneRows
    {
        /// <summary>The geometry, for the scalar window (<see cref="MaxPosition"/>) of output (<see cref="Od"/>, <see cref="Oh"/>, ow).</summary>
        public readonly ref readonly PoolGeometry G;
        public float* Input, End, Plane, Window;
        public int* Table;
        public int Od, Oh, Fd, Ed, Fh, Eh, Kh, Kw, Width, Stride, Pad, InteriorBegin, InteriorEnd;

        /// <summary>Offsets of the first valid row's first tap and of the last valid row's first tap, for the bounds of the loads.</summary>
        public int Lowest, LastRow;

        public PlaneRows(ref readonly PoolGeometry g) => G = ref g;

        /// <summary>
        /// 16 windows that lie inside the row: the max and the tap it came from (the tap number's bits in a float
        /// vector, so that one mask serves both selections). Each row of taps is reduced on its own and the rows are
        /// combined in scan order, so the rows' chains run in parallel.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector512<float> Interior<TStride>(float* p, out Vector512<float> from)
            where TStride : IColumnStride
        {
            Vector512<float> best = default;
            from = default;
            bool seeded = false;
            for (int jd = Fd; jd < Ed; jd++)
            {
                for (int jh = Fh; jh < Eh; jh++)
                {
                    int t0 = ((jd * Kh) + jh) * Kw;
                    float* row = p + Table[t0];
                    Vector512<float> rowBest = TStride.Tap(row);
                    Vector512<float> rowFrom = TapNumber(t0);
                    for (int jw = 1; jw < Kw; jw++)
                    {
                        Later(ref rowBest, ref rowFrom, TStride.Tap(row + jw), TapNumber(t0 + jw));
                    }

                    Seed(ref best, ref from, ref seeded, rowBest, rowFrom);
                }
            }

            return best;
        }

        /// <summary>16 windows of which some reach into the padding: lane l's taps in columns outside [0, Width) are skipped (<paramref name="column"/>: lane l's first column).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector512<float> Edge<TStride>(float* p, Vector512<int> column, out Vector512<float> from)
            where TStride : IColumnStride
        {
            Vector512<float> best = default;
            from = default;
            bool seeded = false;
            Vector512<int> width = Vector512.Create(Width);
            for (int jd = Fd; jd < Ed; jd++)
            {
                for (int jh = Fh; jh < Eh; jh++)
                {
                    int t0 = ((jd * Kh) + jh) * Kw;
                    float* row = p + Table[t0];

                    // Tap 0 seeds the row even where it lies left of the row; the first valid tap then replaces it.
                    Vector512<float> rowBest = TStride.Tap(row);
                    Vector512<float> rowFrom = TapNumber(t0);
                    for (int jw = 1; jw < Kw; jw++)
                    {
                        Vector512<int> c = column + Vector512.Create(jw);
                        Vector512<float> valid = (Vector512.GreaterThanOrEqual(c, Vector512<int>.Zero) & Vector512.LessThan(c, width)).AsSingle();
                        Vector512<float> firstValid = Vector512.Equals(c, Vector512<int>.Zero).AsSingle();
                        Vector512<float> value = TStride.Tap(row + jw);
                        Vector512<float> takes = (Takes(rowBest, value) | firstValid) & valid;
                        rowBest = Avx512F.BlendVariable(rowBest, value, takes);
                        rowFrom = Avx512F.BlendVariable(rowFrom, TapNumber(t0 + jw), takes);
                    }

                    Seed(ref best, ref from, ref seeded, rowBest, rowFrom);
                }
            }

            return best;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> TapNumber(int t) => Vector512.Create(t).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Seed(ref Vector512<float> best, ref Vector512<float> from, ref bool seeded, Vector512<float> rowBest, Vector512<float> rowFrom)
        {
            if (seeded)
            {
                Later(ref best, ref from, rowBest, rowFrom);
            }
            else
            {
                (best, from, seeded) = (rowBest, rowFrom, true);
            }
        }
    }

    /// <summary>Combines the result of earlier taps with that of later ones: the later wins where it is greater or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Later(ref Vector512<float> best, ref Vector512<float> from, Vector512<float> value, Vector512<float> at)
    {
        Vector512<float> takes = Takes(best, value);
        best = Avx512F.BlendVariable(best, value, takes);
        from = Avx512F.BlendVariable(from, at, takes);
    }

    /// <summary>
    /// The reducer's rule, where a later value replaces the max of earlier taps: greater, or NaN (so the first maximum and
    /// the last NaN win). A NaN-free form (greater alone, after a scan of the plane) measured slower on planes that come
    /// from memory: the scan reads the plane before the kernel instead of alongside it (3.7 -> 4.2 ms on the ResNet stem).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Takes(Vector512<float> best, Vector512<float> value) =>
        Avx512F.CompareGreaterThan(value, best) | Avx512F.CompareUnordered(value, value);

    /// <summary>How a row's 16 outputs read one tap along W.</summary>
    private interface IColumnStride
    {
        /// <summary>Elements read past the last tap.</summary>
        static abstract int OverRead { get; }

        /// <summary>Elements past p read by <see cref="Taps3"/>.</summary>
        static abstract int Reach3 { get; }

        /// <summary>Inputs p[0], p[s], .., p[15 s].</summary>
        static abstract Vector512<float> Tap(float* p);

        /// <summary>The taps at p, p + 1 and p + 2, with the loads they share.</summary>
        static abstract void Taps3(float* p, out Vector512<float> first, out Vector512<float> second, out Vector512<float> third);
    }

    private readonly struct UnitStride : IColumnStride
    {
        public static int OverRead => 0;

        public static int Reach3 => 17;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Taps3(float* p, out Vector512<float> first, out Vector512<float> second, out Vector512<float> third) =>
            (first, second, third) = (Vector512.Load(p), Vector512.Load(p + 1), Vector512.Load(p + 2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Tap(float* p) => Vector512.Load(p);
    }

    /// <summary>Stride 2: two loads de-interleaved by one permute (the second load reads one element past the last input).</summary>
    private readonly struct DoubleStride : IColumnStride
    {
        public static int OverRead => 1;

        /// <summary>Three loads: p[0..15] and p[16..31] give the even and odd taps, p[32] ends the third.</summary>
        public static int Reach3 => 47;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Taps3(float* p, out Vector512<float> first, out Vector512<float> second, out Vector512<float> third)
        {
            Vector512<float> a = Vector512.Load(p), b = Vector512.Load(p + 16);
            first = Avx512F.PermuteVar16x32x2(a, Vector512.CreateSequence(0, 2), b);
            second = Avx512F.PermuteVar16x32x2(a, Vector512.CreateSequence(1, 2), b);
            third = Avx512F.AlignRight32(Vector512.Load(p + 32).AsInt32(), first.AsInt32(), 1).AsSingle();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Tap(float* p) => Avx512F.PermuteVar16x32x2(Vector512.Load(p), Vector512.CreateSequence(0, 2), Vector512.Load(p + 16));
    }
}
