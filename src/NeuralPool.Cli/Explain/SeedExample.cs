namespace NeuralPool.Cli.Explain;

/// <summary>
/// The seed article's pooling example: a (2, 3, 4) array holding 1 to 24 in C order — two 3 × 4 feature maps (channels)
/// — pooled with 2 × 2 windows at stride 2. <c>neuralpool demo</c> explains it in text and <c>neuralpool explain</c>
/// draws it.
/// </summary>
internal static class SeedExample
{
    /// <summary>Channels (feature maps).</summary>
    public const int Channels = 2;

    /// <summary>Rows of each map.</summary>
    public const int Height = 3;

    /// <summary>Columns of each map.</summary>
    public const int Width = 4;

    /// <summary>The window side and stride.</summary>
    public const int Kernel = 2;

    /// <summary>The values 1 to 24, channel by channel, row by row.</summary>
    public static float[] Values() => [.. Enumerable.Range(1, Channels * Height * Width).Select(v => (float)v)];
}
