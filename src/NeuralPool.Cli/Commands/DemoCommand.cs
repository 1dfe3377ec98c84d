using System.CommandLine;
using System.Globalization;
using System.Text;
using NeuralPool.Cli.Explain;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool demo</c>: the seed article's 2×2 pooling example done right. The article pools a 2×3×4 array
/// (two 3×4 feature maps) but its Python indexes the 3-D array as if it were 2-D. The demo pools each channel,
/// step by step, with every number computed by the library (MaxPool / AvgPool on a 1×2×3×4 tensor).
/// </summary>
internal static class DemoCommand
{
    private const int Channels = SeedExample.Channels, Height = SeedExample.Height, Width = SeedExample.Width, Kernel = SeedExample.Kernel;

    public static Command Create(TextWriter stdout)
    {
        var command = new Command("demo", "Show 2x2 max and average pooling of the seed article's 2x3x4 example, step by step, computed by the library.");
        command.SetAction(_ =>
        {
            stdout.Write(Render());
            return CliApplication.ExitOk;
        });
        return command;
    }

    /// <summary>One pooling configuration run through the library.</summary>
    private sealed record Run(PoolGeometry Geometry, float[] Max, long[] Indices, float[] Average)
    {
        public static Run Of(float[] x, bool ceilMode)
        {
            var g = PoolGeometry.Torch([1, Channels, Height, Width], TensorLayout.ChannelsFirst, 2, [Kernel], [], [], [], ceilMode, TorchPoolKind.Max);
            var max = new float[g.OutputLength];
            var indices = new long[g.OutputLength];
            MaxPool.Forward<float>(g, x, max, indices, IndexEncoding.Plane);
            var avgGeometry = PoolGeometry.Torch([1, Channels, Height, Width], TensorLayout.ChannelsFirst, 2, [Kernel], [], [], [], ceilMode, TorchPoolKind.Average);
            var average = new float[avgGeometry.OutputLength];
            AvgPool.Forward<float>(avgGeometry, x, average);
            return new Run(g, max, indices, average);
        }

        public int Plane => (int)Geometry.OutputPlane;
    }

