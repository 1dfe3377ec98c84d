using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralPool.Kernels;

/// <summary>Vector loads and stores shared by the drivers.</summary>
internal static unsafe class SimdLoad
{
    /// <summary>Loads <c>p[0], p[stride], p[2*stride], ...</c> into one vector: a hardware gather where AVX2 has one for this width, else element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Strided<T>(T* p, int stride)
        where T : unmanaged
    {
        if (stride == 1)
        {
            return Vector.Load(p);
        }

        if (Avx2.IsSupported && Vector<T>.Count * sizeof(T) == 32)
        {
            if (typeof(T) == typeof(float))
            {
                var idx = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * stride;
                return Avx2.GatherVector256((float*)p, idx, 4).AsVector().As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                var idx = Vector128.Create(0, 1, 2, 3) * stride;
                return Avx2.GatherVector256((double*)p, idx, 8).AsVector().As<double, T>();
            }
        }

        T* tmp = stackalloc T[Vector<T>.Count];
        for (int i = 0; i < Vector<T>.Count; i++)
        {
            tmp[i] = p[(nint)i * stride];
        }

        return Vector.Load(tmp);
    }

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
