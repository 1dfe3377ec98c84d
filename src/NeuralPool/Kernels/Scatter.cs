using System.Numerics;
using System.Runtime.CompilerServices;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// The backward drivers and the index-addressed copies (unpooling). All of them overwrite their
/// destination: the scatters clear each work item's part first, then add every contribution; the window-sum
/// gradient (<c>Scatter.WindowSum.cs</c>) stores each element's first contribution and adds the later ones. Work
/// items never share a destination element: channels-first items are (n, c) planes, channels-last items are
/// blocks of channels of one batch element (<see cref="BlockSize"/>).
/// </summary>
internal static unsafe partial class Scatter
{
    /// <summary>Fewest channels per channels-last work item when the batch alone gives too few items.</summary>
    private const int MinChannelBlock = 16;

    private struct Job
    {
        public PoolGeometry G;
        public TensorLayout Layout;
        public int C;

        /// <summary>Channels per channels-last work item (<see cref="BlockSize"/>).</summary>
        public int Block;
        public long SrcPlane;
        public long DstPlane;
        public void* Src;
        public long* Indices;
        public void* Dst;
        public bool Add;
        public Divisor Divisor;

        /// <summary>Gradients whose indices stay in their row bands: rows are cleared just before the first output row that can write them.</summary>
        public RowBands Bands;
        public bool Banded;
    }

    /// <summary>
    /// Channels per channels-last work item: whole positions while the batch gives each worker two items, so that an item
    /// writes whole rows of the destination (items of part of a position's channels interleave their writes with the
    /// other items' and measured three times slower on the average-pool gradient); otherwise the channels are cut into
    /// as many blocks (whole vectors) as the workers need.
    /// </summary>
    private static int BlockSize(TensorLayout layout, int n, int c)
    {
        if (layout == TensorLayout.ChannelsFirst)
        {
            return 1;
        }

        int wanted = 2 * Math.Max(1, PoolSettings.MaxDegreeOfParallelism);
        int perBatch = n >= wanted ? 1 : (wanted + Math.Max(n, 1) - 1) / Math.Max(n, 1);
        int block = (c + perBatch - 1) / perBatch;
        block = (block + MinChannelBlock - 1) / MinChannelBlock * MinChannelBlock;
        return Math.Max(1, Math.Min(c, block));
    }

    /// <summary>Work items: channels-first (n, c) planes; channels-last blocks of <paramref name="block"/> channels of one batch element.</summary>
    private static int Items(TensorLayout layout, int n, int c, int block) =>
        layout == TensorLayout.ChannelsFirst ? n * c : n * ((c + block - 1) / block);

    /// <summary>Channels-last work item <paramref name="item"/>: its batch element and channel range [c0, c1).</summary>
    private static (int Batch, int C0, int C1) Block(int item, int c, int block)
    {
        int blocks = (c + block - 1) / block;
        int c0 = item % blocks * block;
        return (item / blocks, c0, Math.Min(c, c0 + block));
    }

    /// <summary>
    /// <c>dst[plane(o) + idx[o]] += src[o]</c> (or <c>=</c>) over all o, after clearing <paramref name="dst"/>;
    /// index -1 is skipped. With assignment the last element of a plane in memory order wins.
    /// </summary>
    /// <param name="layout">Memory layout of both tensors.</param>
    /// <param name="n">Batch.</param>
    /// <param name="c">Channels.</param>
    /// <param name="srcPlane">Elements of one spatial plane of <paramref name="src"/> and <paramref name="indices"/>.</param>
    /// <param name="dstPlane">Elements of one spatial plane of <paramref name="dst"/>.</param>
    /// <param name="src">Values to add or assign.</param>
    /// <param name="indices">Plane-local destinations, already checked to lie in [-1, dstPlane).</param>
    /// <param name="dst">Destination, overwritten.</param>
    /// <param name="add">True to add (gradients), false to assign (unpooling).</param>
    /// <param name="bands">2-D gradients only: the row bands every index has been checked to stay in (<see cref="IndexRange.WithinRowBands"/>).</param>
    public static void ByIndex<T>(TensorLayout layout, int n, int c, long srcPlane, long dstPlane,
        ReadOnlySpan<T> src, ReadOnlySpan<long> indices, Span<T> dst, bool add, RowBands? bands = null)
        where T : unmanaged, INumber<T>
    {
        fixed (T* s = src)
        fixed (long* ix = indices)
        fixed (T* d = dst)
        {
            var job = new Job { Layout = layout, C = c, Block = BlockSize(layout, n, c), SrcPlane = srcPlane, DstPlane = dstPlane, Src = s, Indices = ix, Dst = d, Add = add };
            if (bands is { } b && add)
            {
                job.Bands = b;
                job.Banded = true;
            }

            Workers.For(Items(layout, n, c, job.Block), src.Length + dst.Length,
                layout == TensorLayout.ChannelsFirst ? &ByIndexItems<T, ChannelsFirstItems> : &ByIndexItems<T, ChannelsLastItems>, &job);
        }
    }

