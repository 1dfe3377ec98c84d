using NeuralPool.Cli.Imaging;

namespace NeuralPool.Cli.Explain;

/// <summary>
/// An <see cref="Explanation"/> as an RGB figure, one block per channel. The first row holds the article's three
/// steps: 1. the input with each window outlined in its own colour (values in no window on grey), 2. what the method
/// keeps of each window — max pooling fills the chosen cell with the window's colour, the other methods tint the
/// window and show the kept value in a badge at its centre — and 3. the output, each cell in the colour of its window.
/// For max pooling a second row shows the backward pass: an example gradient of the output, and the gradient of the
/// input, where each output gradient lands on its window's chosen cell and every other cell gets 0.
/// </summary>
internal static class ExplainFigure
{
    private const int Margin = 20, CaptionHeight = BitmapFont.GlyphHeight + 8, PanelGap = 44, RowGap = 24, ChannelGap = 32;
    private const int MinimumCell = 36, NumberScale = 2, TitleScale = 2;

    private static readonly Rgb Ink = Rgb.Black, Faint = new(0.55f, 0.55f, 0.55f), GridLine = new(0.78f, 0.78f, 0.78f), Outside = new(0.9f, 0.9f, 0.9f);

    /// <summary>The window colours (the Tableau 10 palette without its grey), used row by row so that neighbouring windows differ.</summary>
    private static readonly Rgb[] Palette = [.. new[] { "1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "bcbd22", "17becf" }.Select(Rgb.FromHex)];

    /// <summary>One panel of a row: a caption above a grid of cells.</summary>
    private sealed record Panel(string Caption, int Rows, int Columns, Action<Canvas, int, int> Draw);

    /// <summary>The figure's width and height in pixels.</summary>
    public static (int Width, int Height) Size(Explanation e) => Layout(e, null);

    /// <summary>Draws the figure: an RGB image tensor of <see cref="Size"/>.</summary>
    public static DenseTensor<float> Draw(Explanation e)
    {
        var (width, height) = Layout(e, null);
        var canvas = new Canvas(width, height, Rgb.White);
        Layout(e, canvas);
        return canvas.Image;
    }

    /// <summary>The colour of window (row, column): neighbours across, down and diagonally always differ.</summary>
    public static Rgb Colour(ExplainWindow w) => Palette[((w.Row * 5) + w.Column) % Palette.Length];

    /// <summary>Places (and, given a canvas, draws) everything; returns the figure's size.</summary>
    private static (int Width, int Height) Layout(Explanation e, Canvas? canvas)
    {
        int cell = CellSize(e), k = e.Kernel;
        string title = e.Method.Title;
        string subtitle = $"input {Explanation.Shape(e.Channels, e.Height, e.Width)} -> output {Explanation.Shape(e.Channels, e.OutHeight, e.OutWidth)}, "
            + $"{k}x{k} windows at stride {k}; values computed by NeuralPool"
            + (e.Height % k != 0 || e.Width % k != 0 ? "; grey: in no window" : string.Empty);
        canvas?.Text(Margin, Margin, title, Ink, TitleScale);
        canvas?.Text(Margin, Margin + (BitmapFont.GlyphHeight * TitleScale) + 6, subtitle, Faint);
        int width = Math.Max(BitmapFont.Width(title, TitleScale), BitmapFont.Width(subtitle, 1));
        int y = Margin + (BitmapFont.GlyphHeight * (TitleScale + 1)) + 6 + ChannelGap;
        for (int c = 0; c < e.Channels; c++)
        {
            canvas?.Text(Margin, y, $"channel {c}", Ink);
            y += CaptionHeight + 4;
            var (rowWidth, rowHeight) = Row(canvas, y, cell, Forward(e, c, cell));
            width = Math.Max(width, rowWidth);
            y += rowHeight;
            if (e.Method.PicksOne)
            {
                y += RowGap;
                (rowWidth, rowHeight) = Row(canvas, y, cell, Backward(e, c, cell));
                width = Math.Max(width, rowWidth);
                y += rowHeight;
            }

            y += ChannelGap;
        }

        return (width + (2 * Margin), y - ChannelGap + Margin);
    }

    /// <summary>The side of a cell: room for the longest number at <see cref="NumberScale"/>, and at least <see cref="MinimumCell"/>.</summary>
    private static int CellSize(Explanation e)
    {
        var numbers = e.Input.Concat(e.Output).Concat(e.GradOutput ?? []).Concat(e.GradInput ?? []);
        return Math.Max(MinimumCell, numbers.Max(v => BitmapFont.Width(Explanation.Number(v), NumberScale)) + 10);
    }

    /// <summary>Steps 1 to 3 of channel <paramref name="c"/>.</summary>
    private static Panel[] Forward(Explanation e, int c, int cell)
    {
        var windows = e.Windows(c);
        int k = e.Kernel;
        (string, Rgb, Rgb) Input(int y, int x, Rgb fill) =>
            e.WindowAt(y, x) is null ? (Explanation.Number(e.At(c, y, x)), Outside, Faint) : (Explanation.Number(e.At(c, y, x)), fill, Ink);

        void Split(Canvas canvas, int left, int top)
        {
            Cells(canvas, left, top, cell, e.Height, e.Width, (y, x) => Input(y, x, Rgb.White));
            Frames(canvas, left, top, cell * k, windows);
        }

        void Keep(Canvas canvas, int left, int top)
        {
            if (e.Method.PicksOne)
            {
                Picks(canvas, left, top, cell, e, windows, (y, x) => e.At(c, y, x));
                return;
            }

            Cells(canvas, left, top, cell, e.Height, e.Width, (y, x) => Input(y, x, e.WindowAt(y, x) is { } w ? Colour(windows[w]).Towards(Rgb.White, 0.7f) : Outside));
            Frames(canvas, left, top, cell * k, windows);
            foreach (var w in windows)
            {
                Badge(canvas, left + (w.Left * cell) + (k * cell / 2), top + (w.Top * cell) + (k * cell / 2), Explanation.Number(w.Value), Colour(w));
            }
        }

        return
        [
            new($"1. split into {k}x{k} windows", e.Height, e.Width, Split),
            new($"2. keep the {e.Method.Keeps} of each", e.Height, e.Width, Keep),
            new($"3. the output, {e.OutHeight}x{e.OutWidth}", e.OutHeight, e.OutWidth, (canvas, left, top) => Outputs(canvas, left, top, cell, e, windows, w => w.Value)),
        ];
    }

    /// <summary>The backward pass of channel <paramref name="c"/> (max pooling).</summary>
    private static Panel[] Backward(Explanation e, int c, int cell)
    {
        var windows = e.Windows(c);
        int plane = e.OutHeight * e.OutWidth;
        float[] gradOutput = e.GradOutput!, gradInput = e.GradInput!;
        return
        [
            new("4. backward: a gradient of the output", e.OutHeight, e.OutWidth,
                (canvas, left, top) => Outputs(canvas, left, top, cell, e, windows, w => gradOutput[(c * plane) + w.Index])),
            new("goes to each window's max; 0 elsewhere", e.Height, e.Width,
                (canvas, left, top) => Picks(canvas, left, top, cell, e, windows, (y, x) => gradInput[(((c * e.Height) + y) * e.Width) + x])),
        ];
    }

    /// <summary>Places a row of panels left to right with arrows between them; returns the row's width (margin included) and height.</summary>
    private static (int Width, int Height) Row(Canvas? canvas, int top, int cell, Panel[] panels)
    {
        int x = Margin, height = 0;
        for (int i = 0; i < panels.Length; i++)
        {
            var p = panels[i];
            int gridHeight = p.Rows * cell, panelWidth = Math.Max(p.Columns * cell, BitmapFont.Width(p.Caption, 1));
            height = Math.Max(height, CaptionHeight + gridHeight);
            if (canvas is not null)
            {
                canvas.Text(x, top, p.Caption, Ink);
                p.Draw(canvas, x, top + CaptionHeight);
                if (i + 1 < panels.Length)
                {
                    Arrow(canvas, x + panelWidth + 8, x + panelWidth + PanelGap - 8, top + CaptionHeight + (Math.Min(gridHeight, panels[i + 1].Rows * cell) / 2));
                }
            }

            x += panelWidth + (i + 1 < panels.Length ? PanelGap : 0);
        }

        return (x - Margin, height);
    }

    /// <summary>A grid of cells, each filled, framed by a thin line and holding centred text.</summary>
    private static void Cells(Canvas canvas, int left, int top, int cell, int rows, int columns, Func<int, int, (string Text, Rgb Fill, Rgb Ink)> style)
    {
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < columns; x++)
            {
                var (text, fill, ink) = style(y, x);
                int cx = left + (x * cell), cy = top + (y * cell);
                canvas.Fill(cx, cy, cell, cell, fill);
                canvas.Frame(cx, cy, cell + 1, cell + 1, 1, GridLine);
                canvas.TextCentred(cx + (cell / 2), cy + (cell / 2), text, ink, NumberScale);
            }
        }
    }

