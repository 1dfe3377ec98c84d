using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-first forward on transposed plane blocks: L = <see cref="Vector256{T}.Count"/> consecutive
/// (n, c) planes are interleaved into a channels-last scratch plane of L channels (register transposes),
/// reduced there by the channels-last row kernels (one vector per position, every window's accumulator
/// in registers), and the L output planes are transposed back. Small planes thus cost no per-row
/// overhead, and windows reach their neighbours along W as whole vectors. Work is split over plane
/// blocks, which span channels and batch alike.
/// </summary>
internal static unsafe partial class WindowReduce
{
    /// <summary>Largest block scratch (input and output planes of one block) the blocked path takes on.</summary>
    private const long BlockBytes = 1L << 20;

    // The span tables come after the scratch planes; ThreadScratch.MaxBytes bounds the whole.

    private struct BlockJob
    {
        public Job Sub;
        public void* X;
        public void* Y;
        public long Planes;
        public long InPlane;
        public long OutPlane;
        public int SubRows;
        public delegate*<int, int, void*, void> Body;

        /// <summary>The body with the NaN-free form of the reduction, for blocks without NaN; null when there is none.</summary>
        public delegate*<int, int, void*, void> NaNFreeBody;

        /// <summary>Max with indices: where the plane-local indices go (channels-first, like the values); null otherwise.</summary>
        public long* Indices;
    }

    /// <summary>
    /// Whether channels-first forward takes the blocked path: the transposes exist, a block fits the
    /// scratch, and rows are short enough that the row-wise
    /// path would pay per-row overhead (or the window is wide, which the row-wise path visits tap by tap).
    /// </summary>
    private static bool BlocksPay<T>(in PoolGeometry g)
        where T : unmanaged
    {
        int lanes = Vector256<T>.Count;
        if (!LaneTranspose.IsSupported<T>() || !Vector.IsHardwareAccelerated || Vector<T>.Count != lanes)
        {
            return false;
        }

        // Independent of N and C, so a plane's result does not depend on the batch it comes in.
        long bytes = (g.InputPlane + g.OutputPlane) * lanes * sizeof(T);
        if (bytes > BlockBytes || g.InputPlane > int.MaxValue)
        {
            return false;
        }

        return g.W.In < BlockRowLimit || SlidingPays(g with { C = lanes, Layout = TensorLayout.ChannelsLast });
    }

    /// <summary>Rows narrower than this (elements) go through plane blocks.</summary>
    private const int BlockRowLimit = 64;

    private static void ForwardBlocks<T, TRed>(in PoolGeometry g, T* x, T* y, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector256<T>.Count;
        var sub = g with { N = 1, C = lanes, Layout = TensorLayout.ChannelsLast };
        var job = new BlockJob
        {
            Sub = new Job { G = sub, Divisor = divisor },
            X = x,
            Y = y,
            Planes = (long)g.N * g.C,
            InPlane = g.InputPlane,
            OutPlane = g.OutputPlane,
            SubRows = RowCount(sub),
            Body = LastBody<T, TRed>(sub),
            // The sliding and separable bodies check their rows for NaN themselves; the direct one needs the block checked.
            NaNFreeBody = TRed.IsMax && !SlidingPays(sub) && !SeparablePays(sub) ? LastBody<T, NaNFreeMaxReducer<T>>(sub) : null,
        };
        long blocks = (job.Planes + lanes - 1) / lanes;
        Workers.For((int)blocks, g.InputLength + g.OutputLength, &BlockRange<T>, &job);
    }

    /// <summary>Whether channels-first max with indices runs on transposed plane blocks (the channels-last index kernel, lanes over planes).</summary>
    private static bool IndexBlocksPay<T>(in PoolGeometry g)
        where T : unmanaged
    {
        int lanes = Vector256<T>.Count;
        long bytes = ((g.InputPlane * sizeof(T)) + (g.OutputPlane * (sizeof(T) + sizeof(long)))) * lanes;
        return LaneTranspose.IsSupported<T>() && Vector.IsHardwareAccelerated && Vector<T>.Count == lanes
            && bytes <= BlockBytes && g.InputPlane <= int.MaxValue;
    }

    private static void ForwardIndexBlocks<T>(in PoolGeometry g, T* x, T* y, long* indices)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        int lanes = Vector256<T>.Count;
        var sub = g with { N = 1, C = lanes, Layout = TensorLayout.ChannelsLast };
        var job = new BlockJob
        {
            Sub = new Job { G = sub },
            X = x,
            Y = y,
            Indices = indices,
            Planes = (long)g.N * g.C,
            InPlane = g.InputPlane,
            OutPlane = g.OutputPlane,
            SubRows = RowCount(sub),
            Body = typeof(T) == typeof(float) ? &LastMaxIndexRows<float, int> : &LastMaxIndexRows<double, long>,
        };
        long blocks = (job.Planes + lanes - 1) / lanes;
        Workers.For((int)blocks, g.InputLength + (3 * g.OutputLength), &BlockRange<T>, &job);
    }

    /// <summary>Blocks [b0, b1): interleave, reduce channels-last (max with its NaN-free form when the block holds no NaN), de-interleave. A last block with fewer planes repeats its last plane in the spare lanes and writes only its own.</summary>
    private static void BlockRange<T>(int b0, int b1, void* state)
        where T : unmanaged, INumber<T>
    {
        ref BlockJob job = ref Unsafe.AsRef<BlockJob>(state);
        int lanes = Vector256<T>.Count;
        long inBytes = ((job.InPlane * lanes * sizeof(T)) + 63) & ~63L;
        long outBytes = ((job.OutPlane * lanes * sizeof(T)) + 63) & ~63L;
        long indexBytes = job.Indices == null ? 0 : job.OutPlane * lanes * sizeof(long);
        byte* scratch = ThreadScratch.Get(inBytes + outBytes + indexBytes + (TableLength(job.Sub.G) * sizeof(AxisSpan)), inner: false);
        Job sub = job.Sub;
        sub.X = scratch;
        sub.Y = scratch + inBytes;
        sub.Indices = job.Indices == null ? null : (long*)(scratch + inBytes + outBytes);
        sub.Tables = (AxisSpan*)(scratch + inBytes + outBytes + indexBytes);
        FillTables(sub.G, sub.Divisor.Mode, sub.Tables);
        long** indexRows = stackalloc long*[lanes];
        T** rows = stackalloc T*[lanes];
        for (int b = b0; b < b1; b++)
        {
            long p0 = (long)b * lanes;
            int count = (int)Math.Min(lanes, job.Planes - p0);
            for (int l = 0; l < lanes; l++)
            {
                rows[l] = (T*)job.X + ((p0 + Math.Min(l, count - 1)) * job.InPlane);
            }

            LaneTranspose.Interleave(rows, (int)job.InPlane, (T*)sub.X);
            bool nanFree = job.NaNFreeBody != null && !ContainsNaN((T*)sub.X, (int)(job.InPlane * lanes));
            (nanFree ? job.NaNFreeBody : job.Body)(0, job.SubRows, &sub);
            for (int l = 0; l < count; l++)
            {
                rows[l] = (T*)job.Y + ((p0 + l) * job.OutPlane);
            }

            LaneTranspose.Deinterleave((T*)sub.Y, (int)job.OutPlane, rows, count);
            if (job.Indices != null)
            {
                for (int l = 0; l < count; l++)
                {
                    indexRows[l] = job.Indices + ((p0 + l) * job.OutPlane);
                }

                LaneTranspose.DeinterleaveIndices(sub.Indices, (int)job.OutPlane, lanes, indexRows, count);
            }
        }
    }
}