    /// <summary><c>dp[ix[o]] += s[o]</c> for o in [o, end), in program order (two outputs with one destination both add); index -1 is skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterAddRun<T>(long* ix, T* s, T* dp, long o, long end)
        where T : unmanaged, INumber<T>
    {
        for (; o + 4 <= end; o += 4)
        {
            long a0 = ix[o], a1 = ix[o + 1], a2 = ix[o + 2], a3 = ix[o + 3];
            if ((a0 | a1 | a2 | a3) >= 0)
            {
                dp[a0] += s[o];
                dp[a1] += s[o + 1];
                dp[a2] += s[o + 2];
                dp[a3] += s[o + 3];
                continue;
            }

            for (long k = o; k < o + 4; k++)
            {
                long i = ix[k];
                if (i >= 0)
                {
                    dp[i] += s[k];
                }
            }
        }

        for (; o < end; o++)
        {
            long i = ix[o];
            if (i >= 0)
            {
                dp[i] += s[o];
            }
        }
    }

    /// <summary>
    /// Marks the channels-first instantiation of the item loops. Each layout gets its own compiled code: a process that
    /// runs both would otherwise have the loops optimized (with dynamic PGO) for whichever layout ran first, which measured
    /// a third slower on the other (channels-last max-pool backward 4.1-4.4 ms against 3.0).
    /// </summary>
    private struct ChannelsFirstItems
    {
    }

    /// <summary>Marks the channels-last instantiation of the item loops.</summary>
    private struct ChannelsLastItems
    {
    }

