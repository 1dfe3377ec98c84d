using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralPool.Kernels;

/// <summary>
/// Streaming (non-temporal) stores for results too large to stay in the cache: whole aligned 64-byte lines go to memory
/// without first reading the destination lines in, which a plain store to an uncached line does. The stores are weakly
/// ordered, so a writer calls <see cref="Fence"/> before its results are read.
/// </summary>
internal static unsafe class Streaming
{
    /// <summary>Results at least this large (bytes) are streamed; smaller ones are left in the cache for their reader.</summary>
    public const long MinBytes = 16L << 20;

    /// <summary>Whether this machine has 512-bit streaming stores (the only ones used here).</summary>
    public static bool Supported => Avx512F.IsSupported;

    /// <summary>Copies <paramref name="bytes"/> bytes; the aligned 64-byte lines of the destination with streaming stores, its ragged ends with plain ones.</summary>
    public static void Copy(byte* from, byte* to, long bytes)
    {
        long i = Math.Min(bytes, (64 - ((nint)to & 63)) & 63);
        Buffer.MemoryCopy(from, to, i, i);
        for (; i + 64 <= bytes; i += 64)
        {
            Avx512F.StoreAlignedNonTemporal(to + i, Vector512.Load(from + i));
        }

        Buffer.MemoryCopy(from + i, to + i, bytes - i, bytes - i);
    }

    /// <summary>Orders the streaming stores made so far before any later store (and before the caller's readers).</summary>
    public static void Fence() => Sse.StoreFence();
}
