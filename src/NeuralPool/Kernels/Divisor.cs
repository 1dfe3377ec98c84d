using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>What a window sum is divided by.</summary>
internal enum DivisorMode
{
    /// <summary>Plain sum (global Lp, ONNX LpPool).</summary>
    None,

    /// <summary>Number of taps inside the input (count_include_pad off; adaptive bins; lp_pool).</summary>
    ValidCount,

    /// <summary>Number of taps inside the input or the declared padding, ceil overhang excluded.</summary>
    PaddedCount,

    /// <summary>A fixed divisor (divisor_override).</summary>
    Override,
}

/// <summary>The divisor rule of an average; <see cref="Of"/> evaluates it for one output position.</summary>
internal readonly record struct Divisor(DivisorMode Mode, int Override = 0)
{
    public static Divisor None => new(DivisorMode.None);

    /// <summary>The part of the divisor that depends on the output row (od, oh): complete it with <see cref="WithColumn"/>; 0 when the mode has no per-window count.</summary>
    public long RowPart(in PoolGeometry g, int od, int oh) => Mode switch
    {
        DivisorMode.ValidCount => (long)g.D.ValidCount(od) * g.H.ValidCount(oh),
        DivisorMode.PaddedCount => (long)g.D.PaddedCount(od) * g.H.PaddedCount(oh),
        _ => 0,
    };

    /// <summary>The whole divisor from a <see cref="RowPart"/> and the output column.</summary>
    public long WithColumn(in PoolGeometry g, long rowPart, int ow) => Mode switch
    {
        DivisorMode.None => 1,
        DivisorMode.ValidCount => rowPart * g.W.ValidCount(ow),
        DivisorMode.PaddedCount => rowPart * g.W.PaddedCount(ow),
        _ => Override,
    };

    public long Of(in PoolGeometry g, int od, int oh, int ow) => Mode switch
    {
        DivisorMode.None => 1,
        DivisorMode.ValidCount => (long)g.D.ValidCount(od) * g.H.ValidCount(oh) * g.W.ValidCount(ow),
        DivisorMode.PaddedCount => (long)g.D.PaddedCount(od) * g.H.PaddedCount(oh) * g.W.PaddedCount(ow),
        _ => Override,
    };
}
