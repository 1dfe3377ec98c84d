using System.Numerics;
using System.Runtime.CompilerServices;

namespace NeuralPool.Kernels;

/// <summary>Range check of plane-local indices, split over the workers like the scatter that follows it.</summary>
internal static unsafe class IndexRange
{
    /// <summary>Indices per work item.</summary>
    private const int Chunk = 1 << 14;

    private struct Job
    {
        public long* Indices;
        public long Length;
        public ulong Limit;
        public int Bad;
    }

    /// <summary>True when every index lies in <c>[-1, plane)</c>.</summary>
    public static bool AllWithin(ReadOnlySpan<long> indices, long plane)
    {
        fixed (long* p = indices)
        {
            var job = new Job { Indices = p, Length = indices.Length, Limit = (ulong)plane + 1 };
            int chunks = (int)((indices.Length + Chunk - 1) / Chunk);
            Workers.For(chunks, indices.Length, &Items, &job);
            return job.Bad == 0;
        }
    }

    private struct BandJob
    {
        public long* Indices;
        public long RunLength;
        public RowBands Bands;
        public int Bad;
    }

    /// <summary>
    /// True when every index of a 2-D index tensor (runs of one output row: Wo·C indices channels-last, Wo channels-first) lies in <c>[-1, end(oh))</c>, where end(oh) is the
    /// end of the input rows that output row oh's window reaches (<see cref="RowBands"/>): then every index is valid
    /// and output row oh writes only input rows below that end, which the banded scatter relies on. False says
    /// nothing about validity: the plain range check decides then.
    /// </summary>
    public static bool WithinRowBands(ReadOnlySpan<long> indices, in RowBands bands, long runLength)
    {
        fixed (long* p = indices)
        {
            var job = new BandJob { Indices = p, RunLength = runLength, Bands = bands };
            Workers.For(checked((int)(indices.Length / runLength)), indices.Length, &BandItems, &job);
            return job.Bad == 0;
        }
    }

    private static void BandItems(int r0, int r1, void* state)
    {
        ref BandJob job = ref Unsafe.AsRef<BandJob>(state);
        long length = job.RunLength;
        for (int r = r0; r < r1; r++)
        {
            // Run r holds the indices of output row r % Ho (of one batch element, or one plane): all in [-1, end · W).
            ulong limit = ((ulong)job.Bands.End(r % job.Bands.HOut) * (ulong)job.Bands.W) + 1;
            if (!Within(job.Indices + (r * length), length, limit))
            {
                Volatile.Write(ref job.Bad, 1);
                return;
            }
        }
    }

    private static void Items(int i0, int i1, void* state)
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        long begin = (long)i0 * Chunk, end = Math.Min(job.Length, (long)i1 * Chunk);
        if (!Within(job.Indices + begin, end - begin, job.Limit))
        {
            Volatile.Write(ref job.Bad, 1);
        }
    }

    /// <summary>v lies in [-1, limit - 1) exactly when (ulong)(v + 1) &lt; limit.</summary>
    private static bool Within(long* p, long n, ulong limit)
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<ulong>.One;
            var lim = new Vector<ulong>(limit);
            var bad = Vector<ulong>.Zero;
            int w = Vector<ulong>.Count;
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                ulong* q = (ulong*)(p + i);
                bad |= Vector.GreaterThanOrEqual(Unsafe.ReadUnaligned<Vector<ulong>>(q) + one, lim)
                    | Vector.GreaterThanOrEqual(Unsafe.ReadUnaligned<Vector<ulong>>(q + w) + one, lim)
                    | Vector.GreaterThanOrEqual(Unsafe.ReadUnaligned<Vector<ulong>>(q + (2 * w)) + one, lim)
                    | Vector.GreaterThanOrEqual(Unsafe.ReadUnaligned<Vector<ulong>>(q + (3 * w)) + one, lim);
            }

            if (bad != Vector<ulong>.Zero)
            {
                return false;
            }
        }

        for (; i < n; i++)
        {
            if ((ulong)(p[i] + 1) >= limit)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The input rows a 2-D window reaches along H: output row oh reads rows below <see cref="End"/>(oh).</summary>
internal readonly record struct RowBands(int HIn, int HOut, int W, int Stride, int Pad, int Reach)
{
    /// <summary>The end (exclusive) of the input rows output row <paramref name="oh"/>'s window reaches.</summary>
    public int End(int oh) => Math.Clamp((oh * Stride) - Pad + Reach, 0, HIn);

    /// <summary>The bands of a 2-D geometry (one depth slice and tap), or null for any other.</summary>
    public static RowBands? Of(in NeuralPool.Geometry.PoolGeometry g) =>
        g.D.In == 1 && g.D.Out == 1 && !g.H.Adaptive && g.H.Out > 0 && g.W.Out > 0 && g.C > 0
            ? new RowBands(g.H.In, g.H.Out, g.W.In, g.H.Stride, g.H.PadBegin, ((g.H.Kernel - 1) * g.H.Dilation) + 1)
            : null;
}
