using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Bench.Runner;

/// <summary>Deterministic inputs of a case and the library calls on them in one layout.</summary>
internal static class CaseData
{
    /// <summary>
    /// Logical (channels-first) input: multiples of 1/64 in [-4, 4), so max windows hold ties and the
    /// first-maximum rule is exercised; seeded by the case name.
    /// </summary>
    public static float[] Input(SuiteCase c)
    {
        var rng = new SplitMix64(Seed(c.Name));
        var x = GC.AllocateUninitializedArray<float>(checked((int)c.InputLength));
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = ((int)(rng.Next() >> 55) - 256) / 64f;
        }

        return x;
    }

    /// <summary>Logical output gradient: uniform in [-1, 1).</summary>
    public static float[] GradOutput(SuiteCase c, long outputLength)
    {
        var rng = new SplitMix64(Seed(c.Name + "/grad"));
        var g = GC.AllocateUninitializedArray<float>(checked((int)outputLength));
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = ((rng.Next() >> 40) * (2.0f / (1 << 24))) - 1f;
        }

        return g;
    }

    /// <summary>N, C, plane (channels-first) to N, plane, C (channels-last).</summary>
    public static float[] ToChannelsLast(float[] x, int n, int c, long plane)
    {
        var y = GC.AllocateUninitializedArray<float>(x.Length);
        Parallel.For(0, n, b =>
        {
            for (int ch = 0; ch < c; ch++)
            {
                long src = ((long)b * c + ch) * plane;
                long dst = (long)b * plane * c + ch;
                for (long p = 0; p < plane; p++)
                {
                    y[dst + (p * c)] = x[src + p];
                }
            }
        });
        return y;
    }

    /// <summary>The physical shape of the case in a layout: N, C, spatial or N, spatial, C.</summary>
    public static int[] PhysicalShape(SuiteCase c, bool channelsLast) =>
        channelsLast ? [c.N, .. c.Shape[2..], c.C] : [.. c.Shape];

    public static PoolGeometry Geometry(SuiteCase c, bool channelsLast)
    {
        var layout = channelsLast ? TensorLayout.ChannelsLast : TensorLayout.ChannelsFirst;
        int[] shape = PhysicalShape(c, channelsLast);
        return c.IsAdaptive
            ? PoolGeometry.Adaptive(shape, layout, c.SpatialRank, c.OutputSize)
            : PoolGeometry.Torch(shape, layout, c.SpatialRank, c.Kernel, c.Stride, c.Padding, c.Dilation, c.CeilMode,
                c.IsMax ? TorchPoolKind.Max : TorchPoolKind.Average);
    }

    /// <summary>NeuralPool's output spatial extent in the caller's order.</summary>
    public static int[] OutputSpatial(in PoolGeometry g)
    {
        var s = new int[g.SpatialRank];
        for (int i = 0; i < g.SpatialRank; i++)
        {
            s[i] = g.Spatial(i).Out;
        }

        return s;
    }

    private static ulong Seed(string name)
    {
        ulong h = 14695981039346656037UL; // FNV-1a
        foreach (char ch in name)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return h;
    }

    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}

/// <summary>
/// One case in one layout: the geometry, the physical buffers (preallocated once), and the timed call of
/// the library's span API.
/// </summary>
internal sealed class LayoutRun
{
    public LayoutRun(SuiteCase c, bool channelsLast, float[] logicalInput, float[]? logicalGradOutput)
    {
        Case = c;
        ChannelsLast = channelsLast;
        Geometry = CaseData.Geometry(c, channelsLast);
        Input = channelsLast ? CaseData.ToChannelsLast(logicalInput, c.N, c.C, c.PlaneIn) : logicalInput;
        Output = new float[Geometry.OutputLength];
        Indices = c.UsesIndices ? new long[Geometry.OutputLength] : null;
        if (c.Backward)
        {
            GradOutput = channelsLast ? CaseData.ToChannelsLast(logicalGradOutput!, c.N, c.C, Geometry.OutputPlane) : logicalGradOutput!;
            GradInput = new float[Geometry.InputLength];
            if (c.IsMax)
            {
                MaxPool.Forward(Geometry, Input, Output, Indices!); // the indices that backward consumes, not timed
            }
        }
    }

    public SuiteCase Case { get; }
    public bool ChannelsLast { get; }
    public PoolGeometry Geometry { get; }
    public float[] Input { get; }
    public float[] Output { get; }
    public long[]? Indices { get; }
    public float[]? GradOutput { get; }
    public float[]? GradInput { get; }

    /// <summary>Bytes the timed call must move: inputs read plus outputs written (indices are 8 bytes each).</summary>
    public long BytesMoved
    {
        get
        {
            long outBytes = Geometry.OutputLength * sizeof(float), inBytes = Geometry.InputLength * sizeof(float);
            long idxBytes = Geometry.OutputLength * sizeof(long);
            if (Case.Backward)
            {
                return outBytes + inBytes + (Case.IsMax ? idxBytes : 0); // grad_output (+ indices) read, grad_input written
            }

            return inBytes + outBytes + (Case.ReturnIndices ? idxBytes : 0);
        }
    }

    /// <summary>The call being timed.</summary>
    public void Invoke()
    {
        var c = Case;
        if (c.Backward)
        {
            if (c.IsMax)
            {
                MaxPool.Backward<float>(Geometry, GradOutput, Indices, GradInput);
            }
            else
            {
                AvgPool.Backward<float>(Geometry, GradOutput, GradInput, c.CountIncludePad, c.DivisorOverride);
            }
        }
        else if (c.IsMax)
        {
            if (c.ReturnIndices)
            {
                MaxPool.Forward<float>(Geometry, Input, Output, Indices);
            }
            else
            {
                MaxPool.Forward<float>(Geometry, Input, Output);
            }
        }
        else
        {
            AvgPool.Forward<float>(Geometry, Input, Output, c.CountIncludePad, c.DivisorOverride);
        }
    }
}
