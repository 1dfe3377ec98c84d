using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// Channels-first pooling whose one window is the whole plane (global pooling, adaptive to 1, a kernel
/// the size of the input): the plane is contiguous, so each of L = <see cref="Vector256{T}.Count"/>
/// consecutive planes is reduced into a vector accumulator, the L accumulators are transposed, and
/// reducing the transposed rows gives the L planes' results in one vector, stored contiguously.
/// </summary>
internal static unsafe partial class WindowReduce
{
    private struct PlaneJob
    {
        public void* X;
        public void* Y;
        public long Planes;
        public int Length;
        public long Divisor;
    }

    /// <summary>Whether <paramref name="g"/> is channels-first with a single window covering each whole plane, and the vector path exists.</summary>
    private static bool WholePlanes<T>(in PoolGeometry g)
        where T : unmanaged
    {
        static bool Whole(in PoolAxis a) => a.Out == 1 && a.Start(0) == 0 && a.ValidCount(0) == a.In && (a.In == 1 || a.Dilation == 1);
        return g.Layout == TensorLayout.ChannelsFirst && LaneTranspose.IsSupported<T>() && Vector.IsHardwareAccelerated && Vector<T>.Count == Vector256<T>.Count
            && Whole(g.D) && Whole(g.H) && Whole(g.W) && g.InputPlane >= Vector256<T>.Count && g.InputPlane <= int.MaxValue;
    }

    private static void ForwardWholePlanes<T, TRed>(in PoolGeometry g, T* x, T* y, Divisor divisor)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        int lanes = Vector256<T>.Count;
        long part = (long)AxisSpan.Of(g.D, divisor.Mode, 0).Part * AxisSpan.Of(g.H, divisor.Mode, 0).Part;
        var job = new PlaneJob
        {
            X = x,
            Y = y,
            Planes = (long)g.N * g.C,
            Length = (int)g.InputPlane,
            Divisor = divisor.Combine(part, AxisSpan.Of(g.W, divisor.Mode, 0).Part),
        };
        long blocks = (job.Planes + lanes - 1) / lanes;
        Workers.For((int)blocks, g.InputLength + g.OutputLength, &WholePlaneRange<T, TRed>, &job);
    }

    /// <summary>Blocks of L planes [b0, b1). A last block with fewer planes repeats its last plane in the spare accumulators and stores only its own results.</summary>
    private static void WholePlaneRange<T, TRed>(int b0, int b1, void* state)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        ref PlaneJob job = ref Unsafe.AsRef<PlaneJob>(state);
        int lanes = Vector256<T>.Count, length = job.Length;
        int body = length - (length % lanes); // whole vectors
        int rest = length - body;

        // keep lane i of the tail vector (the plane's last L elements) only when it is not already in the body.
        Vector256<T> tailKeep = sizeof(T) == 8
            ? Vector256.GreaterThanOrEqual(Vector256<long>.Indices, Vector256.Create((long)(lanes - rest))).As<long, T>()
            : Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(lanes - rest)).As<int, T>();

        Vector256<T>* acc = stackalloc Vector256<T>[lanes];
        T* result = stackalloc T[lanes];
        bool zeroSign = SignedZeros<T, TRed>();
        var scale = Vector256.Create(T.CreateChecked(job.Divisor));
        for (int b = b0; b < b1; b++)
        {
            long p0 = (long)b * lanes;
            int count = (int)Math.Min(lanes, job.Planes - p0);
            for (int l = 0; l < lanes; l++)
            {
                T* p = (T*)job.X + ((p0 + Math.Min(l, count - 1)) * length);

                // a0, a1 lane i: the reduction of elements i, i + 2L, ... and i + L, i + 3L, ... of the plane.
                Vector256<T> a0 = Vector256.Load(p), a1 = a0;
                int i = lanes;
                if (!TRed.SeedWithFirst)
                {
                    a1 = Vector256<T>.Zero;
                }

                for (; i + (2 * lanes) <= body; i += 2 * lanes)
                {
                    a0 = Combine<T, TRed>(a0, Vector256.Load(p + i));
                    a1 = Combine<T, TRed>(a1, Vector256.Load(p + i + lanes));
                }

                if (i < body)
                {
                    a0 = Combine<T, TRed>(a0, Vector256.Load(p + i));
                }

                if (rest != 0)
                {
                    Vector256<T> tail = Vector256.Load(p + length - lanes);
                    a1 = Combine<T, TRed>(a1, TRed.SeedWithFirst ? tail : tail & tailKeep);
                }

                acc[l] = Combine<T, TRed>(a0, a1);
            }

            // Row l of acc holds plane l's partial results; after the transpose, lane l of every row does.
            LaneTranspose.TransposeInPlace(acc);
            Vector256<T> r = acc[0];
            for (int l = 1; l < lanes; l++)
            {
                r = Combine<T, TRed>(r, acc[l]);
            }

            if (job.Divisor != 1)
            {
                r /= scale;
            }

            T* yo = (T*)job.Y + p0;
            if (count == lanes && !(zeroSign && Vector256.EqualsAny(r, Vector256<T>.Zero)))
            {
                r.Store(yo);
                continue;
            }

            r.Store(result);
            for (int l = 0; l < count; l++)
            {
                // A zero maximum may hold zeros of both signs, which the lanes met out of order: the first in the plane's
                // order is PyTorch's.
                yo[l] = zeroSign && result[l] == T.Zero ? ScanWhole<T, TRed>((T*)job.X + ((p0 + l) * length), length) : result[l];
            }
        }
    }

    /// <summary>The reduction of <paramref name="length"/> elements in order, the earlier ones as the accumulator.</summary>
    private static T ScanWhole<T, TRed>(T* p, int length)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T>
    {
        T acc = p[0];
        for (int i = 1; i < length; i++)
        {
            acc = TRed.Combine(acc, p[i]);
        }

        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Combine<T, TRed>(Vector256<T> acc, Vector256<T> x)
        where T : unmanaged, INumber<T>
        where TRed : IReducer<T> => TRed.Combine(acc.AsVector(), x.AsVector()).AsVector256();
}
