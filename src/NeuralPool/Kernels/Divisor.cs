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

/// <summary>The divisor rule of an average: a part per output row and a part per output column, combined by <see cref="Combine"/>.</summary>
internal readonly record struct Divisor(DivisorMode Mode, int Override = 0)
{
    public static Divisor None => new(DivisorMode.None);

    /// <summary>The whole divisor from the product of the D and H counts of an output row and the count of its column (valid or padded, as the mode counts).</summary>
    public long Combine(long rowPart, long columnPart) => Mode switch
    {
        DivisorMode.None => 1,
        DivisorMode.Override => Override,
        _ => rowPart * columnPart,
    };
}
