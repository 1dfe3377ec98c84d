namespace NeuralPool.Tests.Oracle;

/// <summary>
/// The windows of one spatial axis, written from the semantics (spec sheet §1.1, §1.5, §2.1) and
/// sharing no code with the library. For every output position it lists the input coordinates of the
/// taps that fall inside the input (in scan order), the number of taps that fall inside the input or
/// its declared padding (what count_include_pad divides by), and the declared kernel extent.
/// </summary>
internal sealed class OracleAxis
{
    private OracleAxis(int input, int[][] valid, int[] counted, int kernel)
    {
        In = input;
        Valid = valid;
        Counted = counted;
        Kernel = kernel;
    }

    /// <summary>Input extent.</summary>
    public int In { get; }

    /// <summary>Output extent.</summary>
    public int Out => Valid.Length;

    /// <summary>Per output: input coordinates of the in-range taps, in increasing order.</summary>
    public int[][] Valid { get; }

    /// <summary>Per output: taps inside the input or the declared padding (a ceil-mode overhang excluded).</summary>
    public int[] Counted { get; }

    /// <summary>The declared kernel extent (the K of PyTorch's lp_pool).</summary>
    public int Kernel { get; }

    /// <summary>A unit axis: one element, one output, one tap.</summary>
    public static OracleAxis Unit => new(1, [[0]], [1], 1);

    /// <summary>
    /// A sliding-window axis: output o reads taps <c>o*s - pb + j*d</c> for <c>j = 0..k-1</c>; a tap is
    /// valid when it lies in [0, in) and counted when it lies in [-pb, in + pe).
    /// </summary>
    public static OracleAxis Sliding(int input, int output, int kernel, int stride, int padBegin, int padEnd, int dilation)
    {
        var valid = new int[output][];
        var counted = new int[output];
        for (int o = 0; o < output; o++)
        {
            var taps = new List<int>();
            for (int j = 0; j < kernel; j++)
            {
                int t = (o * stride) - padBegin + (j * dilation);
                if (t >= 0 && t < input)
                {
                    taps.Add(t);
                }

                if (t >= -padBegin && t < input + padEnd)
                {
                    counted[o]++;
                }
            }

            valid[o] = [.. taps];
        }

        return new OracleAxis(input, valid, counted, kernel);
    }

    /// <summary>A PyTorch adaptive axis: bin o covers [floor(o*in/out), ceil((o+1)*in/out)).</summary>
    public static OracleAxis Adaptive(int input, int output)
    {
        var valid = new int[output][];
        var counted = new int[output];
        for (int o = 0; o < output; o++)
        {
            int start = (int)Math.Floor((double)o * input / output);
            int end = (int)Math.Ceiling((double)(o + 1) * input / output);
            var taps = new List<int>();
            for (int t = start; t < end; t++)
            {
                taps.Add(t);
            }

            valid[o] = [.. taps];
            counted[o] = taps.Count;
        }

        return new OracleAxis(input, valid, counted, 1);
    }
}
