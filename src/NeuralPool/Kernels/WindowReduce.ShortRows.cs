using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-first float planes whose rows fit one 512-bit register (8 to 16 elements: adaptive pooling of 13 x 13 maps,
/// 14 x 14 and 16 x 16 layers), a plane at a time: each input row is loaded once (a masked load) and reduced across every
/// output column's taps with one-register permutes (tap t of column j is lane First(j) + t·dilation, masked where the
/// column has fewer taps), and each output row combines the results of its valid rows. Any window, stride, padding,
/// dilation, ceil mode or adaptive bins along H and W. Rows before columns, earlier taps as the accumulator, so equal
/// maxima resolve in PyTorch's row-major order (+0 against −0) and max keeps PyTorch's NaN rule; averages divide by each
/// output's divisor. Work is split over planes.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>Whether channels-first float max or sums of <paramref name="g"/> take <see cref="ShortRowPlanes{TRed}"/>.</summary>
    private static bool ShortRowsPay<T, TRed>(in PoolGeometry g)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) || !Avx512F.IsSupported || g.Layout != TensorLayout.ChannelsFirst
            || (typeof(TRed) != typeof(MaxReducer<float>) && typeof(TRed) != typeof(SumReducer<float>)))
        {
            return false;
        }

        var (d, h, w) = (g.D, g.H, g.W);
        return d.In == 1 && d.Out == 1 && d.Kernel == 1 && !d.Adaptive && d.ValidCount(0) == 1 && w.In >= 8 && w.In <= 16 && w.Out >= 1 && w.Out <= 16 && h.Out >= 1
            && ((long)h.In * 64) + ((long)h.Out * sizeof(AxisSpan)) <= ThreadScratch.MaxBytes / 2 && g.InputPlane <= int.MaxValue;
    }

    /// <summary>Whether channels-first float max pooling of <paramref name="g"/> runs on <see cref="ShortRowPlanes{TRed}"/> (for tests).</summary>
    internal static bool TakesShortRows(in PoolGeometry g) => !WholePlanes<float>(g) && !RegisterRowsPay<float, MaxReducer<float>>(g) && ShortRowsPay<float, MaxReducer<float>>(g);

    private static void ForwardShortRows<TRed>(in PoolGeometry g, float* x, float* y, Divisor divisor)
        where TRed : IReducer<float>
    {
        var job = new Job { G = g, X = x, Y = y, Divisor = divisor };
        Workers.For((int)((long)g.N * g.C), g.InputLength + g.OutputLength, &ShortRowPlanes<TRed>, &job);
    }

    /// <summary>Planes [p0, p1).</summary>
    private static void ShortRowPlanes<TRed>(int p0, int p1, void* state)
        where TRed : IReducer<float>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var divisor = job.Divisor;
        int width = g.W.In, height = g.H.In, wOut = g.W.Out, hOut = g.H.Out;

        // Per call: each output column's taps as permutes and masks, the load and store masks, the column divisor parts.
        int taps = 1;
        int* first = stackalloc int[16], count = stackalloc int[16];
        float* parts = stackalloc float[16];
        for (int j = 0; j < 16; j++)
        {
            var col = j < wOut ? AxisSpan.Of(g.W, divisor.Mode, j) : default;
            (first[j], count[j], parts[j]) = (col.First, col.Count, j < wOut ? col.Part : 1);
            taps = Math.Max(taps, col.Count);
        }

        var select = stackalloc Vector512<int>[taps];
        var valid = stackalloc Vector512<float>[taps];
        int* lane = stackalloc int[16];
        for (int t = 0; t < taps; t++)
        {
            for (int j = 0; j < 16; j++)
            {
                lane[j] = t < count[j] ? first[j] + (t * g.W.Dilation) : 0;
            }

            select[t] = Vector512.Load(lane);
            for (int j = 0; j < 16; j++)
            {
                lane[j] = t < count[j] ? -1 : 0;
            }

            valid[t] = Vector512.Load(lane).AsSingle();
        }

        var lanes = Vector512<int>.Indices;
        var load = Vector512.LessThan(lanes, Vector512.Create(width)).AsSingle();
        var store = Vector512.LessThan(lanes, Vector512.Create(wOut)).AsSingle();
        var columnParts = Vector512.Load(parts);
        var empty = Vector512.Create(TRed.Empty);
        var rowResults = (Vector512<float>*)ThreadScratch.Get(((long)height * 64) + ((long)hOut * sizeof(AxisSpan)), inner: false);
        var rowSpans = (AxisSpan*)(rowResults + height);
        AxisSpan.Fill(g.H, divisor.Mode, rowSpans);

        long inPlane = g.InputPlane, outPlane = g.OutputPlane;
        for (int p = p0; p < p1; p++)
        {
            float* xp = (float*)job.X + (p * inPlane), yp = (float*)job.Y + (p * outPlane);

            // Rows across their columns (a column without taps keeps tap 0's lane and is emptied at the end).
            if (taps <= 3)
            {
                // The common case (bins of adaptive pooling, 2x2 and 3x3 windows) with the tap tables in registers.
                Vector512<int> s0 = select[0], s1 = taps > 1 ? select[1] : s0, s2 = taps > 2 ? select[2] : s1;
                Vector512<float> v1 = taps > 1 ? valid[1] : Vector512<float>.Zero, v2 = taps > 2 ? valid[2] : Vector512<float>.Zero;
                for (int r = 0; r < height; r++)
                {
                    var row = Avx512F.MaskLoad(xp + ((long)r * width), load, Vector512<float>.Zero);
                    var acc = Avx512F.PermuteVar16x32(row, s0);
                    acc = Vector512.ConditionalSelect(v1, TRed.Combine(acc, Avx512F.PermuteVar16x32(row, s1)), acc);
                    rowResults[r] = Vector512.ConditionalSelect(v2, TRed.Combine(acc, Avx512F.PermuteVar16x32(row, s2)), acc);
                }
            }
            else
            {
                // Wider windows loop over the tables. (One loop for both, the first three taps in registers and the rest
                // looped, measured 0.19 -> 0.25 ms on adaptive 13 x 13 -> 7 x 7: the tap loop changes how the whole row
                // loop is compiled.)
                for (int r = 0; r < height; r++)
                {
                    var row = Avx512F.MaskLoad(xp + ((long)r * width), load, Vector512<float>.Zero);
                    var acc = Avx512F.PermuteVar16x32(row, select[0]);
                    for (int t = 1; t < taps; t++)
                    {
                        acc = Vector512.ConditionalSelect(valid[t], TRed.Combine(acc, Avx512F.PermuteVar16x32(row, select[t])), acc);
                    }

                    rowResults[r] = acc;
                }
            }

            // Output rows from their valid rows, earlier rows first.
            for (int oh = 0; oh < hOut; oh++)
            {
                AxisSpan rows = rowSpans[oh];
                var acc = empty;
                if (rows.Count > 0)
                {
                    acc = rowResults[rows.First];
                    for (int k = 1; k < rows.Count; k++)
                    {
                        acc = TRed.Combine(acc, rowResults[rows.First + (k * g.H.Dilation)]);
                    }

                    if (divisor.Mode == DivisorMode.Override)
                    {
                        acc /= Vector512.Create((float)divisor.Override);
                    }
                    else if (divisor.Mode != DivisorMode.None)
                    {
                        acc /= columnParts * Vector512.Create((float)rows.Part);
                    }

                    acc = Vector512.ConditionalSelect(valid[0], acc, empty);
                }

                Avx512F.MaskStore(yp + ((long)oh * wOut), store, acc);
            }
        }
    }
}
