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
