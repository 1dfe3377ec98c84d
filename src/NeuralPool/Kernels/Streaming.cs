using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralPool.Kernels;

/// <summary>
/// Streaming (non-temporal) stores for results too large to stay in the cache: whole aligned blocks go to memory
/// without first reading the destination lines in, which a plain store to an uncached line does. The stores are
/// weakly ordered, so a writer calls <see cref="Fence"/> before its results are read.
/// </summary>
internal static unsafe class Streaming
{
    /// <summary>Results at least this large (bytes) are streamed; smaller ones are left in the cache for their reader.</summary>
    public const long MinBytes = 16L << 20;

    /// <summary>Whether this machine has streaming stores (without them, the copies below are plain copies).</summary>
    public static bool Supported => Sse2.IsSupported;

    /// <summary>Copies <paramref name="bytes"/> bytes; the aligned blocks of the destination with streaming stores, its ragged ends with plain ones.</summary>
    public static void Copy(byte* from, byte* to, long bytes)
    {
        long i = Head(to, bytes);
        Buffer.MemoryCopy(from, to, i, i);
        if (Avx512F.IsSupported)
        {
            for (; i + 64 <= bytes; i += 64)
            {
                Avx512F.StoreAlignedNonTemporal(to + i, Vector512.Load(from + i));
            }
        }
        else if (Avx.IsSupported)
        {
            for (; i + 32 <= bytes; i += 32)
            {
                Avx.StoreAlignedNonTemporal(to + i, Vector256.Load(from + i));
            }
        }
        else if (Sse2.IsSupported)
        {
            for (; i + 16 <= bytes; i += 16)
            {
                Sse2.StoreAlignedNonTemporal(to + i, Vector128.Load(from + i));
            }
        }

        Buffer.MemoryCopy(from + i, to + i, bytes - i, bytes - i);
    }

    /// <summary>Clears <paramref name="bytes"/> bytes; the aligned blocks with streaming stores.</summary>
    public static void Zero(byte* to, long bytes)
    {
        long i = Head(to, bytes);
        new Span<byte>(to, (int)i).Clear();
        if (Avx512F.IsSupported)
        {
            for (; i + 64 <= bytes; i += 64)
            {
                Avx512F.StoreAlignedNonTemporal(to + i, Vector512<byte>.Zero);
            }
        }
        else if (Avx.IsSupported)
        {
            for (; i + 32 <= bytes; i += 32)
            {
                Avx.StoreAlignedNonTemporal(to + i, Vector256<byte>.Zero);
            }
        }
        else if (Sse2.IsSupported)
        {
            for (; i + 16 <= bytes; i += 16)
            {
                Sse2.StoreAlignedNonTemporal(to + i, Vector128<byte>.Zero);
            }
        }

        for (; i < bytes; i++)
        {
            to[i] = 0;
        }
    }

    /// <summary>Orders the streaming stores made so far before any later store (and before the caller's readers).</summary>
    public static void Fence()
    {
        if (Sse.IsSupported)
        {
            Sse.StoreFence();
        }
    }

    /// <summary>Bytes before the first address aligned to the widest streaming store (all of them when that lies beyond the end).</summary>
    private static long Head(byte* to, long bytes)
    {
        int align = Avx512F.IsSupported ? 64 : Avx.IsSupported ? 32 : Sse2.IsSupported ? 16 : 1;
        long head = (align - ((nint)to & (align - 1))) & (align - 1);
        return Math.Min(head, bytes);
    }
}
