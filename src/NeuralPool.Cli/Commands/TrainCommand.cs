using System.CommandLine;
using System.Globalization;
using NeuralPool.Cli.Training;
using NeuralPool.Training;
using NeuralPool.Training.Models;

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
    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var options = new TrainingOptions();
        var pool = new Option<string>("--pool") { Description = $"Pooling: {string.Join(", ", ModelZoo.PoolingNames.Keys)}.", DefaultValueFactory = _ => "max" };
        var save = new Option<string?>("--save") { Description = "Write the trained model to this checkpoint file (replaced atomically)." };
        var command = new Command("train", "Train a CNN on Fashion-MNIST: per-epoch loss, test accuracy and time, then a confusion matrix.");
        options.AddTo(command, pool);
        command.Add(save);
        command.SetAction(parse =>
        {
            var setup = options.Read(parse);
            var pooling = ModelZoo.ParsePooling(parse.GetValue(pool)!);
            string? path = parse.GetValue(save);
            return TrainingOptions.WithThreads(setup.Threads, () => Run(setup, pooling, path, stdout));
        });
        return command;
    }

    private static int Run(TrainingSetup s, PoolingMethod pooling, string? save, TextWriter stdout)
    {
        var (train, test) = s.LoadData();
        var run = new TrainingRun(s, pooling);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Model}, {ModelZoo.NameOf(pooling)} pooling: {run.Model.ParameterCount():N0} parameters; {run.Optimizer}"));
        stdout.WriteLine(s.DataLine(train, test));

        ConfusionMatrix? matrix = null;
        EpochDisplay.For(stdout, barPerEpoch: true).Run(string.Empty, s.Epochs, (_, report) =>
        {
            var epoch = run.TrainEpoch(train, test, report);
            matrix = epoch.Matrix;
            return epoch;
        });

        stdout.WriteLine();
        if (matrix is null)
        {
            stdout.WriteLine("test accuracy not measured: the training diverged and the model's layers refuse its values");
        }
        else
        {
            stdout.WriteLine("confusion matrix of the test set (rows: actual class, columns: predicted class):");
            stdout.Write(matrix.Format(test.ClassNames));
            stdout.WriteLine(TrainingOptions.AccuracyLine(matrix));
        }

        if (save is { } path)
        {
            Checkpoint.Save(path, run.Model, s.Model, pooling, run.Options, s.Seed, new Dictionary<string, string>
            {
                ["dataset"] = TrainingOptions.DatasetName,
                ["normalization"] = "standard",
            });
            stdout.WriteLine($"saved {path}");
        }

        return CliApplication.ExitOk;
    }
}
