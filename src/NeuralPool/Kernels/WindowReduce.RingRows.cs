using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-last sums over windows three positions wide at stride 1 (average pooling 3 x 3 'same', as in Inception),
/// separable but fused: each output row walks its positions once, summing the valid input rows of one position into a
/// ring of three positions (3·C elements, in the first-level cache) just before the output that first needs it, and
/// each output adds its three ring entries and divides. The vertical result thus never makes the round trip through a
/// W·C scratch row, which for Inception's 35 x 35 x 256 maps (35 KB a row) lives in the second-level cache; input and
/// output are each walked once in address order.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>
    /// Input and output together at least this large (bytes) come from memory on every call, so the channels-last kernels
    /// that stream whole rows prefetch one row ahead: the hardware prefetcher alone left the ring rows at 12 GB/s
    /// (Inception's 8 x 35 x 35 x 256 maps 1.55-1.80 -> 1.09-1.57 ms). Smaller data stays in the caches, where the
    /// prefetches cost 5-10 %.
    /// </summary>
    private const long FromMemoryBytes = 16L << 20;

    /// <summary>Whether a call's input and output come from memory (<see cref="FromMemoryBytes"/>) and prefetches are available.</summary>
    private static bool FromMemory<T>(in PoolGeometry g)
        where T : unmanaged =>
        (g.InputLength + g.OutputLength) * sizeof(T) >= FromMemoryBytes && Sse.IsSupported;

    /// <summary>Largest ring (three positions of C channels) the fused rows take on, in bytes.</summary>
    private const int RingBytes = 24 << 10;

    /// <summary>Whether channels-last sums take the fused ring rows: 512-bit vectors, at least one of channels, W windows of 3 at stride 1.</summary>
    private static bool RingRowsPay<T, TRed>(in PoolGeometry g)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        var w = g.W;
        return !TRed.IsMax && Vector512.IsHardwareAccelerated && g.Layout == TensorLayout.ChannelsLast
            && g.C >= Vector512<T>.Count && 3L * g.C * sizeof(T) <= RingBytes
            && w.Kernel == 3 && w.Stride == 1 && w.Dilation == 1 && !w.Adaptive && w.Out >= 1
            && (long)g.D.Kernel * g.H.Kernel <= 64;
    }

    /// <summary>Output rows [r0, r1) of every batch element: sums over 3-wide rows through a ring of three positions.</summary>
    private static void LastRingRows<T, TRed>(int r0, int r1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        var g = job.G;
        var divisor = job.Divisor;
        var (dAxis, hAxis, wAxis) = (g.D, g.H, g.W);
        int cn = g.C, wOut = wAxis.Out, width = wAxis.In;
        long rowStride = (long)width * cn;
        AxisSpan* tables = job.Tables;
        if (tables == null)
        {
            AxisSpan* own = stackalloc AxisSpan[TableLength(g)];
            FillTables(g, divisor.Mode, own);
            tables = own;
        }

        AxisSpan* cols = tables, dSpans = cols + wOut, hSpans = dSpans + dAxis.Out;
        T* ring = stackalloc T[3 * cn];
        bool prefetch = FromMemory<T>(g);
        T** rows = stackalloc T*[dAxis.Kernel * hAxis.Kernel];
        var cursor = new RowCursor(g, r0);
        for (int r = r0; r < r1; r++, cursor.Next())
        {
            T* xn = (T*)job.X + (cursor.Plane * g.InputPlane * cn);
            T* yo = (T*)job.Y + ((long)r * wOut * cn);
            AxisSpan ds = dSpans[cursor.Od], hs = hSpans[cursor.Oh];
            int n = ds.Count * hs.Count;
            if (n == 0)
            {
                new Span<T>(yo, wOut * cn).Fill(TRed.Empty);
                continue;
            }

            WindowRows(g, xn, ds, hs, rowStride, rows);

            long rowPart = (long)ds.Part * hs.Part;
            int produced = 0;
            for (int ow = 0; ow < wOut; ow++, yo += cn)
            {
                AxisSpan col = cols[ow];
                for (; produced < col.First + col.Count; produced++)
                {
                    RingColumn<T, TRed>(rows, n, (long)produced * cn, ring + (produced % 3 * cn), cn);
                    if (prefetch)
                    {
                        // One row ahead: the input row the next output row brings in, and the next output row's position.
                        PrefetchLines(rows[n - 1] + rowStride + ((long)produced * cn), cn);
                        PrefetchLines(yo + ((long)wOut * cn), cn);
                    }
                }

                if (col.Count == 0)
                {
                    new Span<T>(yo, cn).Fill(TRed.Empty);
                    continue;
                }

                var scale = Vector512.Create(T.CreateChecked(divisor.Combine(rowPart, col.Part)));
                T* a = ring + (col.First % 3 * cn), b = ring + ((col.First + 1) % 3 * cn), c = ring + ((col.First + 2) % 3 * cn);
                int lanes = Vector512<T>.Count;
                for (int ch = 0; ; ch += lanes)
                {
                    ch = Math.Min(ch, cn - lanes);
                    Vector512<T> acc = Vector512.Load(a + ch);
                    if (col.Count > 1)
                    {
                        acc = TRed.Combine(acc, Vector512.Load(b + ch));
                    }

                    if (col.Count > 2)
                    {
                        acc = TRed.Combine(acc, Vector512.Load(c + ch));
                    }

                    (acc / scale).Store(yo + ch);
                    if (ch + lanes >= cn)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Prefetches the cache lines of <paramref name="count"/> elements from <paramref name="at"/> into the second-level cache
    /// (a hint: addresses past the data do not fault). A row ahead is more than the first-level cache holds: prefetching
    /// into it measured 8-10 % slower (Inception's average nhwc, 8 images: 1.46-1.66 against 1.31-1.52 ms, calls alternated).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchLines<T>(T* at, int count)
        where T : unmanaged
    {
        for (int i = 0; i < count; i += 64 / sizeof(T))
        {
            Sse.Prefetch1(at + i);
        }
    }

    /// <summary>One position of the ring: the sum of the <paramref name="n"/> input rows at element offset <paramref name="at"/>, C channels (the last vector overlapping the one before it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RingColumn<T, TRed>(T** rows, int n, long at, T* into, int cn)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector512<T>.Count;
        T* r0 = rows[0] + at;
        T* r1 = rows[n > 1 ? 1 : 0] + at, r2 = rows[n > 2 ? 2 : 0] + at;
        for (int ch = 0; ; ch += lanes)
        {
            ch = Math.Min(ch, cn - lanes);
            Vector512<T> acc = Vector512.Load(r0 + ch);
            if (n > 1)
            {
                acc = TRed.Combine(acc, Vector512.Load(r1 + ch));
            }

            if (n > 2)
            {
                acc = TRed.Combine(acc, Vector512.Load(r2 + ch));
            }

            for (int k = 3; k < n; k++)
            {
                acc = TRed.Combine(acc, Vector512.Load(rows[k] + at + ch));
            }

            acc.Store(into + ch);
            if (ch + lanes >= cn)
            {
                break;
            }
        }
    }
}
