using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NeuralPool.Training.Kernels;

/// <summary>
/// Dense matrix product <c>C = op(A)·op(B)</c> (or <c>C += op(A)·op(B)</c>), row-major with leading dimensions, where
/// op is the identity or the transpose: the <c>A·B</c>, <c>Aᵀ·B</c> and <c>A·Bᵀ</c> that convolution and linear
/// layers need. Float or double.
/// <para>
/// Algorithm (Goto and van de Geijn's, as in BLIS): columns of C in blocks of <c>NC</c>, the inner dimension in
/// blocks of <c>KC</c>, rows in blocks of <c>MC</c>. Each <c>KC×NC</c> block of op(B) is packed into panels of
/// <c>NR</c> columns and each <c>MC×KC</c> block of op(A) into panels of <c>MR</c> rows (transposes are absorbed by
/// the packing, edges are zero-padded), and a register-blocked micro-kernel computes an <c>MR×NR</c> tile of C
/// from one A panel and one B panel: <c>MR = 6</c> broadcast rows times two <see cref="Vector256{T}"/> columns
/// (<c>NR</c> = 16 floats or 8 doubles), twelve accumulators, one fused (or, without FMA hardware, separate)
/// multiply-add per pair and step.
/// </para>
/// <para>
/// Determinism: every element of C is the sum over k in increasing order, in blocks of <c>KC</c> whose partial
/// results are added to C in block order. Neither the tile an element falls in nor the thread that computes it
/// changes that arithmetic, so a result is identical for every thread count and every position of the product
/// inside a larger one. With <c>parallel</c>, C is split into fixed column (or row) ranges, one per thread.
/// </para>
/// <para>
/// <c>A·Bᵀ</c> with k ≥ 32 (a convolution's weight gradient, a linear layer's forward) reads both operands along k,
/// so it skips the packing, whose transpose of B would cost more than the product: blocks of 3 rows of A and 4 rows of
/// B keep twelve vector accumulators, each the lane-wise sum over k in steps of V; an element is then the fixed
/// horizontal sum of its accumulator plus the k mod V tail in order, whatever block it falls in.
/// </para>
/// </summary>
public static unsafe class Gemm
{
    private const int MR = 6;
    private const int KC = 256;
    private const int MC = 120;
    private const int NC = 3072;

    /// <summary>From this inner size on, <c>A·Bᵀ</c> runs as dot products of rows (no packing; both operands are read along k).</summary>
    private const int DotMinimum = 32;

    /// <summary>Up to this many rows of C, B is read in place rather than packed.</summary>
    private const int DirectRows = 4 * MR;

