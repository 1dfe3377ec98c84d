using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralPool.Kernels;

/// <summary>
/// The runtime's vectorized exponential and logarithm (<see cref="Vector.Exp(Vector{float})"/>,
/// <see cref="Vector.Log(Vector{float})"/>) for a generic float or double lane type. Each lane's result depends
/// only on that lane's input and agrees with <see cref="Math.Exp"/> and <see cref="Math.Log(double)"/> to within about
/// one unit in the last place.
/// </summary>
internal static class VectorMath
{
    /// <summary><c>e^v</c> in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Exp<T>(Vector<T> v)
        where T : unmanaged => typeof(T) == typeof(float)
            ? Vector.Exp(v.As<T, float>()).As<float, T>()
            : Vector.Exp(v.As<T, double>()).As<double, T>();

    /// <summary><c>ln v</c> in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Log<T>(Vector<T> v)
        where T : unmanaged => typeof(T) == typeof(float)
            ? Vector.Log(v.As<T, float>()).As<float, T>()
            : Vector.Log(v.As<T, double>()).As<double, T>();

    /// <summary>Lanes that hold NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> IsNaN<T>(Vector<T> v)
        where T : unmanaged => ~Vector.Equals(v, v);

    /// <summary>
    /// <c>destination[i] = x[i]^y</c> as <c>e^(y·ln x)</c>, for x positive (or NaN or +∞, which propagate as
    /// <see cref="Math.Pow"/> does) and y non-zero; within a few units in the last place of <see cref="Math.Pow"/>
    /// (more where |y·ln x| is large). <paramref name="destination"/> may be <paramref name="x"/> itself.
    /// </summary>
    public static unsafe void PowPositive<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, INumber<T>
    {
        System.Diagnostics.Debug.Assert(destination.Length >= x.Length && y != T.Zero);
        int n = x.Length, vc = Vector<T>.Count, i = 0;
        ref T src = ref MemoryMarshal.GetReference(x), dst = ref MemoryMarshal.GetReference(destination);
        var power = new Vector<T>(y);
        for (; i + vc <= n; i += vc)
        {
            Exp(power * Log(Vector.LoadUnsafe(ref src, (nuint)i))).StoreUnsafe(ref dst, (nuint)i);
        }

        if (i < n)
        {
            // The tail through one padded vector, so every element takes the same path.
            T* tail = stackalloc T[vc];
            new Span<T>(tail, vc).Fill(T.One);
            x[i..].CopyTo(new Span<T>(tail, vc));
            Exp(power * Log(Vector.Load(tail))).Store(tail);
            new Span<T>(tail, n - i).CopyTo(destination[i..]);
        }
    }
}