    public static string Render()
    {
        float[] x = SeedExample.Values();
        var floor = Run.Of(x, ceilMode: false);
        var ceil = Run.Of(x, ceilMode: true);
        var sb = new StringBuilder();
        void Line(string text = "") => sb.Append(text).Append('\n');

        Line("neuralpool demo: 2x2 pooling of the article's example, done right");
        Line();
        Line($"The article pools a ({Channels}, {Height}, {Width}) array: {Channels} feature maps (channels) of {Height}x{Width},");
        Line($"holding 1..{Height * Width} and {Height * Width + 1}..{Channels * Height * Width}, with 2x2 windows. Pooling works on each channel on its own,");
        Line($"so here the data is a PyTorch-style tensor of shape (N, C, H, W) = (1, {Channels}, {Height}, {Width}), pooled with");
        Line($"kernel_size={Kernel} and stride={Kernel} (PyTorch's default stride is the kernel size).");
        Line();

        var (bugMax, bugMean, bugCount) = ArticleBlock(x);
        Line("What the article's Python does instead");
        Line("  It indexes the 3-D array as if it were one 2-D map:");
        Line($"    np.zeros((input.shape[0] // 2, input.shape[1] // 2))  -> shape ({Channels / Kernel}, {Height / Kernel}): channels // 2 by rows // 2");
        Line($"    input[0:2, 0:2]  -> channels 0-1, rows 0-1 and ALL {Width} columns: {bugCount} values from both maps");
        Line($"  so it prints [[{NumPy(bugMax)}]] for max and [[{NumPy(bugMean)}]] for average pooling: one number mixing both");
        Line("  channels, instead of one pooled map per channel.");
        Line();

        var gf = floor.Geometry;
        var gc = ceil.Geometry;
        Line($"Output size of a {Height}x{Width} map (kernel {Kernel}, stride {Kernel}, no padding):");
        Line($"  default (floor):  rows floor(({Height} - {Kernel}) / {Kernel}) + 1 = {gf.H.Out}, columns floor(({Width} - {Kernel}) / {Kernel}) + 1 = {gf.W.Out}  -> {gf.H.Out}x{gf.W.Out} output");
        Line($"                    the third row (row {Height - 1}) is dropped: no full 2x2 block fits below rows 0-1.");
        Line($"  ceil_mode=True:   rows ceil(({Height} - {Kernel}) / {Kernel}) + 1 = {gc.H.Out}, columns ceil(({Width} - {Kernel}) / {Kernel}) + 1 = {gc.W.Out}    -> {gc.H.Out}x{gc.W.Out} output");
        Line($"                    the last row of blocks is partial: it covers row {Height - 1} only, 2 values per block.");

        for (int c = 0; c < Channels; c++)
        {
            Line();
            Line($"Channel {c}");
            Line($"  feature map ({Height}x{Width}):");
            var map = new List<string[]>();
            for (int h = 0; h < Height; h++)
            {
                map.Add(Enumerable.Range(0, Width).Select(w => F(x[Offset(c, h, w)]).PadLeft(3)).ToArray());
            }

            foreach (string row in Table(map, "    "))
            {
                Line(row);
            }

            Line();
            Line($"  {Kernel}x{Kernel} blocks, stride {Kernel}:");
            var rows = new List<string[]> { new[] { "block", "rows", "cols", "values", "max", "index", "average (count_include_pad=True)" } };
            for (int oh = 0; oh < gc.H.Out; oh++)
            {
                if (oh == gf.H.Out)
                {
                    rows.Add([$"-- row {Height - 1} is dropped without ceil mode; ceil_mode=True adds a partial row of blocks:"]);
                }

                var run = oh < gf.H.Out ? floor : ceil;
                for (int ow = 0; ow < gc.W.Out; ow++)
                {
                    rows.Add(BlockRow(x, c, oh, ow, run));
                }
            }

            foreach (string row in Table(rows, "    "))
            {
                Line(row);
            }

            Line();
            var results = new List<string[]>
            {
                new[] { "", $"default ({gf.H.Out}x{gf.W.Out})", $"ceil_mode=True ({gc.H.Out}x{gc.W.Out})" },
                new[] { "max_pool2d", Nested(floor.Max, c, floor), Nested(ceil.Max, c, ceil) },
                new[] { "avg_pool2d", Nested(floor.Average, c, floor), Nested(ceil.Average, c, ceil) },
                new[] { "indices (return_indices=True)", Nested(floor.Indices, c, floor), Nested(ceil.Indices, c, ceil) },
            };
            foreach (string row in Table(results, "  "))
            {
                Line(row);
            }
        }

        Line();
        Line($"Indices are what PyTorch returns: the flat position row * {Width} + col of the maximum within its own");
        Line("channel's map (first maximum wins on ties). Every output above was computed by NeuralPool's MaxPool and");
        Line($"AvgPool on the 1x{Channels}x{Height}x{Width} tensor (PoolGeometry.Torch, kernel {Kernel}).");
        Line();
        Line("The same in PyTorch:");
        Line("  x = torch.arange(1., 25.).reshape(1, 2, 3, 4)");
        Line("  F.max_pool2d(x, 2, return_indices=True)   F.avg_pool2d(x, 2)   F.max_pool2d(x, 2, ceil_mode=True)");
        Line("And in NumPy, pooling each channel on its own:");
        Line("  out = np.zeros((C, H // 2, W // 2))");
        Line("  for c in range(C):");
        Line("      for i in range(H // 2):");
        Line("          for j in range(W // 2):");
        Line("              out[c, i, j] = x[c, 2*i:2*i+2, 2*j:2*j+2].max()   # or .mean()");
        return sb.ToString();
    }

