namespace NeuralPool.Kernels;

/// <summary>
/// One pinned scratch buffer per thread, grown on demand and kept for the thread's life, so kernels that
/// need more scratch than fits on the stack allocate nothing per call once warmed up (unlike a pooled
/// buffer, it is never trimmed away by a collection). Not reentrant: one user per thread at a time.
/// </summary>
internal static unsafe class ThreadScratch
{
    /// <summary>Largest buffer a kernel may ask for; larger needs take another path.</summary>
    public const long MaxBytes = 8L << 20;

    [ThreadStatic]
    private static byte[]? _outer;

    [ThreadStatic]
    private static byte[]? _inner;

    /// <summary>
    /// At least <paramref name="bytes"/> bytes (at most <see cref="MaxBytes"/>), 64-byte aligned, valid until
    /// the next call with the same <paramref name="inner"/> on this thread. A driver uses the outer buffer,
    /// a row kernel it calls the inner one.
    /// </summary>
    public static byte* Get(long bytes, bool inner)
    {
        System.Diagnostics.Debug.Assert(bytes <= MaxBytes);
        ref byte[]? buffer = ref inner ? ref _inner : ref _outer;
        if (buffer is null || buffer.Length < bytes + 64)
        {
            buffer = GC.AllocateUninitializedArray<byte>((int)(bytes + 64), pinned: true);
        }

        fixed (byte* p = buffer)
        {
            // Pinned-heap arrays never move, so the address outlives the fixed block.
            return (byte*)(((nint)p + 63) & ~(nint)63);
        }
    }

    /// <summary>
    /// At least <paramref name="bytes"/> bytes, 64-byte aligned: this thread's buffer (<see cref="Get"/>) when they fit in
    /// <see cref="MaxBytes"/>, else a new pinned array returned in <paramref name="large"/>, which the caller keeps alive
    /// (<see cref="GC.KeepAlive"/>) for as long as it uses the pointer.
    /// </summary>
    public static byte* GetOrAllocate(long bytes, bool inner, out byte[]? large)
    {
        if (bytes <= MaxBytes)
        {
            large = null;
            return Get(bytes, inner);
        }

        large = GC.AllocateUninitializedArray<byte>(checked((int)(bytes + 64)), pinned: true);
        fixed (byte* p = large)
        {
            // Pinned-heap arrays never move, so the address outlives the fixed block.
            return (byte*)(((nint)p + 63) & ~(nint)63);
        }
    }
}
