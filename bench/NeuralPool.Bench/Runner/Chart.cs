using System.Globalization;
using System.Text.Json;
using ScottPlot;

namespace NeuralPool.Bench.Runner;

/// <summary>
/// <c>chart --json np.json [--torch torch.json] --out chart.png</c>: a PNG of the speed-ups of NeuralPool over
/// each peer (peer ms / NeuralPool ms; above 1 means NeuralPool is faster), one group of bars per
/// case/layout, one bar per peer and thread count, on a log scale.
/// </summary>
internal static class Chart
{
    private const string Usage = "usage: NeuralPool.Bench chart --json NP.json [--torch TORCH.json] --out CHART.png";

    public static int Run(string[] args)
    {
        string? np = null, torch = null, output = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--json": np = args[i + 1]; break;
                case "--torch": torch = args[i + 1]; break;
                case "--out": output = args[i + 1]; break;
                default: Console.Error.WriteLine(Usage); return 2;
            }
        }

        if (np is null || output is null || args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var rows = Load(np);
        var torchRows = torch is null ? [] : Load(torch);
        var groups = rows.Select(r => (r.Case, r.Layout)).Distinct().ToList();
        var threads = rows.Select(r => r.Threads).Distinct().Order().ToList();
        var series = new List<(string Label, Func<(string Case, string Layout, int Threads), double?> Ratio)>();
        foreach (int t in threads)
        {
            series.Add(($"vs ONNX Runtime, {t} thread{(t == 1 ? "" : "s")}", k => Ratio(rows, k, r => r.Peer)));
        }

        if (torchRows.Count > 0)
        {
            foreach (int t in threads)
            {
                series.Add(($"vs PyTorch, {t} thread{(t == 1 ? "" : "s")}", k =>
                {
                    var mine = rows.FirstOrDefault(r => r.Case == k.Case && r.Layout == k.Layout && r.Threads == k.Threads);
                    var peer = torchRows.FirstOrDefault(r => r.Case == k.Case && r.Layout == k.Layout && r.Threads == k.Threads);
                    return mine is not null && peer?.Ms is { } pm && mine.Ms is { } m ? pm / m : null;
                }));
            }
        }

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        int perGroup = series.Count;
        for (int g = 0; g < groups.Count; g++)
        {
            for (int s = 0; s < series.Count; s++)
            {
                int t = threads[s % threads.Count];
                double? ratio = series[s].Ratio((groups[g].Case, groups[g].Layout, t));
                if (ratio is not { } v || v <= 0)
                {
                    continue;
                }

                bars.Add(new Bar
                {
                    Position = (g * (perGroup + 1)) + s,
                    Value = Math.Log10(v),
                    FillColor = palette.GetColor(s),
                    Size = 0.9,
                });
            }
        }

        plot.Add.Bars(bars);
        plot.Add.HorizontalLine(0, 1, Colors.Black);
        plot.Axes.Bottom.SetTicks(
            [.. Enumerable.Range(0, groups.Count).Select(g => (g * (perGroup + 1)) + ((perGroup - 1) / 2.0))],
            [.. groups.Select(g => $"{g.Case} {g.Layout}")]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 60;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 220;
        double[] ticks = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30];
        plot.Axes.Left.SetTicks([.. ticks.Select(Math.Log10)], [.. ticks.Select(t => t.ToString(CultureInfo.InvariantCulture) + "x")]);
        plot.YLabel("peer time / NeuralPool time (log scale; > 1x: NeuralPool faster)");
        plot.Title("NeuralPool speed-up over ONNX Runtime (channels-first) and PyTorch (same layout)");
        for (int s = 0; s < series.Count; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Label, FillColor = palette.GetColor(s) });
        }

        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(output, Math.Max(1200, groups.Count * (perGroup + 1) * 14), 800);
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    private static double? Ratio(List<JsonRow> rows, (string Case, string Layout, int Threads) k, Func<JsonRow, double?> peer)
    {
        var r = rows.FirstOrDefault(x => x.Case == k.Case && x.Layout == k.Layout && x.Threads == k.Threads);
        return r is not null && peer(r) is { } p && r.Ms is { } m ? p / m : null;
    }

    private sealed record JsonRow(string Case, string Layout, int Threads, double? Ms, double? Peer);

    private static List<JsonRow> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var rows = new List<JsonRow>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            rows.Add(new JsonRow(
                e.GetProperty("case").GetString()!,
                e.GetProperty("layout").GetString()!,
                e.GetProperty("threads").GetInt32(),
                Number(e, "ms"),
                Number(e, "ort_ms")));
        }

        return rows;
    }

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
