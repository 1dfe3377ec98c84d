using System.Numerics;

namespace NeuralPool.Kernels;

/// <summary>Vector constants shared by the drivers.</summary>
internal static unsafe class SimdLoad
{
    /// <summary>Lane <c>i</c> holds <c>i * step</c>, in the index type that pairs with the value type lane for lane.</summary>
    public static Vector<TI> Iota<TI>(int step)
        where TI : unmanaged, INumber<TI>
    {
        TI* tmp = stackalloc TI[Vector<TI>.Count];
        for (int i = 0; i < Vector<TI>.Count; i++)
        {
            tmp[i] = TI.CreateTruncating(i * step);
        }

        return Vector.Load(tmp);
    }
}
