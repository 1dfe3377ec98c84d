using System.CommandLine;
using System.Globalization;
using NeuralPool.Cli.Ablation;
using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;
using Spectre.Console;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool ablate [--model lenet|vgg-small] [--pools max,avg,...] [--epochs N] [--batch-size B] [--threads T]
/// [--seed S] [--optimizer adam|sgd] [--lr X] [--limit N] [--data DIR] [-o|--out DIR] [--overwrite]</c>: trains the
/// same model once per pooling method (<c>none</c>: strided convolutions instead of pooling) on Fashion-MNIST and
/// compares them. Every method starts from the same seed and sees the same images in the same order
/// (<see cref="TrainingRun"/>). Per method: the final and per-epoch test accuracy, the final training loss, the
/// training time (total and per epoch, wall clock, evaluation excluded), the evaluation time, the learnable parameters
/// and the features per image entering the classifier (C×H×W). A run whose loss stops being finite is reported as
/// diverged. Prints a table in the order given, and writes DIR/ablation.csv, DIR/ablation.json and DIR/ablation.png
/// (<see cref="AblationReport"/>, <see cref="AblationChart"/>) atomically. Every argument, the data and the output
/// files (which exist only to be replaced with <c>--overwrite</c>) are checked before any training.
/// </summary>
internal static class AblateCommand
{
    /// <summary>The output files' names (without extension).</summary>
    public const string FileStem = "ablation";

    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var options = new TrainingOptions();
        var pools = new Option<string?>("--pools")
        {
            Description = $"Comma-separated pooling methods to compare, in this order (default: all: {string.Join(",", ModelZoo.PoolingNames.Keys)}).",
        };
        var output = new Option<string>("--out", "-o") { Description = "Folder for ablation.csv, ablation.json and ablation.png (created if missing).", DefaultValueFactory = _ => FileStem };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing result files." };
        var command = new Command("ablate", "Train one model once per pooling method (none: strided convolutions) on Fashion-MNIST; compare accuracy, loss, time, parameters and feature size.");
        options.AddTo(command, pools);
        command.Add(output);
        command.Add(overwrite);
        command.SetAction(parse =>
        {
            var setup = options.Read(parse);
            var methods = ParsePools(parse.GetValue(pools));
            var files = Files(parse.GetValue(output)!, parse.GetValue(overwrite));
            return TrainingOptions.WithThreads(setup.Threads, () => Run(setup, methods, files, parse.GetValue(overwrite), stdout));
        });
        return command;
    }

    /// <summary>The methods of a <c>--pools</c> list, in order (all of <see cref="ModelZoo.PoolingNames"/> when absent).</summary>
    /// <exception cref="CliException">A name is empty, unknown (the message lists the known ones) or given twice.</exception>
    public static IReadOnlyList<PoolingMethod> ParsePools(string? list)
    {
        if (list is null)
        {
            return [.. ModelZoo.PoolingNames.Values];
        }

        var methods = new List<PoolingMethod>();
        foreach (string raw in list.Split(','))
        {
            string name = raw.Trim();
            if (name.Length == 0)
            {
                throw new CliException($"--pools: '{list}' has an empty name; give comma-separated methods such as max,avg,none.");
            }

            if (!ModelZoo.PoolingNames.TryGetValue(name, out var method))
            {
                throw new CliException($"--pools: unknown pooling method '{name}'; use one of {string.Join(", ", ModelZoo.PoolingNames.Keys)}.");
            }

            if (methods.Contains(method))
            {
                throw new CliException($"--pools: '{ModelZoo.NameOf(method)}' is given more than once.");
            }

            methods.Add(method);
        }

        return methods;
    }

    /// <summary>The CSV, JSON and PNG paths in <paramref name="folder"/>, checked to be writable.</summary>
    /// <exception cref="CliException">The folder is a file.</exception>
    /// <exception cref="ImageFileException">A result file exists (without <paramref name="overwrite"/>) or is a folder.</exception>
    private static string[] Files(string folder, bool overwrite)
    {
        if (File.Exists(folder))
        {
            throw new CliException($"--out: '{folder}' is a file, not a folder.");
        }

        string[] files = [.. new[] { "csv", "json", "png" }.Select(ext => Path.Combine(folder, $"{FileStem}.{ext}"))];
        foreach (string file in files)
        {
            AtomicFile.CheckTarget(file, overwrite);
        }

        return files;
    }

    private static int Run(TrainingSetup s, IReadOnlyList<PoolingMethod> methods, string[] files, bool overwrite, TextWriter stdout)
    {
        var (train, test) = s.LoadData();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(files[0]))!);
        stdout.WriteLine(Invariant($"ablation of {s.Model}: {methods.Count} pooling method{(methods.Count == 1 ? "" : "s")} ({string.Join(", ", methods.Select(ModelZoo.NameOf))}), {s.Epochs} epoch{(s.Epochs == 1 ? "" : "s")} each, {s.Optimizer} lr {s.LearningRate}"));
        stdout.WriteLine(s.DataLine(train, test));

        var display = EpochDisplay.For(stdout, barPerEpoch: false);
        var results = new List<AblationResult>();
        for (int i = 0; i < methods.Count; i++)
        {
            results.Add(Ablate(s, methods[i], Invariant($"[{i + 1}/{methods.Count}] {ModelZoo.NameOf(methods[i])}: "), train, test, display, stdout));
        }

        var report = new AblationReport(s, train.Count, test.Count, results);
        stdout.WriteLine();
        var console = EpochDisplay.Terminal(stdout) ?? PlainConsole(stdout);
        console.Write(report.Table());

        AtomicFile.Write(files[0], System.Text.Encoding.UTF8.GetBytes(report.Csv()), overwrite);
        AtomicFile.Write(files[1], report.Json(), overwrite);
        AtomicFile.Write(files[2], AblationChart.Png(report), overwrite);
        foreach (string file in files)
        {
            stdout.WriteLine($"wrote {file}");
        }

        return CliApplication.ExitOk;
    }

    /// <summary>Trains <paramref name="method"/>'s model for the setup's epochs (fewer when it diverges).</summary>
    private static AblationResult Ablate(TrainingSetup s, PoolingMethod method, string label, ImageDataset train, ImageDataset test, EpochDisplay display, TextWriter stdout)
    {
        var run = new TrainingRun(s, method);
        int[] shape = run.ClassifierInput(test);
        long parameters = run.Model.ParameterCount();
        stdout.WriteLine(Invariant($"{label}{parameters:N0} parameters, {shape.Aggregate(1L, (a, d) => a * d)} features per image into the classifier ({string.Join('×', shape)})"));
        var epochs = new List<EpochSummary>();
        display.Run(label, s.Epochs, (_, report) =>
        {
            var summary = run.TrainEpoch(train, test, report);
            epochs.Add(summary);
            return summary;
        });
        return new AblationResult(ModelZoo.NameOf(method), parameters, shape, epochs, epochs[^1].Divergence);
    }

    /// <summary>A console that writes plain text (no colours, no cursor moves) to <paramref name="stdout"/>, wide enough for the table.</summary>
    private static IAnsiConsole PlainConsole(TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 180;
        return console;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