    private static void ByIndexItems<T, TLayout>(int i0, int i1, void* state)
        where T : unmanaged, INumber<T>
        where TLayout : struct
    {
        // Everything the loops need is copied out of the job first: stores through dst could alias it otherwise.
        ref Job job = ref Unsafe.AsRef<Job>(state);
        T* s = (T*)job.Src, d = (T*)job.Dst;
        long* ix = job.Indices;
        bool add = job.Add, first = typeof(TLayout) == typeof(ChannelsFirstItems);
        int cn = job.C;
        long srcPlane = job.SrcPlane, dstPlane = job.DstPlane;
        for (int item = i0; item < i1; item++)
        {
            if (first)
            {
                T* dp = d + (item * dstPlane);
                long o = item * srcPlane, end = o + srcPlane;
                if (job.Banded)
                {
                    BandedScatterAdd<T, TLayout>(dp, ix, s, o, job.Bands, srcPlane / job.Bands.HOut, 1, 0, 1);
                    continue;
                }

                new Span<T>(dp, checked((int)dstPlane)).Clear();
                if (add)
                {
                    ScatterAddRun(ix, s, dp, o, end);
                }
                else
                {
                    for (; o < end; o++)
                    {
                        long i = ix[o];
                        if (i >= 0)
                        {
                            dp[i] = s[o];
                        }
                    }
                }

                continue;
            }

            var (b, c0, c1) = Block(item, cn, job.Block);
            T* dn = d + (b * dstPlane * cn);
            long at = (b * srcPlane * cn) + c0;
            T* dc = dn + c0;
            int width = c1 - c0;
            if (job.Banded)
            {
                BandedScatterAdd<T, TLayout>(dn, ix, s, at, job.Bands, srcPlane / job.Bands.HOut, cn, c0, c1);
                continue;
            }

            ClearChannels(dn, dstPlane, cn, c0, c1);
            if (add)
            {
                ScatterAddPositions(ix + at, s + at, dc, cn, width, (nint)srcPlane);
            }
            else
            {
                for (long q = 0; q < srcPlane; q++, at += cn)
                {
                    long* iq = ix + at;
                    T* sq = s + at;
                    for (int ch = 0; ch < width; ch++)
                    {
                        long i = iq[ch];
                        if (i >= 0)
                        {
                            dc[(i * cn) + ch] = sq[ch];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The banded scatter-add of one work item, whose indices stay in their row bands: output row oh writes only input
    /// rows below End(oh), so each input row is cleared just before the first output row that can write it and the rows
    /// being written stay in the cache (program order is unchanged). <paramref name="dn"/> is the item's plane
    /// (channels [<paramref name="c0"/>, <paramref name="c1"/>) of <paramref name="cn"/>; a channels-first plane is
    /// one channel of one), <paramref name="at"/> its first output's element, <paramref name="perRow"/> the output
    /// positions of a row.
    /// </summary>
    private static void BandedScatterAdd<T, TLayout>(T* dn, long* ix, T* s, long at, RowBands bands, long perRow, int cn, int c0, int c1)
        where T : unmanaged, INumber<T>
        where TLayout : struct
    {
        long rowPositions = bands.W;
        T* dc = dn + c0;
        int width = c1 - c0, cleared = 0;
        for (int oh = 0; oh < bands.HOut; oh++)
        {
            int end = bands.End(oh);
            if (end > cleared)
            {
                ClearChannels(dn + (cleared * rowPositions * cn), (end - cleared) * rowPositions, cn, c0, c1);
                cleared = end;
            }

            if (cn == 1)
            {
                // One channel: the row's outputs are consecutive.
                ScatterAddRun(ix, s, dc, at, at + perRow);
                at += perRow;
                continue;
            }

            ScatterAddPositions(ix + at, s + at, dc, cn, width, (nint)perRow);
            at += perRow * cn;
        }

        if (cleared < bands.HIn)
        {
            ClearChannels(dn + (cleared * rowPositions * cn), (bands.HIn - cleared) * rowPositions, cn, c0, c1);
        }
    }

    /// <summary>
    /// <c>dc[idx[ch] * cn + ch] += src[ch]</c> for the channels [0, <paramref name="width"/>) of <paramref name="positions"/>
    /// consecutive output positions (<paramref name="cn"/> elements apart), four channels at a time. A call of its own with
    /// native-width offsets: inlined into the item loops, the loop spilled its pointers (0.112 -> 0.092 ms for two 28 x 28 x 64
    /// gradients in the caches).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ScatterAddPositions<T>(long* iq, T* sq, T* dc, nint cn, nint width, nint positions)
        where T : unmanaged, INumber<T>
    {
        for (; positions > 0; positions--, iq += cn, sq += cn)
        {
            nint ch = 0;
            for (; ch + 4 <= width; ch += 4)
            {
                long a = iq[ch], b = iq[ch + 1], c = iq[ch + 2], e = iq[ch + 3];
                if ((a | b | c | e) >= 0)
                {
                    // Four different channels: four different destinations, no order to keep between them.
                    T* d = dc + ch;
                    d[(nint)a * cn] += sq[ch];
                    d[((nint)b * cn) + 1] += sq[ch + 1];
                    d[((nint)c * cn) + 2] += sq[ch + 2];
                    d[((nint)e * cn) + 3] += sq[ch + 3];
                    continue;
                }

                for (nint k = ch; k < ch + 4; k++)
                {
                    long i = iq[k];
                    if (i >= 0)
                    {
                        dc[((nint)i * cn) + k] += sq[k];
                    }
                }
            }

            for (; ch < width; ch++)
            {
                long i = iq[ch];
                if (i >= 0)
                {
                    dc[((nint)i * cn) + ch] += sq[ch];
                }
            }
        }
    }

    /// <summary>Clears channels [c0, c1) of every position of a channels-last plane: one contiguous clear when that is all of them, else vector stores per position.</summary>
    private static void ClearChannels<T>(T* plane, long positions, int cn, int c0, int c1)
        where T : unmanaged, INumber<T>
    {
        if (c0 == 0 && c1 == cn)
        {
            new Span<T>(plane, checked((int)(positions * cn))).Clear();
            return;
        }

        int lanes = Vector.IsHardwareAccelerated ? Vector<T>.Count : 0; // 0: no vector loop
        for (long q = 0; q < positions; q++)
        {
            T* row = plane + (q * cn);
            int ch = c0;
            for (; lanes != 0 && ch + lanes <= c1; ch += lanes)
            {
                Vector<T>.Zero.Store(row + ch);
            }

            for (; ch < c1; ch++)
            {
                row[ch] = T.Zero;
            }
        }
    }

    /// <summary><c>dst[o] = src[plane(o) + idx[o]]</c>: the gradient of unpooling, a gather.</summary>
    public static void Gather<T>(TensorLayout layout, int n, int c, long dstPlane, long srcPlane,
        ReadOnlySpan<T> src, ReadOnlySpan<long> indices, Span<T> dst)
        where T : unmanaged, INumber<T>
    {
        fixed (T* s = src)
        fixed (long* ix = indices)
        fixed (T* d = dst)
        {
            var job = new Job { Layout = layout, C = c, Block = BlockSize(layout, n, c), SrcPlane = srcPlane, DstPlane = dstPlane, Src = s, Indices = ix, Dst = d };
            Workers.For(Items(layout, n, c, job.Block), src.Length + dst.Length, &GatherItems<T>, &job);
        }
    }

    private static void GatherItems<T>(int i0, int i1, void* state)
        where T : unmanaged, INumber<T>
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        T* s = (T*)job.Src, d = (T*)job.Dst;
        long* ix = job.Indices;
        for (int item = i0; item < i1; item++)
        {
            if (job.Layout == TensorLayout.ChannelsFirst)
            {
                T* sp = s + (item * job.SrcPlane);
                long o = item * job.DstPlane, end = o + job.DstPlane;
                for (; o < end; o++)
                {
                    d[o] = sp[ix[o]];
                }

                continue;
            }

            var (b, c0, c1) = Block(item, job.C, job.Block);
            T* sn = s + (b * job.SrcPlane * job.C);
            for (long q = 0; q < job.DstPlane; q++)
            {
                long o = ((b * job.DstPlane) + q) * job.C;
                for (int ch = c0; ch < c1; ch++)
                {
                    d[o + ch] = sn[(ix[o + ch] * job.C) + ch];
                }
            }
        }
    }
}
