using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralPool.Kernels;

/// <summary>
/// Moves between L separate rows (one per channels-first plane) and one interleaved row whose position
/// <c>p</c> holds the L rows' elements at <c>p</c> (the channels-last arrangement of L channels), with
/// L = <see cref="Vector256{T}.Count"/>: 8×8 float and 4×4 double register transposes, scalar tails.
/// </summary>
internal static unsafe class LaneTranspose
{
    /// <summary>Whether the register transposes exist for <typeparamref name="T"/> on this machine.</summary>
    public static bool IsSupported<T>()
        where T : unmanaged => Avx.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary><c>dst[p·L + l] = rows[l][p]</c> for p &lt; <paramref name="length"/>, l &lt; L.</summary>
    public static void Interleave<T>(T** rows, int length, T* dst)
        where T : unmanaged
    {
        int lanes = Vector256<T>.Count;
        int p = 0;
        if (typeof(T) == typeof(float))
        {
            var r = (float**)rows;
            var d = (float*)dst;
            for (; p + 8 <= length; p += 8)
            {
                Transpose8(
                    Vector256.Load(r[0] + p), Vector256.Load(r[1] + p), Vector256.Load(r[2] + p), Vector256.Load(r[3] + p),
                    Vector256.Load(r[4] + p), Vector256.Load(r[5] + p), Vector256.Load(r[6] + p), Vector256.Load(r[7] + p),
                    d + ((long)p * 8));
            }
        }
        else
        {
            var r = (double**)rows;
            var d = (double*)dst;
            for (; p + 4 <= length; p += 4)
            {
                Transpose4(Vector256.Load(r[0] + p), Vector256.Load(r[1] + p), Vector256.Load(r[2] + p), Vector256.Load(r[3] + p), d + ((long)p * 4));
            }
        }

        for (; p < length; p++)
        {
            for (int l = 0; l < lanes; l++)
            {
                dst[((long)p * lanes) + l] = rows[l][p];
            }
        }
    }

    /// <summary><c>rows[l][p] = src[p·L + l]</c> for p &lt; <paramref name="length"/>, l &lt; <paramref name="count"/> (at most L).</summary>
    public static void Deinterleave<T>(T* src, int length, T** rows, int count)
        where T : unmanaged
    {
        int lanes = Vector256<T>.Count;
        int p = 0;
        T* t = stackalloc T[lanes * lanes];
        if (typeof(T) == typeof(float))
        {
            var s = (float*)src;
            for (; p + 8 <= length; p += 8)
            {
                float* block = s + ((long)p * 8);
                float* into = count == 8 ? null : (float*)t;
                Transpose8(
                    Vector256.Load(block), Vector256.Load(block + 8), Vector256.Load(block + 16), Vector256.Load(block + 24),
                    Vector256.Load(block + 32), Vector256.Load(block + 40), Vector256.Load(block + 48), Vector256.Load(block + 56),
                    into, (float**)rows, p);
                if (into is not null)
                {
                    for (int l = 0; l < count; l++)
                    {
                        Vector256.Load(into + (l * 8)).Store((float*)rows[l] + p);
                    }
                }
            }
        }
        else
        {
            var s = (double*)src;
            for (; p + 4 <= length; p += 4)
            {
                double* block = s + ((long)p * 4);
                var into = (double*)t;
                Transpose4(Vector256.Load(block), Vector256.Load(block + 4), Vector256.Load(block + 8), Vector256.Load(block + 12), into);
                for (int l = 0; l < count; l++)
                {
                    Vector256.Load(into + (l * 4)).Store((double*)rows[l] + p);
                }
            }
        }

        for (; p < length; p++)
        {
            for (int l = 0; l < count; l++)
            {
                rows[l][p] = src[((long)p * lanes) + l];
            }
        }
    }

