using System.Globalization;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Explain;

/// <summary>One pooling window of one channel.</summary>
/// <param name="Index">Its position in the output plane (row-major): the output value it becomes.</param>
/// <param name="Row">Its output row.</param>
/// <param name="Column">Its output column.</param>
/// <param name="Top">Its first input row.</param>
/// <param name="Left">Its first input column.</param>
/// <param name="Value">What the method keeps of it (the output value).</param>
/// <param name="Pick">For max pooling, the input (row, column) whose value it keeps (the first maximum); else null.</param>
internal sealed record ExplainWindow(int Index, int Row, int Column, int Top, int Left, float Value, (int Row, int Column)? Pick);

/// <summary>
/// Everything <c>neuralpool explain</c> shows of one small input, computed once by the library and drawn both as a
/// figure (<see cref="ExplainFigure"/>) and as text (<see cref="ExplainText"/>): the input (C, H, W), its k × k windows
/// at stride k (PyTorch's defaults: floor mode, no padding, so rows and columns past the last whole window belong to
/// no window), what the method keeps of each window, the output, and for max pooling the backward pass of an example
/// output gradient (1, 2, 3, ... in each channel) through the forward pass's indices.
/// </summary>
internal sealed class Explanation
{
    /// <summary>The largest number of channels drawn.</summary>
    public const int MaxChannels = 4;

    /// <summary>The longest side drawn.</summary>
    public const int MaxSide = 12;

    private Explanation(ExplainMethod method, float[] input, int channels, int height, int width, int kernel)
    {
        Method = method;
        Input = input;
        Channels = channels;
        Height = height;
        Width = width;
        Kernel = kernel;
        var geometry = PoolGeometry.Torch([1, channels, height, width], TensorLayout.ChannelsFirst, 2, [kernel], [kernel], [], [], false,
            method.PicksOne ? TorchPoolKind.Max : TorchPoolKind.Average);
        OutHeight = geometry.H.Out;
        OutWidth = geometry.W.Out;
        Output = new float[geometry.OutputLength];
        if (!method.PicksOne)
        {
            method.Forward(geometry, input, Output);
            return;
        }

        // Max pooling: the values with their plane-local indices, then the gradient routed by those indices.
        var indices = new long[geometry.OutputLength];
        MaxPool.Forward<float>(geometry, input, Output, indices, IndexEncoding.Plane);
        Picks = indices;
        GradOutput = [.. Enumerable.Range(0, Output.Length).Select(i => (float)((i % (OutHeight * OutWidth)) + 1))];
        GradInput = new float[input.Length];
        MaxPool.Backward<float>(geometry, GradOutput, indices, GradInput);
    }

    /// <summary>The method.</summary>
    public ExplainMethod Method { get; }

    /// <summary>The input, (C, H, W) in C order.</summary>
    public float[] Input { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Input rows.</summary>
    public int Height { get; }

    /// <summary>Input columns.</summary>
    public int Width { get; }

    /// <summary>Window side and stride.</summary>
    public int Kernel { get; }

    /// <summary>Output rows.</summary>
    public int OutHeight { get; }

    /// <summary>Output columns.</summary>
    public int OutWidth { get; }

    /// <summary>The output, (C, OutHeight, OutWidth) in C order.</summary>
    public float[] Output { get; }

    /// <summary>Max pooling: the plane-local index of each output's maximum; null for other methods.</summary>
    public long[]? Picks { get; }

    /// <summary>Max pooling: the example gradient of the output (1, 2, 3, ... in each channel); null for other methods.</summary>
    public float[]? GradOutput { get; }

    /// <summary>Max pooling: the gradient of the input that <see cref="GradOutput"/> gives; null for other methods.</summary>
    public float[]? GradInput { get; }

    /// <summary>Computes the explanation of <paramref name="method"/> on an input of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <exception cref="CliException">The input is too large to draw, or the kernel does not fit it.</exception>
    public static Explanation Compute(ExplainMethod method, float[] input, int channels, int height, int width, int kernel)
    {
        if (channels is < 1 or > MaxChannels || height is < 1 or > MaxSide || width is < 1 or > MaxSide)
        {
            throw new CliException($"an input of {channels} channel(s) of {height}x{width} is too large to draw; explain draws at most {MaxChannels} channels of at most {MaxSide}x{MaxSide}.");
        }

        if (kernel < 1 || kernel > Math.Min(height, width))
        {
            throw new CliException($"--kernel-size: {kernel} does not fit a {height}x{width} input (1 to {Math.Min(height, width)}).");
        }

        return new Explanation(method, input, channels, height, width, kernel);
    }

    /// <summary>The input value of channel <paramref name="c"/> at (<paramref name="y"/>, <paramref name="x"/>).</summary>
    public float At(int c, int y, int x) => Input[(((c * Height) + y) * Width) + x];

    /// <summary>The windows of channel <paramref name="c"/>, row by row.</summary>
    public IReadOnlyList<ExplainWindow> Windows(int c)
    {
        var windows = new List<ExplainWindow>(OutHeight * OutWidth);
        for (int row = 0; row < OutHeight; row++)
        {
            for (int column = 0; column < OutWidth; column++)
            {
                int index = (row * OutWidth) + column, o = (c * OutHeight * OutWidth) + index;
                (int, int)? pick = Picks is null ? null : ((int)(Picks[o] / Width), (int)(Picks[o] % Width));
                windows.Add(new ExplainWindow(index, row, column, row * Kernel, column * Kernel, Output[o], pick));
            }
        }

        return windows;
    }

    /// <summary>The output index of the window holding input (<paramref name="y"/>, <paramref name="x"/>), or null for an input in no window.</summary>
    public int? WindowAt(int y, int x) =>
        y / Kernel < OutHeight && x / Kernel < OutWidth ? ((y / Kernel) * OutWidth) + (x / Kernel) : null;

    /// <summary>The values of window <paramref name="w"/> of channel <paramref name="c"/>, row by row.</summary>
    public IEnumerable<float> Values(int c, ExplainWindow w) =>
        from y in Enumerable.Range(w.Top, Kernel) from x in Enumerable.Range(w.Left, Kernel) select At(c, y, x);

    /// <summary>A shape as Python prints a tuple, e.g. (2, 3, 4).</summary>
    public static string Shape(params int[] sizes) => "(" + string.Join(", ", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>A value with at most four significant digits, e.g. 3.5 or 8.124.</summary>
    public static string Number(float value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
