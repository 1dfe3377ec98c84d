using NeuralPool.Geometry;

namespace NeuralPool.Kernels;

/// <summary>
/// The valid taps of one output position on one axis: the output index, the first valid input
/// coordinate, the number of valid taps and the axis's part of the divisor. Tabulated once per call so
/// rows and columns cost no axis arithmetic.
/// </summary>
internal struct AxisSpan
{
    public int Out;
    public int First;
    public int Count;
    public int Part;

    public static AxisSpan Of(in PoolAxis axis, DivisorMode mode, int o)
    {
        int f = axis.FirstValid(o), e = axis.EndValid(o);
        return new AxisSpan
        {
            Out = o,
            First = axis.Start(o) + (f * axis.Dilation),
            Count = Math.Max(0, e - f),
            Part = mode == DivisorMode.PaddedCount ? axis.PaddedCount(o) : axis.ValidCount(o),
        };
    }

    /// <summary>Every output position of <paramref name="axis"/>.</summary>
    public static unsafe void Fill(in PoolAxis axis, DivisorMode mode, AxisSpan* into)
    {
        for (int o = 0; o < axis.Out; o++)
        {
            into[o] = Of(axis, mode, o);
        }
    }
}