    private static string[] BlockRow(float[] x, int c, int oh, int ow, Run run)
    {
        var g = run.Geometry;
        int h0 = g.H.Start(oh) + g.H.FirstValid(oh), h1 = g.H.Start(oh) + g.H.EndValid(oh) - 1;
        int w0 = g.W.Start(ow) + g.W.FirstValid(ow), w1 = g.W.Start(ow) + g.W.EndValid(ow) - 1;
        var values = new List<float>();
        for (int h = h0; h <= h1; h++)
        {
            for (int w = w0; w <= w1; w++)
            {
                values.Add(x[Offset(c, h, w)]);
            }
        }

        int o = (c * run.Plane) + (oh * g.W.Out) + ow;
        int divisor = g.H.PaddedCount(oh) * g.W.PaddedCount(ow);
        string average = $"({string.Join(" + ", values.Select(v => F(v)))}) / {divisor} = {F(run.Average[o])}";
        return [$"({oh}, {ow})", Range(h0, h1), Range(w0, w1), string.Join(", ", values.Select(v => F(v))), F(run.Max[o]), run.Indices[o].ToString(CultureInfo.InvariantCulture), average];
    }

    /// <summary>The article's single block: input[0:2, 0:2] of the (2, 3, 4) array (numpy slicing of the first two axes).</summary>
    private static (float Max, double Mean, int Count) ArticleBlock(float[] x)
    {
        var values = new List<float>();
        for (int c = 0; c < Math.Min(Kernel, Channels); c++)
        {
            for (int h = 0; h < Math.Min(Kernel, Height); h++)
            {
                for (int w = 0; w < Width; w++)
                {
                    values.Add(x[Offset(c, h, w)]);
                }
            }
        }

        return (values.Max(), values.Average(v => (double)v), values.Count);
    }

    private static int Offset(int c, int h, int w) => (((c * Height) + h) * Width) + w;

    private static string Range(int a, int b) => a == b ? a.ToString(CultureInfo.InvariantCulture) : $"{a}-{b}";

    /// <summary>A float the way NumPy prints it in an array: 20. or 10.5.</summary>
    private static string NumPy(double v) => v == Math.Floor(v) ? F(v) + "." : F(v);

    private static string F(double v) => v.ToString("G7", CultureInfo.InvariantCulture);

    /// <summary>Channel <paramref name="c"/> of an output as a nested list, e.g. [[6, 8]].</summary>
    private static string Nested<T>(T[] values, int c, Run run)
        where T : IFormattable
    {
        var g = run.Geometry;
        var rows = Enumerable.Range(0, g.H.Out).Select(h =>
            "[" + string.Join(", ", Enumerable.Range(0, g.W.Out).Select(w => values[(c * run.Plane) + (h * g.W.Out) + w].ToString("G7", CultureInfo.InvariantCulture))) + "]");
        return "[" + string.Join(", ", rows) + "]";
    }

    /// <summary>Aligns cells in columns: numbers to the right, text to the left; a one-cell row is printed as is.</summary>
    private static IEnumerable<string> Table(List<string[]> rows, string indent)
    {
        int columns = rows.Max(r => r.Length);
        var widths = new int[columns];
        var numeric = new bool[columns];
        for (int j = 0; j < columns; j++)
        {
            var cells = rows.Where(r => r.Length > 1 && j < r.Length).Select(r => r[j]).ToList();
            widths[j] = cells.Count == 0 ? 0 : cells.Max(s => s.Length);
            numeric[j] = cells.Skip(1).Any() && cells.Skip(1).All(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            numeric[j] |= rows.Count > 0 && cells.Count > 0 && cells.All(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        }

        foreach (var row in rows)
        {
            if (row.Length == 1)
            {
                yield return indent + row[0];
                continue;
            }

            var cells = row.Select((s, j) => j == row.Length - 1 && !numeric[j] ? s : numeric[j] ? s.PadLeft(widths[j]) : s.PadRight(widths[j]));
            yield return (indent + string.Join("  ", cells)).TrimEnd();
        }
    }
}
