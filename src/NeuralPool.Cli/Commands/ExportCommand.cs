using System.CommandLine;
using NeuralPool.Training;
using NeuralPool.Training.Export;
using NeuralPool.Training.Models;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool export MODEL.bin -o MODEL.onnx [--overwrite]</c>: loads a checkpoint written by <c>train --save</c> and
/// writes its model as an ONNX model in evaluation mode (<see cref="OnnxExport"/>: opset 17, input <c>input</c>
/// (batch, C, S, S) from the checkpoint's options, 1×28×28 for Fashion-MNIST, output <c>logits</c> (batch, classes)),
/// with the checkpoint's metadata (data set, input normalisation)
/// and the model and pooling names in the model's <c>metadata_props</c>. Prints one line: nodes, parameters, file size.
/// The file is written atomically and never replaced without <c>--overwrite</c>. A missing, damaged or mismatched
/// checkpoint, a pooling method ONNX cannot express exactly, or an existing output is one <c>error:</c> line (exit code 2).
/// </summary>
internal static class ExportCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var file = new Argument<string>("checkpoint") { Description = "A checkpoint written by 'neuralpool train --save'." };
        var output = new Option<string>("--output", "-o") { Description = "The ONNX model file to write.", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file (without it an existing file is an error)." };
        var command = new Command("export", $"Export a saved model as an ONNX model (opset {OnnxExport.Opset}, evaluation mode) for ONNX Runtime and other runtimes.")
        {
            file, output, overwrite,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!, target = parse.GetValue(output)!;
            bool replace = parse.GetValue(overwrite);
            var loaded = Checkpoint.Load<float>(path);
            CheckTarget(target, replace);

            string pooling = ModelZoo.NameOf(loaded.Pooling);
            var metadata = new Dictionary<string, string>(loaded.Metadata, StringComparer.Ordinal)
            {
                ["model"] = loaded.ModelName,
                ["pooling"] = pooling,
            };
            OnnxExportSummary summary;
            try
            {
                summary = OnnxExport.Save(target, loaded.Model, loaded.Options, metadata, replace);
            }
            catch (IOException) when (!replace && File.Exists(target))
            {
                // Another writer created the file after the check; the rename refused to replace it.
                throw Exists(target);
            }

            stdout.WriteLine($"wrote {target}: {summary.Nodes} nodes, {summary.Parameters:N0} parameters, {summary.Bytes:N0} bytes ({loaded.ModelName}, {pooling} pooling, ONNX opset {OnnxExport.Opset})");
            return CliApplication.ExitOk;
        });
        return command;
    }

    private static void CheckTarget(string target, bool replace)
    {
        if (Directory.Exists(target))
        {
            throw new CliException($"--output: cannot write '{target}': it is a folder.");
        }

        string? folder = Path.GetDirectoryName(Path.GetFullPath(target));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new CliException($"--output: cannot write '{target}': folder '{folder}' does not exist.");
        }

        if (!replace && File.Exists(target))
        {
            throw Exists(target);
        }
    }

    private static CliException Exists(string target) => new($"'{target}' already exists; give --overwrite to replace it.");
}
