namespace NeuralPool.Geometry;

/// <summary>
/// The window geometry of one spatial axis. Output position <c>o</c> reads taps
/// <c>Start(o) + j * Dilation</c> for <c>j</c> in <c>[0, TapCount(o))</c>; the taps that fall inside
/// the input are <c>j</c> in <c>[FirstValid(o), EndValid(o))</c>. Adaptive axes use PyTorch's bins
/// <c>[floor(o*In/Out), ceil((o+1)*In/Out))</c> with unit dilation.
/// </summary>
public readonly record struct PoolAxis
{
    /// <summary>Input extent.</summary>
    public int In { get; init; }

    /// <summary>Output extent.</summary>
    public int Out { get; init; }

    /// <summary>Window size in taps (for adaptive axes: a bound on the bin size).</summary>
    public int Kernel { get; init; }

    /// <summary>Distance between consecutive windows.</summary>
    public int Stride { get; init; }

    /// <summary>Implicit padding before the first element.</summary>
    public int PadBegin { get; init; }

    /// <summary>Implicit padding after the last element (counted by count_include_pad).</summary>
    public int PadEnd { get; init; }

    /// <summary>Distance between consecutive taps of one window.</summary>
    public int Dilation { get; init; }

    /// <summary>True when windows are PyTorch adaptive bins.</summary>
    public bool Adaptive { get; init; }

    /// <summary>An axis that does nothing: extent 1, kernel 1.</summary>
    public static PoolAxis Unit => new() { In = 1, Out = 1, Kernel = 1, Stride = 1, Dilation = 1 };

    /// <summary>Creates a sliding-window axis.</summary>
    public static PoolAxis Sliding(int input, int output, int kernel, int stride, int padBegin, int padEnd, int dilation) =>
        new() { In = input, Out = output, Kernel = kernel, Stride = stride, PadBegin = padBegin, PadEnd = padEnd, Dilation = dilation };

    /// <summary>Creates an adaptive axis; its <see cref="Kernel"/> bounds the bin size: <c>min(In, ceil(In / Out) + 1)</c>.</summary>
    public static PoolAxis AdaptiveBins(int input, int output)
    {
        long largest = output == 0 ? 1 : Math.Min(input, (((long)input + output - 1) / output) + 1);
        return new() { In = input, Out = output, Kernel = (int)Math.Max(largest, 1), Stride = 1, Dilation = 1, Adaptive = true };
    }

    /// <summary>Input coordinate of tap 0 of output <paramref name="o"/> (negative inside the leading padding).</summary>
    public int Start(int o) => Adaptive ? (int)((long)o * In / Out) : (o * Stride) - PadBegin;

    /// <summary>Number of taps of the full window of output <paramref name="o"/>, padding included.</summary>
    public int TapCount(int o) => Adaptive ? (int)(((long)(o + 1) * In + Out - 1) / Out) - Start(o) : Kernel;

    /// <summary>First tap of output <paramref name="o"/> that lies inside the input.</summary>
    public int FirstValid(int o)
    {
        if (Adaptive)
        {
            return 0;
        }

        int s = Start(o);
        return s >= 0 ? 0 : Dilation == 1 ? -s : CeilDiv(-s, Dilation);
    }

    /// <summary>One past the last tap of output <paramref name="o"/> that lies inside the input.</summary>
    public int EndValid(int o)
    {
        if (Adaptive)
        {
            return TapCount(o);
        }

        int room = In - Start(o);
        return room <= 0 ? 0 : Math.Min(Kernel, Dilation == 1 ? room : CeilDiv(room, Dilation));
    }

    /// <summary>Number of taps inside the input.</summary>
    public int ValidCount(int o) => Math.Max(0, EndValid(o) - FirstValid(o));

    /// <summary>
    /// Number of taps inside the input or its declared padding. Taps in a ceil-mode overhang beyond
    /// <c>In + PadEnd</c> are not counted (PyTorch's and ONNX's count_include_pad rule).
    /// </summary>
    public int PaddedCount(int o)
    {
        if (Adaptive)
        {
            return TapCount(o);
        }

        int room = In + PadEnd - Start(o);
        return room <= 0 ? 0 : Math.Min(Kernel, Dilation == 1 ? room : CeilDiv(room, Dilation));
    }

    /// <summary>First output whose whole window lies inside the input (or <see cref="Out"/>).</summary>
    public int InteriorBegin => Adaptive ? Out : Math.Min(Out, CeilDiv(PadBegin, Stride));

    /// <summary>One past the last output whose whole window lies inside the input.</summary>
    public int InteriorEnd
    {
        get
        {
            if (Adaptive)
            {
                return Out;
            }

            long last = (long)In - 1 - ((long)(Kernel - 1) * Dilation) + PadBegin;
            if (last < 0)
            {
                return InteriorBegin;
            }

            return (int)Math.Clamp((last / Stride) + 1, InteriorBegin, Out);
        }
    }

    internal static int CeilDiv(int a, int b) => (int)(((long)a + b - 1) / b);
}
