using System.CommandLine;
using NeuralPool.Cli.Training;
using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool eval MODEL.bin [--limit N] [--threads T] [--data DIR]</c>: loads a checkpoint written by
/// <c>train --save</c> and prints its test accuracy and confusion matrix on Fashion-MNIST. A missing, damaged or
/// mismatched checkpoint is an error (exit code 2).
/// </summary>
internal static class EvalCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var file = new Argument<string>("checkpoint") { Description = "A checkpoint written by 'neuralpool train --save'." };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N test examples." };
        var threads = new Option<int>("--threads") { Description = "Threads of the layers and the pooling operators (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var data = TrainingOptions.DataOption();
        var command = new Command("eval", "Evaluate a saved model on the Fashion-MNIST test set: accuracy and confusion matrix.")
        {
            file, limit, threads, data,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            int? count = TrainingOptions.CheckLimit(parse.GetValue(limit));
            int t = TrainingOptions.Positive(parse.GetValue(threads), "--threads");
            var loaded = Checkpoint.Load<float>(path);
            if (loaded.Metadata.TryGetValue("dataset", out string? dataset) && dataset != TrainingOptions.DatasetName)
            {
                throw new CliException($"checkpoint '{path}' was trained on '{dataset}', not {TrainingOptions.DatasetName}.");
            }

            var normalization = loaded.Metadata.GetValueOrDefault("normalization", "standard") switch
            {
                "standard" => Normalization.Standard,
                "unit-range" => Normalization.UnitRange,
                var other => throw new CliException($"checkpoint '{path}' names an unknown input normalization '{other}'."),
            };

            return TrainingOptions.WithThreads(t, () =>
            {
                var test = FashionMnist.Load(DatasetSplit.Test, count, parse.GetValue(data), normalization);
                if (loaded.Options.InputChannels != test.Channels || loaded.Options.ImageSize != test.Height || loaded.Options.Classes != test.ClassNames.Count)
                {
                    throw new CliException($"checkpoint '{path}' takes {loaded.Options.InputChannels}×{loaded.Options.ImageSize}×{loaded.Options.ImageSize} images in {loaded.Options.Classes} classes, not Fashion-MNIST's.");
                }

                stdout.WriteLine($"{loaded.ModelName}, {ModelZoo.NameOf(loaded.Pooling)} pooling: {loaded.Model.ParameterCount():N0} parameters, from {path}");
                var matrix = Trainer.Evaluate(loaded.Model, test);
                stdout.WriteLine("confusion matrix of the test set (rows: actual class, columns: predicted class):");
                stdout.Write(matrix.Format(test.ClassNames));
                stdout.WriteLine(TrainingOptions.AccuracyLine(matrix));
                return CliApplication.ExitOk;
            });
        });
        return command;
    }
}
