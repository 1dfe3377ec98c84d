using System.CommandLine;
using System.Globalization;
using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;
using Spectre.Console;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool train --model lenet|vgg-small --pool METHOD --epochs N --batch-size B --threads T --seed S [--lr X]
/// [--optimizer adam|sgd] [--limit N] [--save FILE] [--data DIR]</c>: trains a model of the zoo on Fashion-MNIST and
/// reports, per epoch, the mean training loss, the test accuracy and the time; a confusion matrix of the test set at
/// the end; optionally saves a <see cref="Checkpoint"/>. A live progress bar (loss, images/s) is drawn only when
/// standard output is the console's terminal; otherwise one plain line per epoch.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The data set name recorded in checkpoints.</summary>
    public const string DatasetName = "fashion-mnist";

    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelZoo.Names)}.", DefaultValueFactory = _ => "lenet" };
        var pool = new Option<string>("--pool") { Description = $"Pooling: {string.Join(", ", ModelZoo.PoolingNames.Keys)}.", DefaultValueFactory = _ => "max" };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "Threads of the training layers and the pooling operators (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights, the random layers and the shuffling.", DefaultValueFactory = _ => 1 };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: 0.001 for adam, 0.01 for sgd)." };
        var optimizer = new Option<string>("--optimizer") { Description = "adam (PyTorch's defaults) or sgd (momentum 0.9).", DefaultValueFactory = _ => "adam" };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N training and the first N test examples." };
        var save = new Option<string?>("--save") { Description = "Write the trained model to this checkpoint file (replaced atomically)." };
        var data = DataOption();
        var command = new Command("train", "Train a CNN on Fashion-MNIST: per-epoch loss, test accuracy and time, then a confusion matrix.")
        {
            model, pool, epochs, batchSize, threads, seed, lr, optimizer, limit, save, data,
        };
        command.SetAction(parse =>
        {
            var settings = new Settings(
                parse.GetValue(model)!, ModelZoo.ParsePooling(parse.GetValue(pool)!), Positive(parse.GetValue(epochs), "--epochs"),
                Positive(parse.GetValue(batchSize), "--batch-size"), Positive(parse.GetValue(threads), "--threads"), parse.GetValue(seed),
                parse.GetValue(lr), parse.GetValue(optimizer)!, Limit(parse.GetValue(limit)), parse.GetValue(save), parse.GetValue(data)!);
            return WithThreads(settings.Threads, () => Run(settings, stdout));
        });
        return command;
    }

    /// <summary>The <c>--data</c> option shared with <c>eval</c>.</summary>
    public static Option<string> DataOption() => new("--data")
    {
        Description = $"Folder of the Fashion-MNIST IDX files (default: {FashionMnist.DefaultDirectory}, from `{FashionMnist.InstallHint}`).",
        DefaultValueFactory = _ => FashionMnist.DefaultDirectory,
    };

    /// <summary>Runs <paramref name="action"/> with <see cref="TrainingSettings.Threads"/> and <see cref="PoolSettings.MaxDegreeOfParallelism"/> both set to <paramref name="threads"/>, restoring them afterwards.</summary>
    public static int WithThreads(int threads, Func<int> action)
    {
        int training = TrainingSettings.Threads, pooling = PoolSettings.MaxDegreeOfParallelism;
        TrainingSettings.Threads = threads;
        PoolSettings.MaxDegreeOfParallelism = threads;
        try
        {
            return action();
        }
        finally
        {
            TrainingSettings.Threads = training;
            PoolSettings.MaxDegreeOfParallelism = pooling;
        }
    }

    public static int Positive(int value, string name) =>
        value >= 1 ? value : throw new CliException($"{name}: {value} is not a positive number.");

    public static int? Limit(int? value) =>
        value is < 1 and var bad ? throw new CliException($"--limit: {bad} is not a positive number of examples.") : value;

    /// <summary>The test accuracy line both commands print.</summary>
    public static string AccuracyLine(ConfusionMatrix matrix) =>
        string.Create(CultureInfo.InvariantCulture, $"test accuracy {100 * matrix.Accuracy:F2}% ({matrix.Correct}/{matrix.Total})");

    private static int Run(Settings s, TextWriter stdout)
    {
        var train = FashionMnist.Load(DatasetSplit.Train, s.Limit, s.DataDirectory);
        var test = FashionMnist.Load(DatasetSplit.Test, s.Limit, s.DataDirectory);
        var options = new ModelOptions();
        var net = ModelZoo.Create<float>(s.Model, s.Pooling, s.Seed, options);
        string modelName = ModelZoo.Names.First(n => n.Equals(s.Model, StringComparison.OrdinalIgnoreCase) || (n == "vgg-small" && s.Model.Equals("vgg", StringComparison.OrdinalIgnoreCase)));
        Optimizer<float> opt = s.Optimizer.ToLowerInvariant() switch
        {
            "adam" => new Adam<float>(net.Parameters(), LearningRate(s.LearningRate, 1e-3)),
            "sgd" => new Sgd<float>(net.Parameters(), LearningRate(s.LearningRate, 0.01), momentum: 0.9),
            _ => throw new CliException($"--optimizer: unknown optimizer '{s.Optimizer}'; use adam or sgd."),
        };

        // The shuffling gets its own generator, derived from the seed, so it does not shift the weights' draws.
        var trainer = new Trainer(net, opt, s.BatchSize, s.Seed ^ 0x9E3779B97F4A7C15UL);
        stdout.WriteLine(Invariant($"{modelName}, {ModelZoo.NameOf(s.Pooling)} pooling: {net.ParameterCount():N0} parameters; {opt}"));
        stdout.WriteLine(Invariant($"Fashion-MNIST: {train.Count} training, {test.Count} test images; batch {s.BatchSize}, {s.Threads} thread{(s.Threads == 1 ? "" : "s")}, seed {s.Seed}"));

        var display = Display(stdout);
        ConfusionMatrix? matrix = null;
        display.Run(s.Epochs, (epoch, report) =>
        {
            var result = trainer.TrainEpoch(train, report);
            var started = System.Diagnostics.Stopwatch.StartNew();
            matrix = Trainer.Evaluate(net, test);
            double seconds = result.Time.TotalSeconds;
            return (Invariant($"epoch {epoch}/{s.Epochs}: train loss {result.Loss:F4}, test accuracy {100 * matrix.Accuracy:F2}%, epoch time {seconds:F2} s ({result.Images / seconds:F0} images/s), test {started.Elapsed.TotalSeconds:F2} s"),
                Invariant($"epoch {epoch}/{s.Epochs}  loss {result.Loss:F4}  test {100 * matrix.Accuracy:F2}%  {seconds:F1} s"));
        });

        stdout.WriteLine();
        stdout.WriteLine("confusion matrix of the test set (rows: actual class, columns: predicted class):");
        stdout.Write(matrix!.Format(test.ClassNames));
        stdout.WriteLine(AccuracyLine(matrix));
        if (s.Save is { } path)
        {
            Checkpoint.Save(path, net, modelName, s.Pooling, options, s.Seed, new Dictionary<string, string>
            {
                ["dataset"] = DatasetName,
                ["normalization"] = "standard",
            });
            stdout.WriteLine($"saved {path}");
        }

        return CliApplication.ExitOk;
    }

    private static double LearningRate(double? value, double fallback) => value switch
    {
        null => fallback,
        > 0 and var v when double.IsFinite(v) => v,
        var v => throw new CliException($"--lr: {v} is not a positive finite learning rate."),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A progress bar when standard output is the console's own interactive terminal, plain lines otherwise.</summary>
    private static IEpochDisplay Display(TextWriter stdout)
    {
        if (ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
            if (console.Profile.Capabilities.Interactive)
            {
                return new TerminalDisplay(console);
            }
        }

        return new PlainDisplay(stdout);
    }

    private sealed record Settings(string Model, PoolingMethod Pooling, int Epochs, int BatchSize, int Threads, ulong Seed,
        double? LearningRate, string Optimizer, int? Limit, string? Save, string DataDirectory);

    /// <summary>Runs the epochs; each returns its summary (a full line and a short one for a progress bar's label), and may report progress within the epoch.</summary>
    private interface IEpochDisplay
    {
        void Run(int epochs, Func<int, Action<TrainingProgress>?, (string Line, string Short)> epoch);
    }

    private sealed class PlainDisplay(TextWriter stdout) : IEpochDisplay
    {
        public void Run(int epochs, Func<int, Action<TrainingProgress>?, (string Line, string Short)> epoch)
        {
            for (int e = 1; e <= epochs; e++)
            {
                stdout.WriteLine(epoch(e, null).Line);
                stdout.Flush();
            }
        }
    }

    /// <summary>Spectre's progress display: one bar per epoch, its description the running loss and speed. Everything runs on the calling thread.</summary>
    private sealed class TerminalDisplay(IAnsiConsole console) : IEpochDisplay
    {
        public void Run(int epochs, Func<int, Action<TrainingProgress>?, (string Line, string Short)> epoch)
        {
            console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    for (int e = 1; e <= epochs; e++)
                    {
                        var task = context.AddTask($"epoch {e}/{epochs}", maxValue: 1);
                        var (_, summary) = epoch(e, p =>
                        {
                            task.MaxValue = p.Total;
                            task.Value = p.Images;
                            task.Description = Invariant($"epoch {e}/{epochs}  loss {p.Loss:F4}  {p.ImagesPerSecond,6:F0} img/s");
                        });
                        task.Description = Markup.Escape(summary);
                        task.StopTask();
                    }
                });
        }
    }
}
