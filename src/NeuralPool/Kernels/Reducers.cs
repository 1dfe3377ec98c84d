using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralPool.Kernels;

/// <summary>
/// A window reduction: how a tap is folded into the accumulator, in scalar and vector form. A window's
/// accumulator starts from its first valid tap, so no identity element is needed (which is what makes
/// all-minus-infinity windows and integer types come out exactly as in PyTorch).
/// </summary>
internal interface IReducer<T>
    where T : unmanaged, INumber<T>
{
    /// <summary>The value of a window with no valid tap.</summary>
    static abstract T Empty { get; }

    /// <summary>True when the accumulator starts from the first valid tap (which is then folded in twice, harmless for an idempotent reduction); false to start from zero.</summary>
    static abstract bool SeedWithFirst { get; }

    /// <summary>True for PyTorch's NaN-propagating max, which has a cheaper NaN-free form (<see cref="NaNFreeMaxReducer{T}"/>).</summary>
    static virtual bool IsMax => false;

    static abstract T Combine(T acc, T x);

    static abstract Vector<T> Combine(Vector<T> acc, Vector<T> x);

    /// <summary>The same on 512-bit vectors, for kernels that use them where <see cref="Vector512.IsHardwareAccelerated"/>.</summary>
    static abstract Vector512<T> Combine(Vector512<T> acc, Vector512<T> x);
}

/// <summary>Max with PyTorch's rule <c>x &gt; acc || isnan(x)</c>: the first maximum wins, NaN propagates, the last NaN wins.</summary>
internal readonly struct MaxReducer<T> : IReducer<T>
    where T : unmanaged, INumber<T>, IMinMaxValue<T>
{
    public static bool SeedWithFirst => true;

    public static bool IsMax => true;

    public static T Empty => typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity
        : typeof(T) == typeof(double) ? (T)(object)double.NegativeInfinity : T.MinValue;

    /// <summary>Scalar form, branch-free where 128-bit vectors are accelerated (a compare-and-select in lane 0), so random data costs no mispredictions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Combine(T acc, T x)
    {
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<T> a = Vector128.CreateScalarUnsafe(acc), v = Vector128.CreateScalarUnsafe(x);
            Vector128<T> takes = typeof(T) == typeof(float) || typeof(T) == typeof(double)
                ? Vector128.GreaterThan(v, a) | ~Vector128.Equals(v, v)
                : Vector128.GreaterThan(v, a);
            return Vector128.ConditionalSelect(takes, v, a).ToScalar();
        }

        return x > acc || T.IsNaN(x) ? x : acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Combine(Vector<T> acc, Vector<T> x) => Vector.ConditionalSelect(Takes(acc, x), x, acc);

    /// <summary>Lanes where <paramref name="x"/> replaces <paramref name="acc"/>: greater, or NaN (x != x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Combine(Vector512<T> acc, Vector512<T> x) =>
        Vector512.ConditionalSelect(typeof(T) == typeof(float) || typeof(T) == typeof(double)
            ? Vector512.GreaterThan(x, acc) | ~Vector512.Equals(x, x)
            : Vector512.GreaterThan(x, acc), x, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Takes(Vector<T> acc, Vector<T> x) =>
        typeof(T) == typeof(float) || typeof(T) == typeof(double)
            ? Vector.GreaterThan(x, acc) | ~Vector.Equals(x, x)
            : Vector.GreaterThan(x, acc);
}

/// <summary>Sum; the caller divides.</summary>
internal readonly struct SumReducer<T> : IReducer<T>
    where T : unmanaged, INumber<T>
{
    public static bool SeedWithFirst => false;

    public static T Empty => T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Combine(T acc, T x) => acc + x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Combine(Vector<T> acc, Vector<T> x) => acc + x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Combine(Vector512<T> acc, Vector512<T> x) => acc + x;
}

/// <summary>
/// Max as <c>x &gt; acc ? x : acc</c>: PyTorch's rule on data without NaN (the first maximum wins, -0 and
/// +0 included), one instruction per tap where the hardware's max has exactly that form. Kernels use it
/// only after checking that the data they reduce holds no NaN, and fall back to <see cref="MaxReducer{T}"/> otherwise.
/// </summary>
internal readonly struct NaNFreeMaxReducer<T> : IReducer<T>
    where T : unmanaged, INumber<T>
{
    public static bool SeedWithFirst => true;

    public static T Empty => T.CreateSaturating(double.NegativeInfinity);

    /// <summary>Scalar form, branch-free through <c>maxss</c>/<c>maxsd</c> (the same first-operand-if-greater rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Combine(T acc, T x)
    {
        if (typeof(T) == typeof(float) && Sse.IsSupported)
        {
            return (T)(object)Sse.MaxScalar(Vector128.CreateScalarUnsafe((float)(object)x), Vector128.CreateScalarUnsafe((float)(object)acc)).ToScalar();
        }

        if (typeof(T) == typeof(double) && Sse2.IsSupported)
        {
            return (T)(object)Sse2.MaxScalar(Vector128.CreateScalarUnsafe((double)(object)x), Vector128.CreateScalarUnsafe((double)(object)acc)).ToScalar();
        }

        return x > acc ? x : acc;
    }

    /// <summary>x86 <c>maxps</c>/<c>maxpd</c> return the first operand when it is greater, else the second: exactly <c>x &gt; acc ? x : acc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Combine(Vector<T> acc, Vector<T> x)
    {
        if (Vector<T>.Count * Unsafe.SizeOf<T>() == 32 && Avx.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx.Max(x.AsVector256().AsSingle(), acc.AsVector256().AsSingle()).As<float, T>().AsVector();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx.Max(x.AsVector256().AsDouble(), acc.AsVector256().AsDouble()).As<double, T>().AsVector();
            }
        }

        return Vector.ConditionalSelect(Vector.GreaterThan(x, acc), x, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Combine(Vector512<T> acc, Vector512<T> x)
    {
        if (Avx512F.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx512F.Max(x.AsSingle(), acc.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx512F.Max(x.AsDouble(), acc.AsDouble()).As<double, T>();
            }
        }

        return Vector512.ConditionalSelect(Vector512.GreaterThan(x, acc), x, acc);
    }
}
