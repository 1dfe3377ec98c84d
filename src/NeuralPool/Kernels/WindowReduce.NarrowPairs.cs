using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-last, fewer than sixteen 4-byte channels, horizontal pairs (kernel 2, stride 2, no padding, no dilation:
/// LeNet's and VGG's pooling): an output row's input rows are reduced into a scratch row of W·C, then P = ⌊16 / C⌋
/// positions at a time, the pairs are reduced on whole vectors (each element with the one C further on) and the
/// first C elements of every 2C are gathered into P·C outputs by one two-vector permute. Any vertical window.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>Whether the channels-last narrow pair path applies.</summary>
    private static bool NarrowPairsPay<T>(in PoolGeometry g)
        where T : unmanaged
    {
        var w = g.W;
        return g.Layout == TensorLayout.ChannelsLast && typeof(T) == typeof(float) && Avx512F.IsSupported
            && g.C < Vector512<float>.Count && !w.Adaptive && w.Kernel == 2 && w.Stride == 2 && w.PadBegin == 0 && w.Dilation == 1
            && 2L * w.Out <= w.In && w.Out > 0 && g.D.Dilation == 1 && g.H.Dilation == 1;
    }

    /// <summary>
    /// Rows [r0, r1). <typeparamref name="TFast"/> is the NaN-free form of <typeparamref name="TRed"/> (or TRed itself): a row
    /// whose inputs hold a NaN is computed again with <typeparamref name="TRed"/>.
    /// </summary>
    private static void LastNarrowPairRows<T, TRed, TFast>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
        where TFast : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int cn = g.C, wOut = wAxis.Out;
        int width = checked(wAxis.In * cn);
        int per = Vector512<float>.Count / cn; // positions per permute
        int scratch = width + (4 * Vector512<float>.Count) + (wOut * cn) + Vector512<float>.Count; // v, its slack, the output row
        int spans = dAxis.Out + hAxis.Out;
        T[]? rented = scratch > 8192 ? ArrayPool<T>.Shared.Rent(scratch) : null;
        T* stack = stackalloc T[rented is null ? scratch : 0];
        AxisSpan* spanTable = stackalloc AxisSpan[spans];
        AxisSpan.Fill(dAxis, job.Divisor.Mode, spanTable);
        AxisSpan.Fill(hAxis, job.Divisor.Mode, spanTable + dAxis.Out);
        T** rows = stackalloc T*[dAxis.Kernel * hAxis.Kernel];

        // Output lane l of a permute: position l / C, channel l % C, i.e. element 2C·(l / C) + l % C of the pair sums.
        int* index = stackalloc int[Vector512<float>.Count];
        for (int l = 0; l < Vector512<float>.Count; l++)
        {
            index[l] = l < per * cn ? (2 * cn * (l / cn)) + (l % cn) : 0;
        }

        var pick = Vector512.Load(index);
        try
        {
            fixed (T* heap = rented)
            {
                T* v = rented is null ? stack : heap;
                new Span<T>(v + width, scratch - width).Clear(); // the slack read by the last permutes
                T* built = v + width + (4 * Vector512<T>.Count);
                var cursor = new RowCursor(g, r0);
                for (int r = r0; r < r1; r++, cursor.Next())
                {
                    T* xn = (T*)job.X + (cursor.Plane * g.InputPlane * cn);
                    T* yo = (T*)job.Y + ((long)r * wOut * cn);
                    AxisSpan ds = spanTable[cursor.Od], hs = spanTable[dAxis.Out + cursor.Oh];
                    if (ds.Count == 0 || hs.Count == 0)
                    {
                        new Span<T>(yo, wOut * cn).Fill(TRed.Empty);
                        continue;
                    }

                    int n = 0;
                    for (int jd = 0; jd < ds.Count; jd++)
                    {
                        for (int jh = 0; jh < hs.Count; jh++)
                        {
                            rows[n++] = xn + ((((long)(ds.First + jd) * hAxis.In) + hs.First + jh) * width);
                        }
                    }

                    long divisorValue = job.Divisor.Combine((long)ds.Part * hs.Part, 2);
                    bool zero = false;
                    if (typeof(TFast) == typeof(TRed) || !NarrowPairRow<T, TFast>(rows, n, width, v, built, yo, cn, wOut, per, pick, divisorValue, checkNaN: true, ref zero))
                    {
                        NarrowPairRow<T, TRed>(rows, n, width, v, built, yo, cn, wOut, per, pick, divisorValue, checkNaN: false, ref zero);
                    }

                    if (SignedZeros<T, TRed>() && zero)
                    {
                        SettleZeroMaxima<T, TRed>(g, xn, yo, cursor.Od, cursor.Oh, cn); // rows first
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
    /// One output row, built in <paramref name="built"/> (W·C plus a vector of slack) and copied to <paramref name="yo"/> at
    /// the end, so the row's stores do not interleave with the loads of the input (an input load and a recent output
    /// store 4 KB apart in their address bits stall each other). With <paramref name="checkNaN"/>, returns false (the row
    /// to be redone) when an input is NaN. <paramref name="zero"/> tells whether the row may hold a zero output.
    /// </summary>
    private static bool NarrowPairRow<T, TRed>(T** rows, int n, int width, T* v, T* built, T* yo, int cn, int wOut, int per,
        Vector512<int> pick, long divisorValue, bool checkNaN, ref bool zero)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        // Vertical: v = the reduction of the rows (the last vector overlaps the one before it).
        int lanes = Vector512<T>.Count;
        var bad = Vector512<T>.Zero;
        bool nan = false;
        if (width >= lanes)
        {
            for (int i = 0; ; i += lanes)
            {
                i = Math.Min(i, width - lanes);
                Vector512<T> acc = Vector512.Load(rows[0] + i);
                if (checkNaN)
                {
                    bad |= NaNLanes(acc);
                }

                for (int k = 1; k < n; k++)
                {
                    Vector512<T> a = Vector512.Load(rows[k] + i);
                    acc = TRed.Combine(acc, a);
                    if (checkNaN)
                    {
                        bad |= NaNLanes(a);
                    }
                }

                acc.Store(v + i);
                if (i + lanes >= width)
                {
                    break;
                }
            }
        }
        else
        {
            for (int i = 0; i < width; i++)
            {
                T acc = rows[0][i];
                nan |= checkNaN && T.IsNaN(acc);
                for (int k = 1; k < n; k++)
                {
                    acc = TRed.Combine(acc, rows[k][i]);
                    nan |= checkNaN && T.IsNaN(rows[k][i]);
                }

                v[i] = acc;
            }
        }

        if (nan || bad != Vector512<T>.Zero)
        {
            return false;
        }

        // Horizontal: pair results p[i] = v[i] ⊕ v[i + C] over 2C·P elements, then the permute picks each position's first C.
        var scale = Vector512.Create(T.CreateChecked(divisorValue));
        var zeros = Vector512<T>.Zero;
        int done = 0, total = wOut * cn;
        for (int ow = 0; ow < wOut; ow += per)
        {
            T* at = v + (2L * cn * ow);
            Vector512<T> lo = TRed.Combine(Vector512.Load(at), Vector512.Load(at + cn));
            Vector512<T> hi = TRed.Combine(Vector512.Load(at + lanes), Vector512.Load(at + lanes + cn));
            Vector512<T> y = Avx512F.PermuteVar16x32x2(lo.As<T, float>(), pick, hi.As<T, float>()).As<float, T>();
            if (divisorValue != 1)
            {
                y /= scale;
            }

            y.Store(built + done); // lanes past this block's outputs land on the next block's (or the slack), written after it
            int valid = Math.Min(per, wOut - ow) * cn;
            zeros |= Vector512.Equals(y, Vector512<T>.Zero) & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(valid)).As<int, T>();
            done += valid;
        }

        zero = zeros != Vector512<T>.Zero;

        new ReadOnlySpan<T>(built, total).CopyTo(new Span<T>(yo, total));
        return true;
    }
}
