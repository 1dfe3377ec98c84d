using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-first 1-D and 2-D pooling of short rows, a plane at a time, with the rows of a plane joined
/// into one long row wherever the window arithmetic allows it, so a pass costs one loop per plane rather
/// than one per row:
/// <list type="bullet">
/// <item>Vertical, stride 1: the interior output rows read input rows at fixed offsets of the flattened
/// plane, so they are one loop <c>V[i] = x[i - p·W] ⊕ … ⊕ x[i + (k - 1 - p)·W]</c>; other rows fold their valid rows.</item>
/// <item>Horizontal, when every output row starts where the previous one would continue (stride 1 with
/// as many outputs as inputs, or stride 2 with exactly half): one loop over the flattened rows of equal
/// divisor, then the border columns (whose flattened windows straddle two rows) are redone from their valid taps.</item>
/// </list>
/// Max first checks the plane for NaN and, when there is none, runs with the one-instruction NaN-free maximum.
/// Work is split over planes.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>What every plane of one call shares: sizes and interior ranges (computed once, they cost divisions).</summary>
    private readonly struct FlatPlan
    {
        public FlatPlan(in PoolGeometry g)
        {
            (Width, HOut, WOut) = (g.W.In, g.H.Out, g.W.Out);
            (KH, HStride, HPad) = (g.H.Kernel, g.H.Stride, g.H.PadBegin);
            (KW, WStride, WPad) = (g.W.Kernel, g.W.Stride, g.W.PadBegin);
            (HB, HE, IB, IE) = (g.H.InteriorBegin, g.H.InteriorEnd, g.W.InteriorBegin, g.W.InteriorEnd);
            (DOut, HIn, KD) = (g.D.Out, g.H.In, g.D.Kernel);
            PairShape = g.W.Kernel == 2 && g.W.Stride == 2 && g.W.PadBegin == 0 && g.W.In == 2 * g.W.Out;
        }

        public int Width { get; }
        public int HOut { get; }
        public int WOut { get; }
        public int KH { get; }
        public int HStride { get; }
        public int HPad { get; }
        public int KW { get; }
        public int WStride { get; }
        public int WPad { get; }
        public int HB { get; }
        public int HE { get; }
        public int IB { get; }
        public int IE { get; }
        public int DOut { get; }

        public int KD { get; }

        public int HIn { get; }

        /// <summary>Horizontal pairs: kernel 2, stride 2, no padding, W = 2·Wo.</summary>
        public bool PairShape { get; }
    }

    /// <summary>Whether a channels-first geometry takes the flattened-plane path.</summary>
    private static bool FlatPays<T>(in PoolGeometry g)
        where T : unmanaged
    {
        var (d, h, w) = (g.D, g.H, g.W);
        if (g.Layout != TensorLayout.ChannelsFirst || !Vector.IsHardwareAccelerated || d.Adaptive || h.Adaptive || w.Adaptive
            || d.Dilation != 1 || h.Dilation != 1 || w.Dilation != 1 || w.In < Vector<T>.Count || g.InputPlane > int.MaxValue)
        {
            return false;
        }

        if (Pairs<T>(w))
        {
            return w.Out >= Vector<T>.Count;
        }

        // Depth windows, wide rows (row by row) and large stride-1 windows (sliding on plane blocks) go elsewhere.
        if (d.In != 1 || d.Kernel != 1 || w.In >= BlockRowLimit || SlidingPays(g with { C = Vector<T>.Count, Layout = TensorLayout.ChannelsLast }))
        {
            return false;
        }

        // Rows that do not join (odd widths at stride 2, ceil overhangs) cost per-row passes: plane blocks do better there.
        bool rowsJoin = (w.Stride == 1 && w.Out == w.In) || (w.Stride == 2 && w.In == 2 * w.Out);
        long scratch = ((2L * h.Out * w.In) + Vector<T>.Count) * sizeof(T);
        return rowsJoin && scratch <= ThreadScratch.MaxBytes / 2;
    }

    private static void ForwardFlat<T, TRed>(in PoolGeometry g, T* x, T* y, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var job = new Job { G = g, X = x, Y = y, Divisor = divisor };
        long planes = (long)g.N * g.C;
        delegate*<int, int, void*, void> body = TRed.IsMax && (typeof(T) == typeof(float) || typeof(T) == typeof(double))
            ? &FlatPlanes<T, TRed, NaNFreeMaxReducer<T>> : &FlatPlanes<T, TRed, TRed>;
        Workers.For((int)planes, g.InputLength + g.OutputLength, body, &job);
    }

    /// <summary>Planes [p0, p1).</summary>
    private static void FlatPlanes<T, TRed, TFast>(int p0, int p1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
        where TFast : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var plan = new FlatPlan(g);
        int width = plan.Width, hOut = plan.HOut, wOut = plan.WOut;
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;

        // Scratch: the vertical result (hOut rows of W), the stride-1 horizontal pass, the span tables.
        long vBytes = (((long)hOut * width * sizeof(T)) + 63) & ~63L;
        long hBytes = ((((long)hOut * width) + Vector<T>.Count) * sizeof(T) + 63) & ~63L;
        byte* scratch = ThreadScratch.Get(vBytes + hBytes + (TableLength(g) * sizeof(AxisSpan)), inner: false);
        T* v = (T*)scratch, h = (T*)(scratch + vBytes);
        var cols = (AxisSpan*)(scratch + vBytes + hBytes);
        FillTables(g, job.Divisor.Mode, cols);
        var hSpans = cols + wOut + g.D.Out;

        // The border columns (all columns when there is no interior), moved to the front of the column table.
        int borders = 0;
        for (int ow = 0; ow < wOut; ow++)
        {
            if (ow < plan.IB || ow >= plan.IE || plan.IE <= plan.IB)
            {
                cols[borders++] = cols[ow];
            }
        }

        // 3 x 3 'same' float planes of Inception's sizes: rows in registers (max NaN-free, or sums).
        bool same3Max = typeof(TFast) != typeof(TRed) && Same3Pays<T>(plan);
        bool same3Sum = typeof(TRed) == typeof(SumReducer<float>) && Same3Pays<T>(plan);
        Same3Layout same3 = default;
        Vector512<float>* same3Divisors = stackalloc Vector512<float>[9];
        if (same3Max || same3Sum)
        {
            same3 = Same3Layout.Of(width);
            if (same3Sum)
            {
                Same3Divisors(g, job.Divisor, same3, same3Divisors);
            }
        }

        for (int p = p0; p < p1; p++)
        {
            T* xp = (T*)job.X + (p * inPlane);
            T* yp = (T*)job.Y + (p * outPlane);
            bool fast = typeof(TFast) != typeof(TRed);
            if (same3Max && Same3Plane<NaNFreeMaxReducer<float>>((float*)xp, (float*)yp, plan.HOut, same3, null, checkNaN: true))
            {
                continue;
            }

            if (same3Sum)
            {
                Same3Plane<SumReducer<float>>((float*)xp, (float*)yp, plan.HOut, same3, same3Divisors, checkNaN: false);
                continue;
            }

            if (sizeof(T) == 4 && plan.PairShape)
            {
                if (fast && !ContainsNaN(xp, (int)inPlane))
                {
                    PairRows<T, TFast>(plan, xp, yp, hSpans - plan.DOut, hSpans, job.Divisor);
                }
                else
                {
                    PairRows<T, TRed>(plan, xp, yp, hSpans - plan.DOut, hSpans, job.Divisor);
                }
            }
            else if (fast && !FlatVertical<T, TFast>(plan, xp, v, hSpans, checkNaN: true))
            {
                // Max: cheap maxima when the vertical pass, which loads every input it reduces, sees no NaN.
                FlatHorizontal<T, TFast>(plan, v, h, yp, cols, borders, hSpans, job.Divisor);
            }
            else
            {
                FlatVertical<T, TRed>(plan, xp, v, hSpans, checkNaN: false);
                FlatHorizontal<T, TRed>(plan, v, h, yp, cols, borders, hSpans, job.Divisor);
            }

            if (SignedZeros<T, TRed>() && AnyZero(yp, outPlane))
            {
                // Columns first: zero maxima settled in PyTorch's order.
                for (int od = 0; od < g.D.Out; od++)
                {
                    for (int oh = 0; oh < hOut; oh++)
                    {
                        SettleZeroMaxima<T, TRed>(g, xp, yp + (((long)od * hOut) + oh) * wOut, od, oh, 1);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether pooling of a float plane is the 3 x 3, stride 1, padding 1 kind with rows of 17 to 48 elements, which
    /// <see cref="Same3Plane{TRed}"/> computes with every row held in two or three 512-bit registers.
    /// </summary>
    private static bool Same3Pays<T>(in FlatPlan plan)
        where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && plan.DOut == 1 && plan.KD == 1
        && plan.KH == 3 && plan.HStride == 1 && plan.HPad == 1 && plan.HOut == plan.HIn && plan.HIn >= 2
        && plan.KW == 3 && plan.WStride == 1 && plan.WPad == 1 && plan.WOut == plan.Width
        && plan.Width > Vector512<float>.Count && plan.Width <= 3 * Vector512<float>.Count;

    /// <summary>
    /// How <see cref="Same3Plane{TRed}"/> holds a row of W (17 to 48) floats: A = columns 0..15, B = columns 16..31 when W &gt; 32,
    /// Z = columns W−16..W−1 (overlapping the one before it), and the permutes that give each vector its left and right
    /// neighbours (column − 1 and + 1) from the vector itself, the vector beside it and, past the row's ends, the padding.
    /// </summary>
    private readonly struct Same3Layout
    {
        public int Width { get; init; }

        public bool Three { get; init; }

        public Vector512<int> ALeft { get; init; }   // (A, pad)
        public Vector512<int> ARight { get; init; }  // (A, B or Z)
        public Vector512<int> BLeft { get; init; }   // (B, A)
        public Vector512<int> BRight { get; init; }  // (B, Z)
        public Vector512<int> ZLeft { get; init; }   // (Z, B or A)
        public Vector512<int> ZRight { get; init; }  // (Z, pad)

        public static Same3Layout Of(int width)
        {
            bool three = width > 32;
            int* al = stackalloc int[16], ar = stackalloc int[16], bl = stackalloc int[16], br = stackalloc int[16], zl = stackalloc int[16], zr = stackalloc int[16];
            for (int l = 0; l < 16; l++)
            {
                al[l] = l == 0 ? 16 : l - 1;
                ar[l] = l < 15 ? l + 1 : three ? 16 : 16 + (32 - width);   // column 16: B's first, or Z's lane 32 − W
                bl[l] = l == 0 ? 16 + 15 : l - 1;                           // column 15: A's last
                br[l] = l < 15 ? l + 1 : 16 + (48 - width);                 // column 32: Z's lane 48 − W
                zl[l] = l > 0 ? l - 1 : three ? 16 + (width - 33) : 16 + (width - 17); // column W − 17: in B, or in A
                zr[l] = l == 15 ? 16 : l + 1;
            }

            return new Same3Layout
            {
                Width = width,
                Three = three,
                ALeft = Vector512.Load(al),
                ARight = Vector512.Load(ar),
                BLeft = Vector512.Load(bl),
                BRight = Vector512.Load(br),
                ZLeft = Vector512.Load(zl),
                ZRight = Vector512.Load(zr),
            };
        }
    }

    /// <summary>
    /// The divisors of the sums of <see cref="Same3Plane{TRed}"/>: for the first row, the interior rows and the last row, the
    /// A, B and Z vectors of each output's divisor (the row's part times the column's part, or the override).
    /// </summary>
    private static void Same3Divisors(in PoolGeometry g, Divisor divisor, in Same3Layout layout, Vector512<float>* result)
    {
        float* lane = stackalloc float[16];
        for (int k = 0; k < 3; k++)
        {
            int row = k == 0 ? 0 : k == 1 ? Math.Min(1, g.H.Out - 1) : g.H.Out - 1;
            int rowPart = AxisSpan.Of(g.H, divisor.Mode, row).Part;
            for (int part = 0; part < 3; part++)
            {
                int first = part == 0 ? 0 : part == 1 ? 16 : layout.Width - 16;
                for (int l = 0; l < 16; l++)
                {
                    lane[l] = divisor.Combine(rowPart, AxisSpan.Of(g.W, divisor.Mode, Math.Min(first + l, layout.Width - 1)).Part);
                }

                result[(3 * k) + part] = Vector512.Load(lane);
            }
        }
    }

    /// <summary>
    /// One plane of 3 x 3, stride 1, padding 1 pooling with rows of 17 to 48 floats (<see cref="Same3Layout"/>): each input
    /// row is reduced across its windows' columns once (neighbours from two-register permutes), three such rows make an
    /// output row, and nothing but the input and the output goes through memory. Rows before columns, and in each
    /// combination the earlier taps as the accumulator: maxps keeps its second operand on equality, so the first of equal
    /// values in PyTorch's row-major order (+0 and −0) stays; sums pad with −0,
    /// which leaves every sum as it is, and are divided by <paramref name="divisors"/> (<see cref="Same3Divisors"/>).
    /// With <paramref name="checkNaN"/>, returns false when the plane holds a NaN (the caller computes it again exactly).
    /// </summary>
    private static bool Same3Plane<TRed>(float* xp, float* yp, int h, in Same3Layout layout, Vector512<float>* divisors, bool checkNaN)
        where TRed : IReducer<float> =>
        layout.Three ? Same3Plane<TRed, ThreeVectors>(xp, yp, h, layout, divisors, checkNaN) : Same3Plane<TRed, TwoVectors>(xp, yp, h, layout, divisors, checkNaN);

    /// <summary>Two or three vectors per row, as a type so that each form is compiled without the other's branches.</summary>
    private interface IVectorsPerRow
    {
        static abstract bool Three { get; }
    }

    private readonly struct TwoVectors : IVectorsPerRow
    {
        public static bool Three => false;
    }

    private readonly struct ThreeVectors : IVectorsPerRow
    {
        public static bool Three => true;
    }

    private static bool Same3Plane<TRed, TRow>(float* xp, float* yp, int h, in Same3Layout layout, Vector512<float>* divisors, bool checkNaN)
        where TRed : IReducer<float>
        where TRow : IVectorsPerRow
    {
        var pad = Vector512.Create(TRed.SeedWithFirst ? float.NegativeInfinity : -0f);
        int w = layout.Width, tail = w - 16;
        bool three = TRow.Three;
        var bad = Vector512<float>.Zero;

        // Each input row is reduced across its three columns once; an output row then combines three of those, earlier rows first.
        Vector512<float> pA = pad, pB = pad, pZ = pad;                              // the row above (padding above row 0)
        Same3Row<TRed>(xp, layout, three, pad, checkNaN, out var cA, out var cB, out var cZ, out var nan);
        bad |= nan;
        for (int r = 0; r < h; r++)
        {
            Vector512<float> nA = pad, nB = pad, nZ = pad;                          // the row below (padding below the last row)
            if (r + 1 < h)
            {
                Same3Row<TRed>(xp + ((long)(r + 1) * w), layout, three, pad, checkNaN, out nA, out nB, out nZ, out nan);
                bad |= nan;
            }

            Vector512<float> outA = TRed.Combine(TRed.Combine(pA, cA), nA), outZ = TRed.Combine(TRed.Combine(pZ, cZ), nZ);
            int k = r == 0 ? 0 : r == h - 1 ? 6 : 3;
            float* y = yp + ((long)r * w);
            if (divisors != null)
            {
                outA /= divisors[k];
                outZ /= divisors[k + 2];
            }

            outA.Store(y);
            outZ.Store(y + tail);
            if (three)
            {
                Vector512<float> outB = TRed.Combine(TRed.Combine(pB, cB), nB);
                (divisors != null ? outB / divisors[k + 1] : outB).Store(y + 16);
            }

            (pA, pB, pZ, cA, cB, cZ) = (cA, cB, cZ, nA, nB, nZ);
        }

        return !checkNaN || bad == Vector512<float>.Zero;
    }

    /// <summary>
    /// The row at <paramref name="x"/> reduced across each output column's three taps (left neighbour, itself, right
    /// neighbour; padding past the ends), as the A, B and Z vectors of <see cref="Same3Layout"/>; with <paramref name="checkNaN"/>, its NaN lanes in <paramref name="nan"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Same3Row<TRed>(float* x, in Same3Layout layout, bool three, Vector512<float> pad, bool checkNaN,
        out Vector512<float> a, out Vector512<float> b, out Vector512<float> z, out Vector512<float> nan)
        where TRed : IReducer<float>
    {
        Vector512<float> xa = Vector512.Load(x), xb = three ? Vector512.Load(x + 16) : pad, xz = Vector512.Load(x + layout.Width - 16);
        nan = checkNaN ? Avx512F.CompareUnordered(xa, xz) | Avx512F.CompareUnordered(xb, xb) : Vector512<float>.Zero;
        a = TRed.Combine(TRed.Combine(Avx512F.PermuteVar16x32x2(xa, layout.ALeft, pad), xa), Avx512F.PermuteVar16x32x2(xa, layout.ARight, three ? xb : xz));
        z = TRed.Combine(TRed.Combine(Avx512F.PermuteVar16x32x2(xz, layout.ZLeft, three ? xb : xa), xz), Avx512F.PermuteVar16x32x2(xz, layout.ZRight, pad));
        b = three ? TRed.Combine(TRed.Combine(Avx512F.PermuteVar16x32x2(xb, layout.BLeft, xa), xb), Avx512F.PermuteVar16x32x2(xb, layout.BRight, xz)) : pad;
    }

    /// <summary>The vertical pass of a flattened plane into <paramref name="v"/>; with <paramref name="checkNaN"/>, whether a reduced input is NaN.</summary>
    private static bool FlatVertical<T, TRed>(in FlatPlan plan, T* xp, T* v, AxisSpan* hSpans, bool checkNaN)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int width = plan.Width, hOut = plan.HOut, kh = plan.KH;
        bool nan = false;

        // Interior rows at stride 1: one flattened loop.
        int hb = plan.HB, he = plan.HE;
        bool joined = plan.HStride == 1 && he - hb > 1;
        for (int oh = 0; oh < hOut; oh++)
        {
            if (joined && oh == hb)
            {
                T* first = xp + ((long)(hb - plan.HPad) * width);
                nan |= FoldStrided<T, TRed>(first, kh, width, (he - hb) * width, v + ((long)hb * width), checkNaN);
                oh = he - 1;
                continue;
            }

            AxisSpan hs = hSpans[oh];
            T* vr = v + ((long)oh * width);
            if (hs.Count == 0)
            {
                new Span<T>(vr, width).Fill(TRed.Empty);
                continue;
            }

            nan |= FoldStrided<T, TRed>(xp + ((long)hs.First * width), hs.Count, width, width, vr, checkNaN);
        }

        return nan;
    }

    /// <summary>The horizontal pass of a flattened plane from the vertical rows <paramref name="v"/> into <paramref name="yp"/>.</summary>
    private static void FlatHorizontal<T, TRed>(in FlatPlan plan, T* v, T* h, T* yp, AxisSpan* border, int borders, AxisSpan* hSpans, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int width = plan.Width, hOut = plan.HOut, wOut = plan.WOut;

        // Runs of rows with one row divisor part, interior columns flattened, then border columns.
        int ib = plan.IB, ie = plan.IE;
        for (int a = 0; a < hOut;)
        {
            // Without a per-row divisor (max, plain sums, an override) every row with taps joins one run.
            bool rowDivisor = divisor.Mode is DivisorMode.ValidCount or DivisorMode.PaddedCount;
            int part = hSpans[a].Part;
            int b = a + 1;
            while (b < hOut && (!rowDivisor || hSpans[b].Part == part) && hSpans[b].Count != 0 && hSpans[a].Count != 0)
            {
                b++;
            }

            if (ie > ib)
            {
                long divisorValue = divisor.Combine(part, plan.KW);
                int first = (a * wOut) + ib, end = ((b - 1) * wOut) + ie; // flattened outputs of the run's interior columns
                JoinedRows<T, TRed>(v, h, yp, plan, first, end, divisorValue);
            }

            int from = a;
            if (sizeof(T) == 4 && Avx2.IsSupported && Vector<T>.Count == 8 && hSpans[a].Count != 0)
            {
                from = BorderColumns8<T, TRed>(v, yp, width, wOut, a, b, border, borders, part, divisor);
            }

            for (int oh = from; oh < b; oh++)
            {
                T* vr = v + ((long)oh * width);
                T* yr = yp + ((long)oh * wOut);
                bool empty = hSpans[oh].Count == 0;
                for (int k = 0; k < borders; k++)
                {
                    AxisSpan col = border[k];
                    if (col.Count == 0 || empty)
                    {
                        yr[col.Out] = TRed.Empty;
                        continue;
                    }

                    T acc = vr[col.First];
                    for (int t = 1; t < col.Count; t++)
                    {
                        acc = TRed.Combine(acc, vr[col.First + t]);
                    }

                    yr[col.Out] = Finish(acc, divisor.Combine(part, col.Part));
                }
            }

            a = b;
        }
    }

    /// <summary>
    /// The border columns of rows [a, b) (all with taps and one row divisor part), eight rows at a time:
    /// each tap of a column is gathered from eight rows, reduced, divided, and stored lane by lane.
    /// Returns the first row left for the scalar loop.
    /// </summary>
    private static int BorderColumns8<T, TRed>(T* v, T* yp, int width, int wOut, int a, int b, AxisSpan* border, int borders, int part, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int oh = a;
        Vector256<int> rows = Vector256<int>.Indices * width;
        for (; oh + 8 <= b; oh += 8)
        {
            for (int k = 0; k < borders; k++)
            {
                AxisSpan col = border[k];
                T* yc = yp + ((long)oh * wOut) + col.Out;
                if (col.Count == 0)
                {
                    for (int l = 0; l < 8; l++)
                    {
                        yc[(long)l * wOut] = TRed.Empty;
                    }

                    continue;
                }

                float* at = (float*)v + ((long)oh * width) + col.First;
                Vector<T> acc = Avx2.GatherVector256(at, rows, 4).As<float, T>().AsVector();
                for (int t = 1; t < col.Count; t++)
                {
                    acc = TRed.Combine(acc, Avx2.GatherVector256(at + t, rows, 4).As<float, T>().AsVector());
                }

                long divisorValue = divisor.Combine(part, col.Part);
                if (divisorValue != 1)
                {
                    acc /= new Vector<T>(T.CreateChecked(divisorValue));
                }

                for (int l = 0; l < 8; l++)
                {
                    yc[(long)l * wOut] = acc[l];
                }
            }
        }

        return oh;
    }

    /// <summary>Non-overlapping horizontal pairs (kernel 2, stride 2, no padding, W = 2·Wo) of 4-byte elements: the fused pair path.</summary>
    private static bool Pairs<T>(in PoolAxis w)
        where T : unmanaged => sizeof(T) == 4 && w.Kernel == 2 && w.Stride == 2 && w.PadBegin == 0 && w.In == 2 * w.Out;

    /// <summary>
    /// Every output row of a plane for horizontal pairs: 2·L input columns of each valid row are reduced
    /// as two vectors, then the even and odd elements (a pair of 4-byte elements read as one 8-byte lane,
    /// narrowed to its low or high half) are combined into L outputs.
    /// </summary>
    private static void PairRows<T, TRed>(in FlatPlan plan, T* xp, T* yp, AxisSpan* dSpans, AxisSpan* hSpans, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector<T>.Count, width = plan.Width, wOut = plan.WOut;
        long slice = (long)plan.HIn * width;
        for (int od = 0; od < plan.DOut; od++)
        {
            AxisSpan ds = dSpans[od];
            for (int oh = 0; oh < plan.HOut; oh++, yp += wOut)
            {
                AxisSpan hs = hSpans[oh];
                if (ds.Count == 0 || hs.Count == 0)
                {
                    new Span<T>(yp, wOut).Fill(TRed.Empty);
                    continue;
                }

                T* row = xp + (ds.First * slice) + ((long)hs.First * width);
                long divisorValue = divisor.Combine((long)ds.Part * hs.Part, 2);
                var scale = new Vector<T>(T.CreateChecked(divisorValue));
                for (int o = 0; ; o += lanes)
                {
                    o = Math.Min(o, wOut - lanes); // overlapping last vector: recomputed from the input, same values
                    T* at = row + (2L * o);
                    Vector<T> lo = Vector.Load(at), hi = Vector.Load(at + lanes);
                    for (int j = 1; j < hs.Count; j++)
                    {
                        T* next = at + ((long)j * width);
                        lo = TRed.Combine(lo, Vector.Load(next));
                        hi = TRed.Combine(hi, Vector.Load(next + lanes));
                    }

                    // Further depth slices (3-D), each with all its rows.
                    for (int jd = 1; jd < ds.Count; jd++)
                    {
                        for (int j = 0; j < hs.Count; j++)
                        {
                            T* next = at + (jd * slice) + ((long)j * width);
                            lo = TRed.Combine(lo, Vector.Load(next));
                            hi = TRed.Combine(hi, Vector.Load(next + lanes));
                        }
                    }

                    Vector<ulong> l = lo.As<T, ulong>(), h = hi.As<T, ulong>();
                    Vector<T> even = Vector.Narrow(l, h).As<uint, T>();
                    Vector<T> odd = Vector.Narrow(Vector.ShiftRightLogical(l, 32), Vector.ShiftRightLogical(h, 32)).As<uint, T>();
                    Vector<T> acc = TRed.Combine(even, odd);
                    (divisorValue == 1 ? acc : acc / scale).Store(yp + o);
                    if (o + lanes >= wOut)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Flattened outputs [first, end) from the joined vertical rows <paramref name="v"/>: output j reduces
    /// <c>v[s·j - pad + t]</c> for t &lt; k (valid for interior columns; the border columns in between rows
    /// straddle two rows and are redone by the caller).
    /// </summary>
    private static void JoinedRows<T, TRed>(T* v, T* h, T* y, in FlatPlan plan, int first, int end, long divisorValue)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector<T>.Count, kw = plan.KW, s = plan.WStride;
        var scale = new Vector<T>(T.CreateChecked(divisorValue));
        T* start = v + ((long)first * s) - plan.WPad;
        int count = s == 1 ? end - first : ((end - 1 - first) * s) + 1; // stride-1 window starts needed
        T* into = s == 1 ? y + first : h;
        if (count >= lanes)
        {
            for (int t = 0; ; t += lanes)
            {
                t = Math.Min(t, count - lanes);
                Vector<T> acc = Vector.Load(start + t);
                if (kw == 3)
                {
                    acc = TRed.Combine(TRed.Combine(acc, Vector.Load(start + t + 1)), Vector.Load(start + t + 2));
                }
                else
                {
                    for (int j = 1; j < kw; j++)
                    {
                        acc = TRed.Combine(acc, Vector.Load(start + t + j));
                    }
                }

                (s == 1 ? (divisorValue == 1 ? acc : acc / scale) : acc).Store(into + t);
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
                for (int j = 1; j < kw; j++)
                {
                    acc = TRed.Combine(acc, start[t + j]);
                }

                into[t] = s == 1 ? Finish(acc, divisorValue) : acc;
            }
        }

        if (s == 1)
        {
            return;
        }

        // Larger strides: every s-th stride-1 result.
        int o = first;
        if (sizeof(T) == 4 && s == 2)
        {
            // A pair of 4-byte elements read as one 8-byte lane, narrowed to its low half (the even one).
            for (; o + lanes <= end; o += lanes)
            {
                T* pair = h + ((long)(o - first) * 2);
                Vector<T> even = Vector.Narrow(Vector.Load(pair).As<T, ulong>(), Vector.Load(pair + lanes).As<T, ulong>()).As<uint, T>();
                (divisorValue == 1 ? even : even / scale).Store(y + o);
            }
        }

        for (; o < end; o++)
        {
            y[o] = Finish(h[(long)(o - first) * s], divisorValue);
        }
    }

    /// <summary>
    /// <c>into[i] = x[i] ⊕ x[i + stride] ⊕ … ⊕ x[i + (count - 1)·stride]</c> for i &lt; <paramref name="length"/>, in that order;
    /// with <paramref name="checkNaN"/>, returns whether any of those inputs is NaN.
    /// </summary>
    private static bool FoldStrided<T, TRed>(T* x, int count, int stride, int length, T* into, bool checkNaN)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector<T>.Count;
        if (count == 1)
        {
            new ReadOnlySpan<T>(x, length).CopyTo(new Span<T>(into, length));
            return checkNaN && ContainsNaN(x, length);
        }

        int i = 0;
        var bad = Vector<T>.Zero;
        if (length >= lanes)
        {
            for (; ; i += lanes)
            {
                i = Math.Min(i, length - lanes); // overlapping last vector: recomputed from the input, same values
                Vector<T> a0 = Vector.Load(x + i), a1 = Vector.Load(x + i + stride);
                Vector<T> acc = TRed.Combine(a0, a1);
                if (checkNaN)
                {
                    bad |= NaNLanes(a0, a1);
                }

                for (int j = 2; j < count; j++)
                {
                    Vector<T> aj = Vector.Load(x + i + ((long)j * stride));
                    acc = TRed.Combine(acc, aj);
                    if (checkNaN)
                    {
                        bad |= NaNLanes(aj, aj);
                    }
                }

                acc.Store(into + i);
                if (i + lanes >= length)
                {
                    return bad != Vector<T>.Zero;
                }
            }
        }

        bool nan = false;
        for (; i < length; i++)
        {
            T acc = x[i];
            nan |= checkNaN && T.IsNaN(acc);
            for (int j = 1; j < count; j++)
            {
                T xj = x[i + ((long)j * stride)];
                acc = TRed.Combine(acc, xj);
                nan |= checkNaN && T.IsNaN(xj);
            }

            into[i] = acc;
        }

        return nan;
    }
}
