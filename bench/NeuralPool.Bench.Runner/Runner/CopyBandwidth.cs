using System.Diagnostics;

namespace NeuralPool.Bench.Runner;

/// <summary>
/// The machine's copy bandwidth: <c>Span.CopyTo</c> (a memmove) of a 256 MB buffer, split into equal
/// parts copied in parallel by <c>threads</c> threads; GB/s counts bytes read plus bytes written (1 GB = 1e9 B).
/// </summary>
internal static class CopyBandwidth
{
    private const int Bytes = 256 << 20;

    public static IReadOnlyDictionary<int, double> Measure(IEnumerable<int> threadCounts, bool quick)
    {
        byte[] src = GC.AllocateUninitializedArray<byte>(Bytes, pinned: true);
        byte[] dst = GC.AllocateUninitializedArray<byte>(Bytes, pinned: true);
        src.AsSpan().Fill(0x5A);
        dst.AsSpan().Clear();
        var result = new SortedDictionary<int, double>();
        foreach (int threads in threadCounts.Distinct().Order())
        {
            int reps = quick ? 3 : 11;
            var times = new double[reps];
            Copy(src, dst, threads); // warm-up: page faults, thread pool
            for (int i = 0; i < reps; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Copy(src, dst, threads);
                times[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }

            Array.Sort(times);
            result[threads] = 2.0 * Bytes / times[reps / 2] / 1e9;
        }

        return result;
    }

    private static void Copy(byte[] src, byte[] dst, int threads)
    {
        if (threads == 1)
        {
            src.AsSpan().CopyTo(dst);
            return;
        }

        int part = Bytes / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            int start = i * part;
            int length = i == threads - 1 ? Bytes - start : part;
            src.AsSpan(start, length).CopyTo(dst.AsSpan(start, length));
        });
    }
}
