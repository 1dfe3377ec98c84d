using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-first float planes, stride 1, windows of 5 to 16 columns and 5 or more rows, whose padded rows fit
/// four 512-bit registers (64 lanes: ResNet's and DenseNet's 56 x 56 and smaller), a plane at a time:
/// <list type="bullet">
/// <item>Horizontal first, each input row once: the row is loaded into four registers at its padding offset (masked
/// loads; the other lanes hold the padding value, −inf for max and −0 for sums) and reduced across the window by
/// doubling with two-register permutes: max combines a run with itself shifted (overlapping halves do no harm), sums
/// add disjoint power-of-two runs. Three steps for 5 to 8 columns.</item>
/// <item>Vertical: the van Herk / Gil-Werman block algorithm over the rows of horizontal results (L1 scratch, with the
/// padding rows in place): about three reductions per output whatever the window's height.</item>
/// </list>
/// Every reduction takes the earlier taps as its accumulator, and rows are reduced before they are combined, so ties
/// resolve as PyTorch's row-major scan does: the first of equal maxima wins (+0 against −0). Max runs with the
/// one-instruction maximum while the plane proves NaN-free as it is loaded, and the plane is computed again with the
/// exact rule otherwise. Work is split over planes.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>Lanes of a padded row: four 512-bit vectors of floats.</summary>
    private const int RegisterRowLanes = 64;

    /// <summary>
    /// Whether a channels-first geometry takes <see cref="RegisterRowPlanes{TRed}"/>: float max or sums, 2-D, stride 1,
    /// no dilation, windows of at least <see cref="SlidingMinKernel"/> on both axes and at most 16 columns, every window
    /// holding an input, and rows that fit <see cref="RegisterRowLanes"/> lanes with their padding.
    /// </summary>
    private static bool RegisterRowsPay<T, TRed>(in PoolGeometry g)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) || !Avx512F.IsSupported || g.Layout != TensorLayout.ChannelsFirst
            || (typeof(TRed) != typeof(MaxReducer<float>) && typeof(TRed) != typeof(SumReducer<float>)))
        {
            return false;
        }

        static bool Unit(in PoolAxis a) =>
            !a.Adaptive && a.Stride == 1 && a.Dilation == 1 && a.Kernel >= SlidingMinKernel && a.Out >= 1
            && a.ValidCount(0) > 0 && a.ValidCount(a.Out - 1) > 0;
        var (d, h, w) = (g.D, g.H, g.W);
        return d.In == 1 && d.Kernel == 1 && !d.Adaptive && Unit(h) && Unit(w) && w.Kernel <= 16
            && w.PadBegin + w.In <= RegisterRowLanes && w.Out + w.Kernel - 1 <= RegisterRowLanes
            && RegisterRowsScratch(g) <= ThreadScratch.MaxBytes / 2;
    }

    /// <summary>Whether channels-first float max pooling of <paramref name="g"/> runs on <see cref="RegisterRowPlanes{TRed}"/> (for tests).</summary>
    internal static bool TakesRegisterRows(in PoolGeometry g) => !WholePlanes<float>(g) && RegisterRowsPay<float, MaxReducer<float>>(g);

    /// <summary>
    /// Scratch of a <see cref="RegisterRowPlan"/>: the padded rows of horizontal results, one block of suffixes, the row
    /// parts of the divisors and an output plane to stream from.
    /// </summary>
    private static long RegisterRowsScratch(in PoolGeometry g) =>
        ((((long)g.H.Out + (2L * g.H.Kernel)) * 4 * 64) + (4L * g.H.Out) + 64 + (4L * g.OutputPlane) + 63) & ~63L;

    private static void ForwardRegisterRows<TRed>(in PoolGeometry g, float* x, float* y, Divisor divisor)
        where TRed : IReducer<float>
    {
        var job = new Job { G = g, X = x, Y = y, Divisor = divisor };
        Workers.For((int)((long)g.N * g.C), g.InputLength + g.OutputLength, &RegisterRowPlanes<TRed>, &job);
    }

    /// <summary>What every plane of a call shares: sizes, masks, shift permutes, divisors and the scratch.</summary>
    private struct RegisterRowPlan
    {
        public int Width;
        public int Height;
        public int WOut;
        public int HOut;
        public int KW;
        public int KH;
        public int PadLeft;
        public int PadTop;
        public Vector512<float> Pad;
        public Vector512<float>* LoadMasks;   // 4: lanes that hold a column of the row
        public Vector512<float>* StoreMasks;  // 4: lanes that hold an output column
        public Vector512<int>* Shifts;        // 16: lane l takes lane l + s of the pair (this vector, the next)
        public Vector512<float>* ColumnParts; // 4: the column's part of each output's divisor
        public int* RowParts;                 // HOut
        public Vector512<float>* HRows;       // HOut + KH − 1 padded rows of horizontal results, 4 vectors each
        public Vector512<float>* Suffix;      // KH rows of 4 vectors
        public float* Stage;                  // one output plane, for streaming stores
        public Divisor Divisor;
    }

    /// <summary>
    /// The plan for the planes of <paramref name="g"/> in <paramref name="scratch"/> (<see cref="RegisterRowsScratch"/> bytes,
    /// 64-byte aligned), with its tables in <paramref name="tables"/> (12 vectors) and <paramref name="shifts"/> (16).
    /// </summary>
    private static RegisterRowPlan RegisterRowPlanOf<TRed>(in PoolGeometry g, Divisor divisor, byte* scratch, Vector512<float>* tables, Vector512<int>* shifts)
        where TRed : IReducer<float>
    {
        var plan = new RegisterRowPlan
        {
            Width = g.W.In,
            Height = g.H.In,
            WOut = g.W.Out,
            HOut = g.H.Out,
            KW = g.W.Kernel,
            KH = g.H.Kernel,
            PadLeft = g.W.PadBegin,
            PadTop = g.H.PadBegin,
            Pad = Vector512.Create(TRed.SeedWithFirst ? float.NegativeInfinity : -0f),
            Divisor = divisor,
            LoadMasks = tables,
            StoreMasks = tables + 4,
            ColumnParts = tables + 8,
            Shifts = shifts,
        };

        int rows = plan.HOut + plan.KH - 1;
        plan.HRows = (Vector512<float>*)scratch;
        plan.Suffix = plan.HRows + ((long)rows * 4);
        plan.RowParts = (int*)(plan.Suffix + (4L * plan.KH));
        plan.Stage = (float*)(((nint)(plan.RowParts + plan.HOut) + 63) & ~(nint)63);
        var lanes = Vector512<int>.Indices;
        float* parts = stackalloc float[16];
        for (int j = 0; j < 4; j++)
        {
            var column = lanes + Vector512.Create((16 * j) - plan.PadLeft);
            plan.LoadMasks[j] = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(plan.Width))).AsSingle();
            plan.StoreMasks[j] = Vector512.LessThan(lanes + Vector512.Create(16 * j), Vector512.Create(plan.WOut)).AsSingle();
            for (int l = 0; l < 16; l++)
            {
                int o = (16 * j) + l;
                parts[l] = o < plan.WOut ? AxisSpan.Of(g.W, divisor.Mode, o).Part : 1;
            }

            plan.ColumnParts[j] = Vector512.Load(parts);
        }

        for (int s = 0; s < 16; s++)
        {
            plan.Shifts[s] = lanes + Vector512.Create(s);
        }

        for (int o = 0; o < plan.HOut; o++)
        {
            plan.RowParts[o] = AxisSpan.Of(g.H, divisor.Mode, o).Part;
        }

        // The padding rows, filled once for every plane.
        for (int t = 0; t < rows; t++)
        {
            if (t < plan.PadTop || t >= plan.PadTop + plan.Height)
            {
                var row = plan.HRows + (4L * t);
                row[0] = row[1] = row[2] = row[3] = plan.Pad;
            }
        }

        return plan;
    }

    /// <summary>Planes [p0, p1).</summary>
    private static void RegisterRowPlanes<TRed>(int p0, int p1, void* state)
        where TRed : IReducer<float>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var tables = stackalloc Vector512<float>[12];
        var shifts = stackalloc Vector512<int>[16];
        var plan = RegisterRowPlanOf<TRed>(g, job.Divisor, ThreadScratch.Get(RegisterRowsScratch(g), inner: false), tables, shifts);
        bool stream = g.OutputLength * sizeof(float) >= Streaming.MinBytes && Streaming.Supported;
        long inPlane = g.InputPlane, outPlane = g.OutputPlane;

        // From memory, each input row prefetches the same row of the next plane into the second-level cache: the hardware
        // prefetcher alone left the 7 x 7 planes (12.5 KB, three pages) at 12 GB/s (8 x 256 x 56 x 56, calls alternated:
        // max 3.97 -> 2.87 ms, average 4.96 -> 3.53 ms on 1 thread, 3.2 -> 2.15 and 3.3 -> 2.3 ms on 2; with the data in the
        // caches, within the noise either way).
        long ahead = FromMemory<float>(g) ? inPlane : 0;
        for (int p = p0; p < p1; p++)
        {
            float* xp = (float*)job.X + (p * inPlane), yp = (float*)job.Y + (p * outPlane);
            RegisterRowPlane<TRed>(xp, stream ? plan.Stage : yp, plan, ahead);
            if (stream)
            {
                Streaming.Copy((byte*)plan.Stage, (byte*)yp, outPlane * sizeof(float));
            }
        }

        if (stream)
        {
            Streaming.Fence(); // streaming stores are weakly ordered: done before the caller reads them
        }
    }

    /// <summary>One plane: max with the one-instruction maximum while the plane holds no NaN, and with the exact rule otherwise.</summary>
    private static void RegisterRowPlane<TRed>(float* xp, float* yp, in RegisterRowPlan plan, long ahead)
        where TRed : IReducer<float>
    {
        if (!TRed.IsMax || !RegisterRowPlane<NaNFreeMaxReducer<float>>(xp, yp, plan, checkNaN: true, ahead))
        {
            RegisterRowPlane<TRed>(xp, yp, plan, checkNaN: false, TRed.IsMax ? 0 : ahead); // max: the first pass prefetched
        }
    }

    /// <summary>
    /// One plane with <typeparamref name="TRed"/>; with <paramref name="checkNaN"/>, returns false (having written nothing)
    /// when the plane holds a NaN. A nonzero <paramref name="ahead"/> prefetches each input row that many elements on.
    /// </summary>
    private static bool RegisterRowPlane<TRed>(float* xp, float* yp, in RegisterRowPlan plan, bool checkNaN, long ahead)
        where TRed : IReducer<float>
    {
        var hRows = plan.HRows;
        var pad = plan.Pad;
        Vector512<float> m0 = plan.LoadMasks[0], m1 = plan.LoadMasks[1], m2 = plan.LoadMasks[2], m3 = plan.LoadMasks[3];
        var bad = Vector512<float>.Zero;
        int width = plan.Width, kw = plan.KW;
        for (int r = 0; r < plan.Height; r++)
        {
            float* at = xp + ((long)r * width) - plan.PadLeft;
            if (ahead != 0)
            {
                for (int i = 0; i < width; i += 16)
                {
                    Sse.Prefetch1(xp + ahead + ((long)r * width) + i); // a hint: past the data does not fault
                }
            }

            Vector512<float> a0 = Avx512F.MaskLoad(at, m0, pad), a1 = Avx512F.MaskLoad(at + 16, m1, pad);
            Vector512<float> a2 = Avx512F.MaskLoad(at + 32, m2, pad), a3 = Avx512F.MaskLoad(at + 48, m3, pad);
            if (checkNaN)
            {
                bad |= Avx512F.CompareUnordered(a0, a1) | Avx512F.CompareUnordered(a2, a3);
            }

            var into = hRows + (4L * (r + plan.PadTop));
            if (TRed.SeedWithFirst)
            {
                // Max: a run of n columns combined with itself shifted by s <= n covers n + s columns.
                for (int n = 1; n < kw;)
                {
                    int s = Math.Min(n, kw - n);
                    var sh = plan.Shifts[s];
                    a0 = TRed.Combine(a0, Avx512F.PermuteVar16x32x2(a0, sh, a1));
                    a1 = TRed.Combine(a1, Avx512F.PermuteVar16x32x2(a1, sh, a2));
                    a2 = TRed.Combine(a2, Avx512F.PermuteVar16x32x2(a2, sh, a3));
                    a3 = TRed.Combine(a3, Avx512F.PermuteVar16x32x2(a3, sh, pad));
                    n += s;
                }

                into[0] = a0;
                into[1] = a1;
                into[2] = a2;
                into[3] = a3;
            }
            else
            {
                // Sums: the runs of 1, 2, 4, 8 columns by doubling, and the runs of the window's binary digits added at their offsets.
                Vector512<float> s0 = a0, s1 = a1, s2 = a2, s3 = a3;
                int offset = 0;
                for (int n = 1; n <= kw; n *= 2)
                {
                    if ((kw & n) != 0)
                    {
                        if (offset == 0)
                        {
                            (s0, s1, s2, s3) = (a0, a1, a2, a3);
                        }
                        else
                        {
                            var sh = plan.Shifts[offset];
                            s0 += Avx512F.PermuteVar16x32x2(a0, sh, a1);
                            s1 += Avx512F.PermuteVar16x32x2(a1, sh, a2);
                            s2 += Avx512F.PermuteVar16x32x2(a2, sh, a3);
                            s3 += Avx512F.PermuteVar16x32x2(a3, sh, pad);
                        }

                        offset += n;
                    }

                    if (2 * n <= kw)
                    {
                        var sh = plan.Shifts[n];
                        a0 += Avx512F.PermuteVar16x32x2(a0, sh, a1);
                        a1 += Avx512F.PermuteVar16x32x2(a1, sh, a2);
                        a2 += Avx512F.PermuteVar16x32x2(a2, sh, a3);
                        a3 += Avx512F.PermuteVar16x32x2(a3, sh, pad);
                    }
                }

                into[0] = s0;
                into[1] = s1;
                into[2] = s2;
                into[3] = s3;
            }
        }

        if (checkNaN && bad != Vector512<float>.Zero)
        {
            return false;
        }

        VanHerkRows<TRed>(yp, plan);
        return true;
    }

    /// <summary>
    /// The vertical pass: output row o reduces padded rows o .. o + KH − 1 of the plan's horizontal results. Rows are cut into
    /// blocks of KH; a window starting inside a block is the block's suffix from its start joined with the next block's
    /// prefix, which grows by one row per output.
    /// </summary>
    private static void VanHerkRows<TRed>(float* yp, in RegisterRowPlan plan)
        where TRed : IReducer<float>
    {
        Vector512<float>* hRows = plan.HRows, suffix = plan.Suffix;
        int kh = plan.KH, hOut = plan.HOut;
        for (int b0 = 0; b0 < hOut; b0 += kh)
        {
            // suffix[i] = rows b0 + i .. b0 + kh − 1, earlier rows first.
            var block = hRows + (4L * b0);
            int last = 4 * (kh - 1);
            Vector512<float> s0 = block[last], s1 = block[last + 1], s2 = block[last + 2], s3 = block[last + 3];
            for (int i = kh - 1; ; i--)
            {
                var into = suffix + (4 * i);
                into[0] = s0;
                into[1] = s1;
                into[2] = s2;
                into[3] = s3;
                if (i == 0)
                {
                    break;
                }

                var row = block + (4 * (i - 1));
                (s0, s1, s2, s3) = (TRed.Combine(row[0], s0), TRed.Combine(row[1], s1), TRed.Combine(row[2], s2), TRed.Combine(row[3], s3));
            }

            StoreRegisterRow(yp, plan, b0, s0, s1, s2, s3);
            int end = Math.Min(b0 + kh, hOut);
            var next = hRows + (4L * (b0 + kh));
            Vector512<float> q0 = next[0], q1 = next[1], q2 = next[2], q3 = next[3];
            for (int o = b0 + 1; o < end; o++)
            {
                if (o > b0 + 1)
                {
                    var row = hRows + (4L * (o + kh - 1));
                    (q0, q1, q2, q3) = (TRed.Combine(q0, row[0]), TRed.Combine(q1, row[1]), TRed.Combine(q2, row[2]), TRed.Combine(q3, row[3]));
                }

                var s = suffix + (4 * (o - b0));
                StoreRegisterRow(yp, plan, o, TRed.Combine(s[0], q0), TRed.Combine(s[1], q1), TRed.Combine(s[2], q2), TRed.Combine(s[3], q3));
            }
        }
    }

    /// <summary>Output row <paramref name="o"/> from its four vectors: divided (sums with a divisor), stored up to the row's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRegisterRow(float* yp, in RegisterRowPlan plan, int o, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        var divisor = plan.Divisor;
        if (divisor.Mode == DivisorMode.Override)
        {
            var d = Vector512.Create((float)divisor.Override);
            (v0, v1, v2, v3) = (v0 / d, v1 / d, v2 / d, v3 / d);
        }
        else if (divisor.Mode != DivisorMode.None)
        {
            var r = Vector512.Create((float)plan.RowParts[o]);
            var c = plan.ColumnParts;
            (v0, v1, v2, v3) = (v0 / (c[0] * r), v1 / (c[1] * r), v2 / (c[2] * r), v3 / (c[3] * r));
        }

        float* y = yp + ((long)o * plan.WOut);
        int wOut = plan.WOut;
        Put(y, v0, plan.StoreMasks[0], wOut);
        if (wOut > 16)
        {
            Put(y + 16, v1, plan.StoreMasks[1], wOut - 16);
            if (wOut > 32)
            {
                Put(y + 32, v2, plan.StoreMasks[2], wOut - 32);
                if (wOut > 48)
                {
                    Put(y + 48, v3, plan.StoreMasks[3], wOut - 48);
                }
            }
        }

        static void Put(float* at, Vector512<float> v, Vector512<float> mask, int left)
        {
            if (left >= 16)
            {
                v.Store(at);
            }
            else
            {
                Avx512F.MaskStore(at, mask, v);
            }
        }
    }
}
