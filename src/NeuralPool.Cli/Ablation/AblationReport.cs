using System.Globalization;
using System.Text;
using System.Text.Json;
using NeuralPool.Cli.Training;
using Spectre.Console;

namespace NeuralPool.Cli.Ablation;

/// <summary>
/// The results of an ablation, in the order the methods were given, as a console table, CSV and JSON. The best final
/// test accuracy among the runs that did not diverge is marked (every method that reaches it, on ties). Accuracies are
/// fractions in [0, 1] in the files and percentages in the table; times are wall-clock seconds, training and
/// evaluation apart.
/// </summary>
/// <param name="Setup">The training configuration every method shared.</param>
/// <param name="TrainImages">Training images.</param>
/// <param name="TestImages">Test images.</param>
/// <param name="Results">One result per method, in the order given.</param>
internal sealed record AblationReport(TrainingSetup Setup, int TrainImages, int TestImages, IReadOnlyList<AblationResult> Results)
{
    /// <summary>The CSV columns, in order.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "method", "status", "test_accuracy", "test_correct", "test_total", "train_loss", "train_seconds", "seconds_per_epoch",
        "eval_seconds", "parameters", "features", "channels", "height", "width", "epochs_run", "epoch_test_accuracies",
        "epoch_train_losses", "epoch_train_seconds", "epoch_eval_seconds", "best", "divergence",
    ];

    /// <summary>Whether <paramref name="result"/> has the best final accuracy of the runs that did not diverge.</summary>
    public bool IsBest(AblationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        double? best = Results.Where(r => !r.Diverged && r.Accuracy is not null).Max(r => r.Accuracy);
        return !result.Diverged && best is not null && result.Accuracy == best;
    }

    /// <summary>The title of the table and the chart: model, epochs, seed and data.</summary>
    public string Title => Invariant($"Pooling ablation: {Setup.Model}, {Setup.Epochs} epoch{(Setup.Epochs == 1 ? "" : "s")}, seed {Setup.Seed}, {Setup.Optimizer} lr {Setup.LearningRate}, batch {Setup.BatchSize}, {TrainImages} training / {TestImages} test images");

    /// <summary>
    /// The table: one row per method, units in the headers; the best accuracy marked with <c>*</c> (and green on a
    /// terminal), diverged runs' status in red.
    /// </summary>
    public Table Table()
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(Title)), Caption = new TableTitle("* best test accuracy; times: wall clock, training without evaluation") };
        table.AddColumn(new TableColumn("method").NoWrap());
        foreach (string column in new[] { "test acc. (%)", "train loss", "train (s)", "s/epoch", "eval (s)", "params", "features (C×H×W)" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        table.AddColumn("acc. per epoch (%)");
        table.AddColumn("status");
        foreach (var r in Results)
        {
            string accuracy = r.Accuracy is { } a ? Invariant($"{100 * a:F2}") : "n/a";
            accuracy = IsBest(r) ? $"[bold green]{accuracy} *[/]" : accuracy + "  ";
            table.AddRow(
                Markup.Escape(r.Method),
                accuracy,
                Invariant($"{r.Loss:F4}"),
                Invariant($"{r.TrainSeconds:F2}"),
                Invariant($"{r.SecondsPerEpoch:F2}"),
                Invariant($"{r.EvalSeconds:F2}"),
                Invariant($"{r.Parameters:N0}"),
                Invariant($"{r.Features} = {r.ShapeText}"),
                string.Join(' ', r.EpochAccuracies.Select(e => e is { } v ? Invariant($"{100 * v:F1}") : "n/a")),
                r.Diverged ? Invariant($"[red]diverged in epoch {r.Epochs.Count}[/]") : "ok");
        }

        return table;
    }

    /// <summary>The CSV file: a header of <see cref="CsvColumns"/> and one line per method; per-epoch lists separated by <c>;</c>.</summary>
    public string Csv()
    {
        var text = new StringBuilder();
        text.Append(string.Join(',', CsvColumns)).Append('\n');
        foreach (var r in Results)
        {
            string[] fields =
            [
                r.Method,
                r.Diverged ? "diverged" : "ok",
                Number(r.Accuracy),
                Number(r.Correct),
                Number(r.Total),
                Number(r.Loss),
                Seconds(r.TrainSeconds),
                Seconds(r.SecondsPerEpoch),
                Seconds(r.EvalSeconds),
                Number(r.Parameters),
                Number(r.Features),
                Number(r.FeatureShape[0]),
                Number(r.FeatureShape[1]),
                Number(r.FeatureShape[2]),
                Number(r.Epochs.Count),
                string.Join(';', r.EpochAccuracies.Select(a => Number(a))),
                string.Join(';', r.Epochs.Select(e => Number(e.Loss))),
                string.Join(';', r.Epochs.Select(e => Seconds(e.TrainTime.TotalSeconds))),
                string.Join(';', r.Epochs.Select(e => Seconds(e.EvalTime.TotalSeconds))),
                IsBest(r) ? "true" : "false",
                r.Divergence ?? string.Empty,
            ];
            text.Append(string.Join(',', fields.Select(CsvField))).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// The JSON file: the shared settings and <c>methods</c>, one object per method with every field of the CSV
    /// (lists as arrays, the feature shape as <c>feature_shape</c> [C, H, W]). Non-finite numbers (a diverged loss) and
    /// accuracies not measured are <c>null</c>.
    /// </summary>
    public byte[] Json()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", TrainingOptions.DatasetName);
            w.WriteString("model", Setup.Model);
            w.WriteNumber("epochs", Setup.Epochs);
            w.WriteNumber("batch_size", Setup.BatchSize);
            w.WriteNumber("seed", Setup.Seed);
            w.WriteString("optimizer", Setup.Optimizer);
            w.WriteNumber("learning_rate", Setup.LearningRate);
            w.WriteNumber("threads", Setup.Threads);
            w.WriteNumber("train_images", TrainImages);
            w.WriteNumber("test_images", TestImages);
            w.WriteStartArray("methods");
            foreach (var r in Results)
            {
                w.WriteStartObject();
                w.WriteString("method", r.Method);
                w.WriteString("status", r.Diverged ? "diverged" : "ok");
                w.WriteBoolean("diverged", r.Diverged);
                Write(w, "test_accuracy", r.Accuracy);
                Write(w, "test_correct", r.Correct);
                Write(w, "test_total", r.Total);
                w.WriteStartArray("epoch_test_accuracies");
                foreach (double? a in r.EpochAccuracies)
                {
                    Write(w, null, a);
                }

                w.WriteEndArray();
                Write(w, "train_loss", r.Loss);
                WriteArray(w, "epoch_train_losses", r.Epochs.Select(e => e.Loss));
                w.WriteNumber("train_seconds", Round(r.TrainSeconds));
                w.WriteNumber("seconds_per_epoch", Round(r.SecondsPerEpoch));
                WriteArray(w, "epoch_train_seconds", r.Epochs.Select(e => Round(e.TrainTime.TotalSeconds)));
                w.WriteNumber("eval_seconds", Round(r.EvalSeconds));
                WriteArray(w, "epoch_eval_seconds", r.Epochs.Select(e => Round(e.EvalTime.TotalSeconds)));
                w.WriteNumber("parameters", r.Parameters);
                w.WriteNumber("features", r.Features);
                w.WriteStartArray("feature_shape");
                foreach (int d in r.FeatureShape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteNumber("epochs_run", r.Epochs.Count);
                w.WriteBoolean("best", IsBest(r));
                if (r.Divergence is null)
                {
                    w.WriteNull("divergence");
                }
                else
                {
                    w.WriteString("divergence", r.Divergence);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    private static void Write(Utf8JsonWriter w, string? name, double? value)
    {
        if (name is not null)
        {
            w.WritePropertyName(name);
        }

        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void Write(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (double v in values)
        {
            Write(w, null, v);
        }

        w.WriteEndArray();
    }

    /// <summary>A number in the invariant culture's shortest round-trip form; empty for null.</summary>
    private static string Number(double? value) => value?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>Seconds rounded to the microsecond.</summary>
    private static double Round(double seconds) => Math.Round(seconds, 6);

    private static string Seconds(double seconds) => Number(Round(seconds));

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.</summary>
    private static string CsvField(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