    /// <summary>
    /// Transposes the L×L matrix whose rows are <c>acc[0..L)</c> in place (8×8 float, 4×4 double), so
    /// that reducing the rows lane-wise afterwards reduces each original row across its lanes.
    /// </summary>
    public static void TransposeInPlace<T>(Vector256<T>* acc)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var a = (Vector256<float>*)acc;
            Transpose8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (float*)a);
        }
        else
        {
            var a = (Vector256<double>*)acc;
            Transpose4(a[0], a[1], a[2], a[3], (double*)a);
        }
    }

    /// <summary>
    /// <c>rows[l][p] = src[p·lanes + l]</c> for 64-bit indices, p &lt; <paramref name="length"/>,
    /// l &lt; <paramref name="count"/>: 4×4 register transposes of each group of four positions and four lanes.
    /// </summary>
    public static void DeinterleaveIndices(long* src, int length, int lanes, long** rows, int count)
    {
        int p = 0;
        double* t = stackalloc double[16];
        for (; p + 4 <= length; p += 4)
        {
            for (int l0 = 0; l0 < count; l0 += 4)
            {
                // Positions p..p+3 of lanes l0..l0+3, as bit patterns.
                var block = (double*)(src + ((long)p * lanes) + l0);
                Transpose4(Vector256.Load(block), Vector256.Load(block + lanes), Vector256.Load(block + (2 * lanes)), Vector256.Load(block + (3 * lanes)), t);
                for (int l = l0; l < Math.Min(count, l0 + 4); l++)
                {
                    Vector256.Load(t + ((l - l0) * 4)).Store((double*)(rows[l] + p));
                }
            }
        }

        for (; p < length; p++)
        {
            for (int l = 0; l < count; l++)
            {
                rows[l][p] = src[((long)p * lanes) + l];
            }
        }
    }

    /// <summary>Transposes the 8×8 matrix whose rows are r0..r7 and stores its rows contiguously at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst) =>
        Transpose8(r0, r1, r2, r3, r4, r5, r6, r7, dst, null, 0);

    /// <summary>Transposes the 8×8 matrix of rows r0..r7: its rows go contiguously to <paramref name="dst"/>, or when that is null, row l to <c>rows[l] + offset</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, float** rows, int offset)
    {
        // Pairs, then quadruples within each 128-bit half, then the halves.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Vector256<float> o0 = Avx.Permute2x128(s0, s4, 0x20), o1 = Avx.Permute2x128(s1, s5, 0x20), o2 = Avx.Permute2x128(s2, s6, 0x20), o3 = Avx.Permute2x128(s3, s7, 0x20);
        Vector256<float> o4 = Avx.Permute2x128(s0, s4, 0x31), o5 = Avx.Permute2x128(s1, s5, 0x31), o6 = Avx.Permute2x128(s2, s6, 0x31), o7 = Avx.Permute2x128(s3, s7, 0x31);
        if (dst is not null)
        {
            o0.Store(dst);
            o1.Store(dst + 8);
            o2.Store(dst + 16);
            o3.Store(dst + 24);
            o4.Store(dst + 32);
            o5.Store(dst + 40);
            o6.Store(dst + 48);
            o7.Store(dst + 56);
            return;
        }

        o0.Store(rows[0] + offset);
        o1.Store(rows[1] + offset);
        o2.Store(rows[2] + offset);
        o3.Store(rows[3] + offset);
        o4.Store(rows[4] + offset);
        o5.Store(rows[5] + offset);
        o6.Store(rows[6] + offset);
        o7.Store(rows[7] + offset);
    }

    /// <summary>Transposes the 4×4 matrix whose rows are r0..r3 and stores its rows contiguously at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(Vector256<double> r0, Vector256<double> r1, Vector256<double> r2, Vector256<double> r3, double* dst)
    {
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Avx.Permute2x128(t0, t2, 0x20).Store(dst);
        Avx.Permute2x128(t1, t3, 0x20).Store(dst + 4);
        Avx.Permute2x128(t0, t2, 0x31).Store(dst + 8);
        Avx.Permute2x128(t1, t3, 0x31).Store(dst + 12);
    }
}
