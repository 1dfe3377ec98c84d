using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NeuralPool.Training.Kernels;

/// <summary>
/// Elementwise loops over spans in <see cref="Vector256{T}"/> steps with a scalar tail. Each result element is
/// computed from the same elements in the same way whatever its position, so splitting a span changes nothing.
/// </summary>
internal static class Simd
{
    /// <summary><c>dst[i] += src[i]</c>.</summary>
    public static void Add<T>(ReadOnlySpan<T> src, Span<T> dst)
        where T : unmanaged, INumberBase<T>
    {
        if (dst.Length < src.Length)
        {
            ThrowHelper.Argument(nameof(dst), $"destination has {dst.Length} elements for {src.Length}.");
        }

        ref T s = ref MemoryMarshal.GetReference(src);
        ref T d = ref MemoryMarshal.GetReference(dst);
        int i = 0, v = Vector256<T>.Count;
        for (; i <= src.Length - v; i += v)
        {
            (Vector256.LoadUnsafe(ref d, (nuint)i) + Vector256.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        }

        for (; i < src.Length; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref s, i);
        }
    }

    /// <summary>
    /// The sum of <paramref name="x"/> in double: V lane sums in T over the span (lane l takes the elements at
    /// positions ≡ l mod V), then the lanes and the tail added in order in double.
    /// </summary>
    public static double Sum<T>(ReadOnlySpan<T> x)
        where T : unmanaged, INumberBase<T>
    {
        ref T s = ref MemoryMarshal.GetReference(x);
        int i = 0, v = Vector256<T>.Count;
        var acc = Vector256<T>.Zero;
        for (; i <= x.Length - v; i += v)
        {
            acc += Vector256.LoadUnsafe(ref s, (nuint)i);
        }

        double total = 0;
        for (int l = 0; l < v; l++)
        {
            total += double.CreateTruncating(acc.GetElement(l));
        }

        for (; i < x.Length; i++)
        {
            total += double.CreateTruncating(Unsafe.Add(ref s, i));
        }

        return total;
    }

    /// <summary>The dot product of <paramref name="x"/> and <paramref name="y"/> in double, lanes as in <see cref="Sum{T}"/>.</summary>
    public static double Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, INumberBase<T>
    {
        ref T a = ref MemoryMarshal.GetReference(x);
        ref T b = ref MemoryMarshal.GetReference(y);
        int i = 0, v = Vector256<T>.Count;
        var acc = Vector256<T>.Zero;
        for (; i <= x.Length - v; i += v)
        {
            acc = Gemm.Fma(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc);
        }

        double total = 0;
        for (int l = 0; l < v; l++)
        {
            total += double.CreateTruncating(acc.GetElement(l));
        }

        for (; i < x.Length; i++)
        {
            total += double.CreateTruncating(Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i));
        }

        return total;
    }

    /// <summary><c>Σ (x[i] − mean)²</c> in double: the deviations and squares in T lanes as in <see cref="Sum{T}"/>.</summary>
    public static double SquaredDeviations<T>(ReadOnlySpan<T> x, T mean)
        where T : unmanaged, INumberBase<T>
    {
        ref T s = ref MemoryMarshal.GetReference(x);
        int i = 0, v = Vector256<T>.Count;
        var acc = Vector256<T>.Zero;
        var mu = Vector256.Create(mean);
        for (; i <= x.Length - v; i += v)
        {
            var d = Vector256.LoadUnsafe(ref s, (nuint)i) - mu;
            acc += d * d;
        }

        double total = 0;
        for (int l = 0; l < v; l++)
        {
            total += double.CreateTruncating(acc.GetElement(l));
        }

        for (; i < x.Length; i++)
        {
            T d = Unsafe.Add(ref s, i) - mean;
            total += double.CreateTruncating(d * d);
        }

        return total;
    }

    /// <summary><c>Σ (x[i] − mean)·y[i]</c> in double, lanes as in <see cref="Sum{T}"/>.</summary>
    public static double CenteredDot<T>(ReadOnlySpan<T> x, T mean, ReadOnlySpan<T> y)
        where T : unmanaged, INumberBase<T>
    {
        ref T a = ref MemoryMarshal.GetReference(x);
        ref T b = ref MemoryMarshal.GetReference(y);
        int i = 0, v = Vector256<T>.Count;
        var acc = Vector256<T>.Zero;
        var mu = Vector256.Create(mean);
        for (; i <= x.Length - v; i += v)
        {
            acc += (Vector256.LoadUnsafe(ref a, (nuint)i) - mu) * Vector256.LoadUnsafe(ref b, (nuint)i);
        }

        double total = 0;
        for (int l = 0; l < v; l++)
        {
            total += double.CreateTruncating(acc.GetElement(l));
        }

        for (; i < x.Length; i++)
        {
            total += double.CreateTruncating((Unsafe.Add(ref a, i) - mean) * Unsafe.Add(ref b, i));
        }

        return total;
    }

    /// <summary><c>y[i] = x[i]·scale + shift</c> (a multiply, then an add).</summary>
    public static void Affine<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y)
        where T : unmanaged, INumberBase<T>
    {
        ref T s = ref MemoryMarshal.GetReference(x);
        ref T d = ref MemoryMarshal.GetReference(y);
        int i = 0, v = Vector256<T>.Count;
        var a = Vector256.Create(scale);
        var b = Vector256.Create(shift);
        for (; i <= x.Length - v; i += v)
        {
            ((Vector256.LoadUnsafe(ref s, (nuint)i) * a) + b).StoreUnsafe(ref d, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref d, i) = (Unsafe.Add(ref s, i) * scale) + shift;
        }
    }

    /// <summary><c>dx[i] = (dy[i] − m − (x[i] − mu)·p)·scale</c>, batch normalisation's input gradient.</summary>
    public static void BatchNormGradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, T m, T mu, T p, T scale, Span<T> dx)
        where T : unmanaged, INumberBase<T>
    {
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T gs = ref MemoryMarshal.GetReference(dy);
        ref T d = ref MemoryMarshal.GetReference(dx);
        int i = 0, v = Vector256<T>.Count;
        Vector256<T> vm = Vector256.Create(m), vmu = Vector256.Create(mu), vp = Vector256.Create(p), vs = Vector256.Create(scale);
        for (; i <= x.Length - v; i += v)
        {
            var g = Vector256.LoadUnsafe(ref gs, (nuint)i) - vm - ((Vector256.LoadUnsafe(ref xs, (nuint)i) - vmu) * vp);
            (g * vs).StoreUnsafe(ref d, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref d, i) = (Unsafe.Add(ref gs, i) - m - ((Unsafe.Add(ref xs, i) - mu) * p)) * scale;
        }
    }
}
