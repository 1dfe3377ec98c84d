using NeuralPool.Cli.Imaging;

namespace NeuralPool.Cli.Study;

/// <summary>One labelled picture of a contact sheet.</summary>
/// <param name="Title">The first label line.</param>
/// <param name="Detail">The second label line.</param>
/// <param name="Image">The picture, drawn at its own size (alpha left out).</param>
internal sealed record ContactCell(string Title, string Detail, DenseTensor<float> Image);

/// <summary>
/// A contact sheet: an RGB picture on white with a first row holding the original (in the first column) and one row
/// of cells below it per variant. Each cell shows its picture at its own size under a two-line label. Used by the
/// detail study (restorations with PSNR and SSIM, one column per factor) and the gallery (pooled pictures, one
/// column per kernel size).
/// </summary>
internal static class ContactSheet
{
    /// <summary>Space around and between cells, in pixels.</summary>
    public const int Margin = 8;

    /// <summary>Height of a cell's label: two lines of text and the gaps below them.</summary>
    public const int LabelHeight = 2 * (BitmapFont.GlyphHeight + 3);

    /// <summary>The narrowest cell: room for a 24-character label line (e.g. "PSNR 100.00 SSIM 0.9999").</summary>
    public const int MinimumCellWidth = 24 * BitmapFont.Advance;

    private const float Background = 1f, Ink = 0f;

    /// <summary>The width and height of a sheet of <paramref name="columns"/> × <paramref name="rows"/> cells below the original's row, for pictures of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static (int Width, int Height) Size(int width, int height, int columns, int rows)
    {
        int cellWidth = Math.Max(width, MinimumCellWidth);
        return (Margin + (columns * (cellWidth + Margin)), Margin + ((1 + rows) * (LabelHeight + height + Margin)));
    }

    /// <summary>Draws the sheet of <paramref name="study"/> for the factors and methods it was run with.</summary>
    public static DenseTensor<float> Draw(ImageStudy study, IReadOnlyList<int> factors, IReadOnlyList<DetailMethod> methods)
    {
        var (_, h, w) = ImageTensor.Size(study.Original);
        var rows = methods.Select(m => factors.Select(f =>
        {
            var r = study.Restorations.Single(x => x.Method == m && x.Factor == f);
            return new ContactCell($"{m.Name} f={f}", $"PSNR {DetailReport.Decibels(r.Psnr, 2)} SSIM {r.Ssim:F4}", r.Restored);
        }).ToList()).ToList();
        return Draw(new ContactCell("original", $"{w}x{h}", study.Original), rows);
    }

    /// <summary>
    /// Draws a sheet: <paramref name="original"/> in the first row, then <paramref name="rows"/>, each row's cells
    /// left to right. Cells are as wide as the original (at least <see cref="MinimumCellWidth"/>) and as tall as
    /// it plus the label; pictures larger than that are clipped.
    /// </summary>
    public static DenseTensor<float> Draw(ContactCell original, IReadOnlyList<IReadOnlyList<ContactCell>> rows)
    {
        var (_, h, w) = ImageTensor.Size(original.Image);
        int columns = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Count));
        var (sheetWidth, sheetHeight) = Size(w, h, columns, rows.Count);
        int cellWidth = Math.Max(w, MinimumCellWidth), cellHeight = LabelHeight + h + Margin;
        var sheet = ImageTensor.Create(3, sheetHeight, sheetWidth);
        sheet.Data.AsSpan().Fill(Background);
        var cells = rows.SelectMany((row, i) => row.Select((cell, j) => (Row: i + 1, Column: j, Cell: cell))).Prepend((Row: 0, Column: 0, Cell: original));
        foreach (var (row, column, cell) in cells)
        {
            int top = Margin + (row * cellHeight), left = Margin + (column * (cellWidth + Margin));
            BitmapFont.Draw(sheet, top, left, cell.Title, Ink);
            BitmapFont.Draw(sheet, top + BitmapFont.GlyphHeight + 3, left, cell.Detail, Ink);
            ImageTensor.Paste(sheet, Clip(cell.Image, h, cellWidth), top + LabelHeight, left);
        }

        return sheet;
    }

    /// <summary>The picture, cropped to at most <paramref name="height"/> × <paramref name="width"/>.</summary>
    private static DenseTensor<float> Clip(DenseTensor<float> image, int height, int width)
    {
        var (_, h, w) = ImageTensor.Size(image);
        return h <= height && w <= width ? image : ImageTensor.Crop(image, Math.Min(h, height), Math.Min(w, width));
    }
}
