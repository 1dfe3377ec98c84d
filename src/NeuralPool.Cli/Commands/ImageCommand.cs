using System.CommandLine;
using NeuralPool.Cli.Operators;
using NeuralPool.Cli.Pictures;
using Spectre.Console;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool image IN -o OUT --op NAME [attribute options] [--overwrite]</c>: pools a picture, or every picture of a
/// folder, with a catalog operator (<see cref="ImageOperator"/>), channel by channel, and writes PNG files with the
/// input's bit depth. The operator and attribute options are those of <c>apply</c> (<see cref="OperatorOptions"/>).
/// A folder's pictures are pooled in parallel with a progress bar on a terminal (plain lines otherwise); a picture
/// that fails gets its own <c>error: ...</c> line and the others go on. Exit code 0 when every output was written,
/// 1 when any picture failed, 2 for bad arguments. Outputs are written atomically and never replaced without
/// <c>--overwrite</c>.
/// </summary>
internal static class ImageCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error: per-picture error lines.</param>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = new Argument<string>("input")
        {
            Description = "A PNG, JPEG or BMP picture (grey, grey+alpha, RGB or RGBA; 8- or 16-bit PNG; JPEG Exif orientation applied), or a folder: every .png, .jpg, .jpeg and .bmp file directly in it.",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "The PNG file to write for a picture (or a folder to write NAME.png into); for a folder of pictures, the folder for NAME.png files (created if missing).",
            Required = true,
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing output files (without it an existing output is an error for that picture)." };
        var seed = new Option<int>("--seed") { Description = "fractional_max_pool2d: seed of the random samples, shared by all channels.", DefaultValueFactory = _ => 0 };
        var op = new OperatorOptions(
            "Operator run on each channel: a torch.nn.functional 2-D name (max_pool2d, avg_pool2d, lp_pool2d, adaptive_max_pool2d, adaptive_avg_pool2d, fractional_max_pool2d) or an ONNX name (MaxPool, AveragePool, LpPool, GlobalMaxPool, GlobalAveragePool, GlobalLpPool).",
            regionOptions: false);
        var command = new Command("image", "Pool a picture, or every picture of a folder, channel by channel with one pooling operator; write PNG files.") { input, output, overwrite, seed };
        op.AddTo(command);
        command.SetAction(parse =>
        {
            var imageOperator = ImageOperator.Resolve(op.DomainOf(parse), op.OpName(parse), op.Attributes(parse, wantIndices: false), parse.GetValue(seed));
            string inputPath = parse.GetValue(input)!, outputPath = parse.GetValue(output)!;
            bool replace = parse.GetValue(overwrite);
            return Directory.Exists(inputPath)
                ? RunFolder(inputPath, outputPath, imageOperator, replace, Display(stdout, stderr), stdout)
                : RunFile(inputPath, outputPath, imageOperator, replace, stdout, stderr);
        });
        return command;
    }

    /// <summary>Pools one picture; returns the exit code.</summary>
    /// <exception cref="CliException">The output's folder does not exist.</exception>
    public static int RunFile(string input, string output, ImageOperator op, bool overwrite, TextWriter stdout, TextWriter stderr)
    {
        string target = Directory.Exists(output) ? Path.Combine(output, Path.GetFileNameWithoutExtension(input) + ".png") : output;
        string? folder = Path.GetDirectoryName(Path.GetFullPath(target));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new CliException($"--output: cannot write '{target}': folder '{folder}' does not exist.");
        }

        var outcome = new ImageJob(input, target).Run(op, overwrite);
        if (!outcome.Succeeded)
        {
            return CliApplication.Error(stderr, outcome.Error!, CliApplication.ExitFailed);
        }

        stdout.WriteLine($"wrote {target}: {outcome.Detail}");
        return CliApplication.ExitOk;
    }

    /// <summary>Pools every picture of a folder; returns the exit code (1 when any picture failed).</summary>
    /// <exception cref="CliException">The output is a file or the input folder, or the folder holds no pictures.</exception>
    public static int RunFolder(string input, string output, ImageOperator op, bool overwrite, IBatchDisplay display, TextWriter stdout)
    {
        if (File.Exists(output))
        {
            throw new CliException($"--output: '{output}' is a file; the pictures of a folder go to a folder.");
        }

        if (string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(input)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)), StringComparison.Ordinal))
        {
            throw new CliException($"--output: '{output}' is the input folder; give another folder for the results.");
        }

        var jobs = ImageBatch.Plan(input, output);
        if (jobs.Count == 0)
        {
            throw new CliException($"folder '{input}' holds no {string.Join(", ", ImageBatch.Extensions)} files.");
        }

        Directory.CreateDirectory(output);
        var outcomes = display.Follow(jobs.Count, ImageBatch.Run(jobs, job => job.Run(op, overwrite)));
        int failed = outcomes.Count(o => !o.Succeeded);
        stdout.WriteLine($"{jobs.Count} pictures: {jobs.Count - failed} written to {output}, {failed} failed");
        return failed == 0 ? CliApplication.ExitOk : CliApplication.ExitFailed;
    }

    /// <summary>A progress bar when standard output is the console's own terminal, plain lines otherwise.</summary>
    private static IBatchDisplay Display(TextWriter stdout, TextWriter stderr)
    {
        bool terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        if (!terminal)
        {
            return new PlainBatchDisplay(stdout, stderr);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        return console.Profile.Capabilities.Interactive ? new TerminalBatchDisplay(console, stderr) : new PlainBatchDisplay(stdout, stderr);
    }
}
