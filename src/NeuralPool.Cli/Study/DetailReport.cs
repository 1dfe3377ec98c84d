using System.Globalization;
using System.Text;

namespace NeuralPool.Cli.Study;

/// <summary>One row of the study's results.</summary>
/// <param name="Image">The image's name, or <see cref="DetailReport.MeanName"/> for the mean over images.</param>
/// <param name="Method">The method's name.</param>
/// <param name="Factor">Kernel and stride.</param>
/// <param name="Psnr">PSNR in dB (+∞ for a perfect restoration).</param>
/// <param name="Ssim">SSIM.</param>
internal sealed record DetailRow(string Image, string Method, int Factor, double Psnr, double Ssim);

/// <summary>
/// The study's results as rows (per image, then the mean over images of each method and factor: the arithmetic mean
/// of the PSNR in dB and of the SSIM), as an aligned text table and as CSV.
/// </summary>
internal static class DetailReport
{
    /// <summary>The image name of the rows that average over images.</summary>
    public const string MeanName = "mean";

    /// <summary>The CSV header.</summary>
    public const string CsvHeader = "image,method,factor,psnr_db,ssim";

    /// <summary>Every image's rows in study order, then the mean rows in the same method and factor order.</summary>
    public static IReadOnlyList<DetailRow> Rows(IReadOnlyList<ImageStudy> studies)
    {
        var rows = studies.SelectMany(s => s.Restorations.Select(r => new DetailRow(s.Name, r.Method.Name, r.Factor, r.Psnr, r.Ssim))).ToList();
        var means = studies[0].Restorations.Select(r =>
        {
            var same = rows.Where(x => x.Method == r.Method.Name && x.Factor == r.Factor).ToList();
            return new DetailRow(MeanName, r.Method.Name, r.Factor, same.Average(x => x.Psnr), same.Average(x => x.Ssim));
        }).ToList();
        return [.. rows, .. means];
    }

    /// <summary>The rows as a text table with a header line, columns aligned.</summary>
    public static string Table(IReadOnlyList<DetailRow> rows)
    {
        string[][] cells =
        [
            ["image", "method", "factor", "PSNR dB", "SSIM"],
            .. rows.Select(r => new[] { r.Image, r.Method, Int(r.Factor), Decibels(r.Psnr, 2), Fixed(r.Ssim, 4) }),
        ];
        int[] widths = [.. Enumerable.Range(0, 5).Select(j => cells.Max(row => row[j].Length))];
        var sb = new StringBuilder();
        foreach (var row in cells)
        {
            // Names left-aligned, numbers right-aligned.
            sb.Append(row[0].PadRight(widths[0])).Append("  ").Append(row[1].PadRight(widths[1]));
            for (int j = 2; j < row.Length; j++)
            {
                sb.Append("  ").Append(row[j].PadLeft(widths[j]));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The rows as CSV (header <see cref="CsvHeader"/>, invariant culture, PSNR with 4 and SSIM with 6 decimals, +∞ as <c>inf</c>).</summary>
    public static string Csv(IReadOnlyList<DetailRow> rows)
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in rows)
        {
            sb.Append(Quote(r.Image)).Append(',').Append(r.Method).Append(',').Append(Int(r.Factor)).Append(',')
              .Append(Decibels(r.Psnr, 4)).Append(',').Append(Fixed(r.Ssim, 6)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A PSNR with <paramref name="decimals"/> decimals, or <c>inf</c>.</summary>
    public static string Decibels(double psnr, int decimals) => double.IsPositiveInfinity(psnr) ? "inf" : Fixed(psnr, decimals);

    private static string Fixed(double value, int decimals) => value.ToString("F" + Int(decimals), CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A CSV field, quoted when it holds a comma, a quote or a line break.</summary>
    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
