using NeuralPool.Cli.Imaging;

namespace NeuralPool.Cli.Study;

/// <summary>
/// The contact sheet of one image's study: an RGB picture on white with one column per factor and one row per
/// method below a first row holding the original (in the first column). Each cell shows the restored image at its
/// own size (alpha left out) under a two-line label: method and factor, then PSNR and SSIM.
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

    /// <summary>The width and height of the sheet of an image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static (int Width, int Height) Size(int width, int height, int factors, int methods)
    {
        int cellWidth = Math.Max(width, MinimumCellWidth);
        return (Margin + (factors * (cellWidth + Margin)), Margin + ((1 + methods) * (LabelHeight + height + Margin)));
    }

    /// <summary>Draws the sheet of <paramref name="study"/> for the factors and methods it was run with.</summary>
    public static DenseTensor<float> Draw(ImageStudy study, IReadOnlyList<int> factors, IReadOnlyList<DetailMethod> methods)
    {
        var (_, h, w) = ImageTensor.Size(study.Original);
        var cells = new List<(int Row, int Column, string Title, string Detail, DenseTensor<float> Image)>
        {
            (0, 0, "original", $"{w}x{h}", study.Original),
        };
        for (int i = 0; i < methods.Count; i++)
        {
            for (int j = 0; j < factors.Count; j++)
            {
                var r = study.Restorations.Single(x => x.Method == methods[i] && x.Factor == factors[j]);
                cells.Add((i + 1, j, $"{r.Method.Name} f={factors[j]}", $"PSNR {DetailReport.Decibels(r.Psnr, 2)} SSIM {r.Ssim:F4}", r.Restored));
            }
        }

        var (sheetWidth, sheetHeight) = Size(w, h, factors.Count, methods.Count);
        int cellWidth = Math.Max(w, MinimumCellWidth), cellHeight = LabelHeight + h + Margin;
        var sheet = ImageTensor.Create(3, sheetHeight, sheetWidth);
        sheet.Data.AsSpan().Fill(Background);
        foreach (var (row, column, title, detail, image) in cells)
        {
            int top = Margin + (row * cellHeight), left = Margin + (column * (cellWidth + Margin));
            BitmapFont.Draw(sheet, top, left, title, Ink);
            BitmapFont.Draw(sheet, top + BitmapFont.GlyphHeight + 3, left, detail, Ink);
            ImageTensor.Paste(sheet, image, top + LabelHeight, left);
        }

        return sheet;
    }
}