    /// <summary>
    /// <c>C = op(A)·op(B)</c>, or <c>C += op(A)·op(B)</c> with <paramref name="accumulate"/>, where op(A) is m×k,
    /// op(B) is k×n and C is m×n, all row-major: element (i, j) of a matrix with leading dimension ld is at
    /// <c>i·ld + j</c>. With <paramref name="transposeA"/>, A is stored k×m and op(A) = Aᵀ; likewise B (n×k).
    /// </summary>
    /// <param name="transposeA">Use Aᵀ (A stored k×m).</param>
    /// <param name="transposeB">Use Bᵀ (B stored n×k).</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="a">A's elements.</param>
    /// <param name="lda">A's leading dimension (at least its stored column count).</param>
    /// <param name="b">B's elements.</param>
    /// <param name="ldb">B's leading dimension.</param>
    /// <param name="c">C's elements; only the m×n elements it addresses are written.</param>
    /// <param name="ldc">C's leading dimension (at least n).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="parallel">Split C over <see cref="TrainingSettings.Threads"/> threads (the result is the same).</param>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, or a span is too short; nothing is written then.</exception>
    /// <exception cref="NotSupportedException">T is not float or double.</exception>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false, bool parallel = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"matrix product of {typeof(T).Name} is not supported; use float or double.");
        }

        if (m < 0 || n < 0 || k < 0)
        {
            ThrowHelper.Argument(m < 0 ? nameof(m) : n < 0 ? nameof(n) : nameof(k), $"matrix sizes must be non-negative, got m {m}, n {n}, k {k}.");
        }

        CheckOperand(nameof(a), a.Length, lda, transposeA ? k : m, transposeA ? m : k);
        CheckOperand(nameof(b), b.Length, ldb, transposeB ? n : k, transposeB ? k : n);
        CheckOperand(nameof(c), c.Length, ldc, m, n);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    c.Slice(i * ldc, n).Clear();
                }
            }

            return;
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            var job = new Job<T>((nint)pa, lda, transposeA, (nint)pb, ldb, transposeB, (nint)pc, ldc, k, accumulate,
                dot: transposeB && !transposeA && k >= DotMinimum);
            int nr = 2 * Vector256<T>.Count;
            int colBlocks = (n + nr - 1) / nr, rowBlocks = (m + MR - 1) / MR;
            if (!parallel || TrainingSettings.Threads == 1 || (long)m * n * k < 32768)
            {
                job.Run(0, m, 0, n);
            }
            else if (colBlocks >= rowBlocks)
            {
                WorkerTeam.For(colBlocks, (b0, b1) => job.Run(0, m, b0 * nr, Math.Min(n, b1 * nr)));
            }
            else
            {
                WorkerTeam.For(rowBlocks, (b0, b1) => job.Run(b0 * MR, Math.Min(m, b1 * MR), 0, n));
            }
        }
    }

    private static void CheckOperand(string name, int length, int ld, int rows, int cols)
    {
        if (ld < Math.Max(1, cols))
        {
            ThrowHelper.Argument("ld" + name, $"leading dimension {ld} of {name} is smaller than its {cols} stored columns.");
        }

        long needed = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (length < needed)
        {
            ThrowHelper.Argument(name, $"{name} has {length} elements but a {rows}×{cols} matrix with leading dimension {ld} needs {needed}.");
        }
    }

    /// <summary>One product: operand addresses and shapes; <see cref="Run"/> computes a rectangle of C.</summary>
    private readonly struct Job<T>(nint a, int lda, bool transA, nint b, int ldb, bool transB, nint c, int ldc, int k, bool accumulate, bool dot)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Rows [i0, i1) and columns [j0, j1) of C.</summary>
        public void Run(int i0, int i1, int j0, int j1)
        {
            if (dot)
            {
                RunDot(i0, i1, j0, j1);
                return;
            }

            int nr = 2 * Vector256<T>.Count;
            T* ap = Scratch<T>.Pointer(Scratch<T>.PackA, (MC * KC) + (MR * nr));
            T* tile = ap + (MC * KC);
            T* bp = Scratch<T>.Pointer(Scratch<T>.PackB, KC * NC);
            T* pc = (T*)c, pb = (T*)b;

            // With few rows each B panel serves one or few tiles: the kernel reads B in place instead of a packed copy
            // (the values and their order are the same, so the results are too); only a partial last panel is packed.
            // Not for row strides of a multiple of 1 KiB, whose rows would all fall into a few L1 cache sets.
            bool direct = !transB && i1 - i0 <= DirectRows && ((long)ldb * sizeof(T)) % 1024 != 0;
            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int p0 = 0; p0 < k; p0 += KC)
                {
                    int kc = Math.Min(KC, k - p0);
                    int full = direct ? nc - (nc % nr) : 0;
                    PackB(bp + (full * kc), p0, jc + full, kc, nc - full, nr);
                    bool add = accumulate || p0 > 0;
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(ap, ic, p0, mc, kc);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int w = Math.Min(nr, nc - jr);
                            T* panel = jr < full ? pb + ((long)p0 * ldb) + jc + jr : bp + (jr * kc);
                            int stride = jr < full ? ldb : nr;
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                Kernel(kc, ap + (ir * kc), panel, stride, pc + ((long)(ic + ir) * ldc) + jc + jr, ldc, Math.Min(MR, mc - ir), w, add, tile);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>C[i][j] = Σ_p A[i][p]·B[j][p] over rows [i0, i1) and columns [j0, j1), in blocks of 3×4.</summary>
        private void RunDot(int i0, int i1, int j0, int j1)
        {
            T* pa = (T*)a, pb = (T*)b, pc = (T*)c;
            int i = i0;
            for (; i <= i1 - 3; i += 3)
            {
                int j = j0;
                for (; j <= j1 - 4; j += 4)
                {
                    Dot3x4(k, pa + ((long)i * lda), lda, pb + ((long)j * ldb), ldb, pc + ((long)i * ldc) + j, ldc, accumulate);
                }

                for (; j < j1; j++)
                {
                    for (int r = 0; r < 3; r++)
                    {
                        Dot1(k, pa + ((long)(i + r) * lda), pb + ((long)j * ldb), pc + ((long)(i + r) * ldc) + j, accumulate);
                    }
                }
            }

            for (; i < i1; i++)
            {
                for (int j = j0; j < j1; j++)
                {
                    Dot1(k, pa + ((long)i * lda), pb + ((long)j * ldb), pc + ((long)i * ldc) + j, accumulate);
                }
            }
        }

        /// <summary>Rows [ic, ic + mc) of op(A), columns [p0, p0 + kc), into panels of MR rows: panel r holds op(A)[r·MR + i][p] at p·MR + i.</summary>
        private void PackA(T* dst, int ic, int p0, int mc, int kc)
        {
            T* pa = (T*)a;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int h = Math.Min(MR, mc - ir);
                T* panel = dst + (ir * kc);
                if (!transA)
                {
                    // op(A)[i][p] = A[i][p]: each row is read contiguously and written with stride MR.
                    for (int r = 0; r < h; r++)
                    {
                        T* src = pa + ((long)(ic + ir + r) * lda) + p0;
                        for (int p = 0; p < kc; p++)
                        {
                            panel[(p * MR) + r] = src[p];
                        }
                    }
                }
                else
                {
                    // op(A)[i][p] = A[p][i]: each step p reads MR consecutive elements.
                    for (int p = 0; p < kc; p++)
                    {
                        T* src = pa + ((long)(p0 + p) * lda) + ic + ir;
                        for (int r = 0; r < h; r++)
                        {
                            panel[(p * MR) + r] = src[r];
                        }
                    }
                }

                for (int r = h; r < MR; r++)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        panel[(p * MR) + r] = T.Zero;
                    }
                }
            }
        }

        /// <summary>Rows [p0, p0 + kc) of op(B), columns [jc, jc + nc), into panels of NR columns: panel j holds op(B)[p][j·NR + q] at p·NR + q.</summary>
        private void PackB(T* dst, int p0, int jc, int kc, int nc, int nr)
        {
            T* pb = (T*)b;
            int v = Vector256<T>.Count;
            for (int j = 0; j < nc; j += nr)
            {
                int w = Math.Min(nr, nc - j);
                T* panel = dst + (j * kc);
                if (!transB)
                {
                    // op(B)[p][j] = B[p][j]: NR consecutive elements per step.
                    T* src = pb + ((long)p0 * ldb) + jc + j;
                    if (w == nr)
                    {
                        for (int p = 0; p < kc; p++, src += ldb)
                        {
                            Vector256.Load(src).Store(panel + (p * nr));
                            Vector256.Load(src + v).Store(panel + (p * nr) + v);
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++, src += ldb)
                        {
                            int q = 0;
                            for (; q < w; q++)
                            {
                                panel[(p * nr) + q] = src[q];
                            }

                            for (; q < nr; q++)
                            {
                                panel[(p * nr) + q] = T.Zero;
                            }
                        }
                    }
                }
                else
                {
                    // op(B)[p][j] = B[j][p]: each stored row is read contiguously and written with stride NR.
                    for (int q = 0; q < w; q++)
                    {
                        T* src = pb + ((long)(jc + j + q) * ldb) + p0;
                        for (int p = 0; p < kc; p++)
                        {
                            panel[(p * nr) + q] = src[p];
                        }
                    }

                    for (int q = w; q < nr; q++)
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            panel[(p * nr) + q] = T.Zero;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The micro-kernel: the MR×NR tile <c>Σ_p a[p·MR + i]·b[p·bStride + j]</c> over p in order, stored to (or, with
    /// <paramref name="add"/>, added to) the top-left <paramref name="mr"/>×<paramref name="nr"/> corner at c. B is a
    /// packed panel (stride NR) or, for products with few rows, the full-width columns of B itself (stride ldb).
    /// Lanes: accumulator c{i}{h} holds row i, columns h·V .. h·V + V − 1 of the tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<T>(int kc, T* a, T* b, int bStride, T* c, int ldc, int mr, int nr, bool add, T* tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + v);
            var x = Vector256.Create(a[0]);
            c00 = Fma(x, b0, c00);
            c01 = Fma(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fma(x, b0, c10);
            c11 = Fma(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Fma(x, b0, c20);
            c21 = Fma(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Fma(x, b0, c30);
            c31 = Fma(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Fma(x, b0, c40);
            c41 = Fma(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Fma(x, b0, c50);
            c51 = Fma(x, b1, c51);
            a += MR;
            b += bStride;
        }

        if (mr == MR && nr == 2 * v)
        {
            StoreRow(c, v, c00, c01, add);
            StoreRow(c + ldc, v, c10, c11, add);
            StoreRow(c + (2 * ldc), v, c20, c21, add);
            StoreRow(c + (3 * ldc), v, c30, c31, add);
            StoreRow(c + (4 * ldc), v, c40, c41, add);
            StoreRow(c + (5 * ldc), v, c50, c51, add);
            return;
        }

        // An edge tile: spill to the caller's scratch tile, then store the valid corner.
        int w = 2 * v;
        c00.Store(tile);
        c01.Store(tile + v);
        c10.Store(tile + w);
        c11.Store(tile + w + v);
        c20.Store(tile + (2 * w));
        c21.Store(tile + (2 * w) + v);
        c30.Store(tile + (3 * w));
        c31.Store(tile + (3 * w) + v);
        c40.Store(tile + (4 * w));
        c41.Store(tile + (4 * w) + v);
        c50.Store(tile + (5 * w));
        c51.Store(tile + (5 * w) + v);
        for (int i = 0; i < mr; i++)
        {
            T* row = c + ((long)i * ldc);
            for (int j = 0; j < nr; j++)
            {
                row[j] = add ? row[j] + tile[(i * w) + j] : tile[(i * w) + j];
            }
        }
    }

    /// <summary>The 3×4 block <c>C[r][q] (+)= Σ_p a_r[p]·b_q[p]</c>; accumulator c{r}{q} holds the lane sums of one element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot3x4<T>(int k, T* a, int lda, T* b, int ldb, T* c, int ldc, bool add)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count, kv = k - (k % v);
        T* a1 = a + lda, a2 = a + (2 * lda), b1 = b + ldb, b2 = b + (2 * ldb), b3 = b + (3 * ldb);
        Vector256<T> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default;
        Vector256<T> c12 = default, c13 = default, c20 = default, c21 = default, c22 = default, c23 = default;
        for (int p = 0; p < kv; p += v)
        {
            var x0 = Vector256.Load(b + p);
            var x1 = Vector256.Load(b1 + p);
            var x2 = Vector256.Load(b2 + p);
            var x3 = Vector256.Load(b3 + p);
            var y = Vector256.Load(a + p);
            c00 = Fma(y, x0, c00);
            c01 = Fma(y, x1, c01);
            c02 = Fma(y, x2, c02);
            c03 = Fma(y, x3, c03);
            y = Vector256.Load(a1 + p);
            c10 = Fma(y, x0, c10);
            c11 = Fma(y, x1, c11);
            c12 = Fma(y, x2, c12);
            c13 = Fma(y, x3, c13);
            y = Vector256.Load(a2 + p);
            c20 = Fma(y, x0, c20);
            c21 = Fma(y, x1, c21);
            c22 = Fma(y, x2, c22);
            c23 = Fma(y, x3, c23);
        }

        Finish(k, kv, a, b, c00, c, add);
        Finish(k, kv, a, b1, c01, c + 1, add);
        Finish(k, kv, a, b2, c02, c + 2, add);
        Finish(k, kv, a, b3, c03, c + 3, add);
        Finish(k, kv, a1, b, c10, c + ldc, add);
        Finish(k, kv, a1, b1, c11, c + ldc + 1, add);
        Finish(k, kv, a1, b2, c12, c + ldc + 2, add);
        Finish(k, kv, a1, b3, c13, c + ldc + 3, add);
        Finish(k, kv, a2, b, c20, c + (2 * ldc), add);
        Finish(k, kv, a2, b1, c21, c + (2 * ldc) + 1, add);
        Finish(k, kv, a2, b2, c22, c + (2 * ldc) + 2, add);
        Finish(k, kv, a2, b3, c23, c + (2 * ldc) + 3, add);
    }

    /// <summary>One element <c>C (+)= Σ_p a[p]·b[p]</c>, with the same arithmetic as an element of <see cref="Dot3x4"/>.</summary>
    private static void Dot1<T>(int k, T* a, T* b, T* c, bool add)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector256<T>.Count, kv = k - (k % v);
        var acc = Vector256<T>.Zero;
        for (int p = 0; p < kv; p += v)
        {
            acc = Fma(Vector256.Load(a + p), Vector256.Load(b + p), acc);
        }

        Finish(k, kv, a, b, acc, c, add);
    }

    /// <summary>The horizontal sum of the lane sums, then the tail k ∈ [kv, k) in order, stored to (or added to) c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<T>(int k, int kv, T* a, T* b, Vector256<T> acc, T* c, bool add)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = Vector256.Sum(acc);
        for (int p = kv; p < k; p++)
        {
            s += a[p] * b[p];
        }

        *c = add ? *c + s : s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* row, int v, Vector256<T> lo, Vector256<T> hi, bool add)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (add)
        {
            lo += Vector256.Load(row);
            hi += Vector256.Load(row + v);
        }

        lo.Store(row);
        hi.Store(row + v);
    }

    /// <summary><c>a·b + c</c>, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }

        return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }
}
