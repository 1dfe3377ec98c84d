using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NeuralPool.Training.Kernels;

/// <summary>The sizes of one 2-D convolution over one image: input (C, H, W), kernel, stride, padding, dilation, output.</summary>
internal readonly record struct ConvGeometry(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    /// <summary>Output height: <c>floor((H + 2·PH − DH·(KH − 1) − 1) / SH) + 1</c>.</summary>
    public int OH => ((H + (2 * PH) - (DH * (KH - 1)) - 1) / SH) + 1;

    /// <summary>Output width.</summary>
    public int OW => ((W + (2 * PW) - (DW * (KW - 1)) - 1) / SW) + 1;

    /// <summary>Rows of the column matrix: C·KH·KW.</summary>
    public int K => C * KH * KW;

    /// <summary>Columns of the column matrix: OH·OW.</summary>
    public int P => OH * OW;

    /// <summary>True when the column matrix is the image itself (1×1 kernel, stride 1, no padding).</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
}

/// <summary>
/// The column matrix of a convolution and its adjoint. Row <c>(c·KH + i)·KW + j</c>, column <c>oh·OW + ow</c> of
/// the K×P column matrix holds <c>x[c][oh·SH − PH + i·DH][ow·SW − PW + j·DW]</c>, or 0 where that lies in the padding,
/// so that the convolution of one image is the matrix product <c>W (Cout×K) · col (K×P)</c>. Each row of the column
/// matrix is a set of output rows, each a (strided) run of one input row with zeros where the run leaves the input.
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Writes the column matrix of image <paramref name="x"/> (C·H·W elements) into <paramref name="col"/> (K·P elements).</summary>
    public static void Forward<T>(in ConvGeometry g, ReadOnlySpan<T> x, Span<T> col)
        where T : unmanaged, INumberBase<T>
    {
        Debug.Assert(x.Length >= g.C * g.H * g.W && col.Length >= g.K * g.P);
        int oh = g.OH, ow = g.OW, p = g.P, plane = g.H * g.W;
        fixed (T* px = x, pc = col)
        {
            T* dst = pc;
            for (int c = 0; c < g.C; c++)
            {
                T* src = px + (c * plane);
                for (int i = 0; i < g.KH; i++)
                {
                    for (int j = 0; j < g.KW; j++, dst += p)
                    {
                        int shift = (j * g.DW) - g.PW;
                        var (w0, w1) = ValidRange(shift, g.SW, g.W, ow);
                        for (int y = 0; y < oh; y++)
                        {
                            T* line = dst + (y * ow);
                            int h = (y * g.SH) - g.PH + (i * g.DH);
                            if ((uint)h >= (uint)g.H || w0 >= w1)
                            {
                                Clear(line, ow);
                                continue;
                            }

                            Clear(line, w0);
                            Clear(line + w1, ow - w1);
                            T* row = src + (h * g.W) + shift;
                            if (g.SW == 1)
                            {
                                Copy(row + w0, line + w0, w1 - w0);
                            }
                            else
                            {
                                for (int q = w0; q < w1; q++)
                                {
                                    line[q] = row[q * g.SW];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The adjoint: <paramref name="dx"/> (C·H·W) is overwritten with the sum, at every input position, of the column entries that read it (rows of the column matrix in order).</summary>
    public static void Backward<T>(in ConvGeometry g, ReadOnlySpan<T> col, Span<T> dx)
        where T : unmanaged, INumberBase<T>
    {
        Debug.Assert(dx.Length >= g.C * g.H * g.W && col.Length >= g.K * g.P);
        int oh = g.OH, ow = g.OW, p = g.P, plane = g.H * g.W;
        dx[..(g.C * plane)].Clear();
        fixed (T* pd = dx, pc = col)
        {
            T* src = pc;
            for (int c = 0; c < g.C; c++)
            {
                T* dst = pd + (c * plane);
                for (int i = 0; i < g.KH; i++)
                {
                    for (int j = 0; j < g.KW; j++, src += p)
                    {
                        int shift = (j * g.DW) - g.PW;
                        var (w0, w1) = ValidRange(shift, g.SW, g.W, ow);
                        if (w0 >= w1)
                        {
                            continue;
                        }

                        for (int y = 0; y < oh; y++)
                        {
                            int h = (y * g.SH) - g.PH + (i * g.DH);
                            if ((uint)h >= (uint)g.H)
                            {
                                continue;
                            }

                            T* line = src + (y * ow);
                            T* row = dst + (h * g.W) + shift;
                            if (g.SW == 1)
                            {
                                Add(line + w0, row + w0, w1 - w0);
                            }
                            else
                            {
                                for (int q = w0; q < w1; q++)
                                {
                                    row[q * g.SW] += line[q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns [w0, w1) whose input column <c>q·stride + shift</c> lies in [0, width).</summary>
    private static (int W0, int W1) ValidRange(int shift, int stride, int width, int outWidth)
    {
        // q·stride + shift ≥ 0  ⇔  q ≥ ceil(−shift / stride);  q·stride + shift ≤ width − 1  ⇔  q ≤ floor((width − 1 − shift) / stride).
        int w0 = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = width - 1 - shift;
        int w1 = last < 0 ? 0 : Math.Min(outWidth, (last / stride) + 1);
        return (Math.Min(w0, outWidth), w1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear<T>(T* p, int n)
        where T : unmanaged, INumberBase<T>
    {
        for (int q = 0; q < n; q++)
        {
            p[q] = T.Zero;
        }
    }

    /// <summary>Copies n elements (source and destination do not overlap); runs of a vector or more end with an overlapping last vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(T* src, T* dst, int n)
        where T : unmanaged, INumberBase<T>
    {
        int v = Vector256<T>.Count;
        if (n < v)
        {
            for (int q = 0; q < n; q++)
            {
                dst[q] = src[q];
            }

            return;
        }

        int at = 0;
        for (; at <= n - v; at += v)
        {
            Vector256.Store(Vector256.Load(src + at), dst + at);
        }

        if (at < n)
        {
            Vector256.Store(Vector256.Load(src + n - v), dst + n - v);
        }
    }

    /// <summary><c>dst[q] += src[q]</c> for q &lt; n, in vectors then a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add<T>(T* src, T* dst, int n)
        where T : unmanaged, INumberBase<T>
    {
        int v = Vector256<T>.Count, q = 0;
        for (; q <= n - v; q += v)
        {
            Vector256.Store(Vector256.Load(dst + q) + Vector256.Load(src + q), dst + q);
        }

        for (; q < n; q++)
        {
            dst[q] += src[q];
        }
    }
}
