using System.Globalization;
using ScottPlot;

namespace NeuralPool.Cli.Ablation;

/// <summary>
/// The ablation as a PNG (ScottPlot): two panels side by side with one row per method, in the order given (the first
/// at the top). Left, horizontal bars of the final test accuracy, labelled with the percentage; the best in green,
/// diverged runs in red (labelled "diverged", with the accuracy where measured). Right, the mean training time per
/// epoch (evaluation excluded), labelled in seconds. The accuracy axis is zoomed on the range of the runs that did
/// not diverge, so small differences stay visible.
/// </summary>
internal static class AblationChart
{
    /// <summary>The image's width in pixels.</summary>
    public const int Width = 1000;

    private static readonly Color Plain = Colors.SteelBlue, Best = Colors.ForestGreen, Diverged = Colors.FireBrick, Time = Colors.DarkOrange;

    /// <summary>The image's height in pixels for <paramref name="methods"/> rows.</summary>
    public static int Height(int methods) => Math.Max(320, 130 + (33 * methods));

    /// <summary>The chart of <paramref name="report"/>, encoded as PNG.</summary>
    public static byte[] Png(AblationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var results = report.Results;
        int n = results.Count;
        double[] rows = [.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))];
        string[] names = [.. results.Select(r => r.Method)];

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var accuracy = multiplot.GetPlot(0);
        var time = multiplot.GetPlot(1);

        double[] measured = [.. results.Where(r => !r.Diverged && r.Accuracy is not null).Select(r => 100 * r.Accuracy!.Value)];
        double low = 0, high = 100;
        if (measured.Length > 0)
        {
            double min = measured.Min(), max = measured.Max();
            low = Math.Max(0, Math.Floor(min - Math.Max(2, (max - min) / 2)));
            high = max + ((max - low) * 0.2);
        }

        var bars = new List<Bar>();
        for (int i = 0; i < n; i++)
        {
            var r = results[i];
            double value = r.Accuracy is { } a ? 100 * a : 0;
            string label = (r.Diverged, r.Accuracy) switch
            {
                (true, null) => "diverged, not measured",
                (true, _) => $"diverged ({Percent(r.Accuracy)})",
                _ => Percent(r.Accuracy),
            };
            var color = r.Diverged ? Diverged : report.IsBest(r) ? Best : Plain;
            bars.Add(new Bar { Position = rows[i], Value = value, Label = value > low ? label : string.Empty, FillColor = color, Size = 0.7, Orientation = Orientation.Horizontal });
            if (value <= low)
            {
                // The bar ends left of the zoomed axis: its label goes at the axis' start.
                var text = accuracy.Add.Text(label, low + ((high - low) * 0.01), rows[i]);
                text.LabelFontColor = color;
                text.LabelAlignment = Alignment.MiddleLeft;
                text.LabelFontSize = 12;
            }
        }

        accuracy.Add.Bars(bars).Horizontal = true;
        accuracy.Axes.Left.SetTicks(rows, names);
        accuracy.Axes.SetLimits(low, high, -0.6, n - 0.4);
        accuracy.Title(Invariant($"Test accuracy: {report.Setup.Model}, {report.Setup.Epochs} epoch{(report.Setup.Epochs == 1 ? "" : "s")}, seed {report.Setup.Seed}"));
        accuracy.XLabel("final test accuracy (%); green: best, red: diverged", size: 13);

        var timeBars = new List<Bar>();
        for (int i = 0; i < n; i++)
        {
            double seconds = results[i].SecondsPerEpoch;
            timeBars.Add(new Bar { Position = rows[i], Value = seconds, Label = Invariant($"{seconds:F2} s"), FillColor = Time, Size = 0.7, Orientation = Orientation.Horizontal });
        }

        time.Add.Bars(timeBars).Horizontal = true;
        time.Axes.Left.SetTicks(rows, [.. names.Select(_ => string.Empty)]);
        double slowest = results.Count == 0 ? 1 : Math.Max(results.Max(r => r.SecondsPerEpoch), 1e-3);
        time.Axes.SetLimits(0, slowest * 1.25, -0.6, n - 0.4);
        time.Title(Invariant($"Training time per epoch: {report.Setup.Threads} thread{(report.Setup.Threads == 1 ? "" : "s")}, batch {report.Setup.BatchSize}"));
        time.XLabel("seconds per epoch (wall clock, without evaluation)", size: 13);

        using var image = multiplot.Render(Width, Height(n));
        return image.GetImageBytes(ImageFormat.Png, 100);
    }

    private static string Percent(double? accuracy) => accuracy is { } a ? Invariant($"{100 * a:F2}%") : string.Empty;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