    /// <summary>An input-shaped grid of <paramref name="value"/>: each window's chosen cell filled with its colour, the other cells faint, every window outlined.</summary>
    private static void Picks(Canvas canvas, int left, int top, int cell, Explanation e, IReadOnlyList<ExplainWindow> windows, Func<int, int, float> value)
    {
        Cells(canvas, left, top, cell, e.Height, e.Width, (y, x) =>
        {
            string text = Explanation.Number(value(y, x));
            return e.WindowAt(y, x) is { } w && windows[w].Pick == (y, x) ? (text, Colour(windows[w]), Rgb.White)
                : (text, e.WindowAt(y, x) is null ? Outside : Rgb.White, Faint);
        });
        Frames(canvas, left, top, cell * e.Kernel, windows);
    }

    /// <summary>The outline of every window, in its colour.</summary>
    private static void Frames(Canvas canvas, int left, int top, int side, IReadOnlyList<ExplainWindow> windows)
    {
        foreach (var w in windows)
        {
            canvas.Frame(left + (w.Column * side), top + (w.Row * side), side + 1, side + 1, 3, Colour(w));
        }
    }

    /// <summary>An output-shaped grid: one cell per window, tinted and framed in the window's colour.</summary>
    private static void Outputs(Canvas canvas, int left, int top, int cell, Explanation e, IReadOnlyList<ExplainWindow> windows, Func<ExplainWindow, float> value)
    {
        Cells(canvas, left, top, cell, e.OutHeight, e.OutWidth, (y, x) =>
        {
            var w = windows[(y * e.OutWidth) + x];
            return (Explanation.Number(value(w)), Colour(w).Towards(Rgb.White, 0.7f), Ink);
        });
        Frames(canvas, left, top, cell, windows);
    }

    /// <summary>A value in white on a box of the window's colour, centred on (<paramref name="cx"/>, <paramref name="cy"/>).</summary>
    private static void Badge(Canvas canvas, int cx, int cy, string text, Rgb colour)
    {
        int w = BitmapFont.Width(text, NumberScale) + 10, h = (BitmapFont.GlyphHeight * NumberScale) + 8;
        canvas.Fill(cx - (w / 2), cy - (h / 2), w, h, colour);
        canvas.TextCentred(cx, cy, text, Rgb.White, NumberScale);
    }

    /// <summary>A horizontal arrow from <paramref name="x0"/> to <paramref name="x1"/> at height <paramref name="y"/>.</summary>
    private static void Arrow(Canvas canvas, int x0, int x1, int y)
    {
        const int head = 7;
        canvas.Fill(x0, y - 1, x1 - x0 - head, 3, Faint);
        for (int i = 0; i <= head; i++)
        {
            canvas.Fill(x1 - head + i, y - (head - i), 1, (2 * (head - i)) + 1, Faint);
        }
    }
}
