using System.Text;

namespace NeuralPool.Cli.Explain;

/// <summary>
/// An <see cref="Explanation"/> as plain ASCII text for a terminal: per channel, the input with the window of each
/// value as a letter (a, b, c, ... row by row; '.' for a value in no window), what the method keeps of each window
/// as a formula, the output, and for max pooling where each output gradient goes.
/// </summary>
internal static class ExplainText
{
    /// <summary>The text, lines ending in '\n'.</summary>
    public static string Render(Explanation e)
    {
        var sb = new StringBuilder();
        void Line(string text = "") => sb.Append(text).Append('\n');
        var m = e.Method;
        string k = $"{e.Kernel}x{e.Kernel}";
        Line($"{m.Title} of a {Explanation.Shape(e.Channels, e.Height, e.Width)} input with {k} windows at stride {e.Kernel}: output {Explanation.Shape(e.Channels, e.OutHeight, e.OutWidth)}");
        for (int c = 0; c < e.Channels; c++)
        {
            var windows = e.Windows(c);
            Line();
            Line($"channel {c}");
            Line($"  1. split the {e.Height}x{e.Width} map into {k} windows (the letter after a value names its window; '.': in no window)");
            Grid(sb, e.Height, e.Width, (y, x) => (Explanation.Number(e.At(c, y, x)), e.WindowAt(y, x) is { } w ? Label(w) : "."));
            Line($"  2. keep the {m.Keeps} of each window");
            foreach (var w in windows)
            {
                string values = string.Join(", ", e.Values(c, w).Select(Explanation.Number));
                string at = w.Pick is { } p ? $" at row {p.Row}, column {p.Column}" : string.Empty;
                Line($"     {Label(w.Index)}: {m.Function}({values}) = {Explanation.Number(w.Value)}{at}");
            }

            Line($"  3. the output: one value per window ({e.OutHeight}x{e.OutWidth})");
            Grid(sb, e.OutHeight, e.OutWidth, (y, x) => (Explanation.Number(windows[(y * e.OutWidth) + x].Value), Label((y * e.OutWidth) + x)));
            if (e.GradOutput is null || e.GradInput is null)
            {
                continue;
            }

            int plane = e.OutHeight * e.OutWidth;
            Line("  backward: the gradient of each output goes to the position of its window's maximum; every other input gets 0");
            Line("     gradient of the output (example values):");
            Grid(sb, e.OutHeight, e.OutWidth, (y, x) => (Explanation.Number(e.GradOutput[(c * plane) + (y * e.OutWidth) + x]), Label((y * e.OutWidth) + x)));
            Line("     gradient of the input:");
            Grid(sb, e.Height, e.Width, (y, x) =>
            {
                var owner = e.WindowAt(y, x) is { } w && windows[w].Pick == (y, x) ? Label(w) : string.Empty;
                return (Explanation.Number(e.GradInput[(((c * e.Height) + y) * e.Width) + x]), owner);
            });
        }

        return sb.ToString();
    }

    /// <summary>A window's letter: a to z, then A to Z, then two letters.</summary>
    public static string Label(int index) => index switch
    {
        < 26 => ((char)('a' + index)).ToString(),
        < 52 => ((char)('A' + index - 26)).ToString(),
        _ => Label((index / 52) - 1) + Label(index % 52),
    };

    /// <summary>Rows of cells, each a right-aligned number followed by a left-aligned tag, indented under a step.</summary>
    private static void Grid(StringBuilder sb, int rows, int columns, Func<int, int, (string Number, string Tag)> cell)
    {
        var cells = Enumerable.Range(0, rows).Select(y => Enumerable.Range(0, columns).Select(x => cell(y, x)).ToArray()).ToArray();
        int numberWidth = cells.Max(r => r.Max(c => c.Number.Length)), tagWidth = cells.Max(r => r.Max(c => c.Tag.Length));
        foreach (var row in cells)
        {
            sb.Append("       ").Append(string.Join("  ", row.Select(c => c.Number.PadLeft(numberWidth) + c.Tag.PadRight(tagWidth))).TrimEnd()).Append('\n');
        }
    }
}
