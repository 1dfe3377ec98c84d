using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralPool.Training.Kernels;

/// <summary>
/// Per-thread scratch arrays (pinned, grow-only), one per slot, so the kernels allocate nothing once a thread has
/// warmed up. A slot's contents are undefined on entry and valid until the same thread asks for that slot again.
/// </summary>
internal static unsafe class Scratch<T>
    where T : unmanaged
{
    /// <summary>Slots: packed A and B of the matrix product, and two for the layers (columns, column gradients).</summary>
    public const int PackA = 0, PackB = 1, Columns = 2, ColumnGradients = 3, Slots = 4;

    [ThreadStatic]
    private static T[]?[]? t_buffers;

    /// <summary>A pinned array of at least <paramref name="length"/> elements for <paramref name="slot"/>.</summary>
    public static T[] Get(int slot, int length)
    {
        var buffers = t_buffers ??= new T[Slots][];
        var b = buffers[slot];
        if (b is null || b.Length < length)
        {
            b = GC.AllocateUninitializedArray<T>(Math.Max(length, 64), pinned: true);
            buffers[slot] = b;
        }

        return b;
    }

    /// <summary>A pointer to the first element of a slot of at least <paramref name="length"/> elements (the array is pinned).</summary>
    public static T* Pointer(int slot, int length) => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Get(slot, length)));
}
