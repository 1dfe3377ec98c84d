using System.CommandLine;
using NeuralPool.Cli.Explain;
using NeuralPool.Cli.Imaging;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool explain [--op max] [--input x.npy | --seed-example] [--kernel-size 2] [-o figure.png] [--ascii]</c>:
/// draws how a pooling method turns a small input into its output, step by step (<see cref="ExplainFigure"/>), or
/// prints the same as text (<see cref="ExplainText"/>). The seed article's example is the default input. The figure
/// goes to <c>-o</c> (default <c>explain-OP.png</c>; with <c>--ascii</c> alone no figure is written).
/// </summary>
internal static class ExplainCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var op = new Option<string>("--op")
        {
            Description = "The method: " + string.Join("; ", ExplainMethods.All.Select(m => $"{m.Name} ({m.Title})")) + ".",
            DefaultValueFactory = _ => "max",
        };
        var input = new Option<string?>("--input") { Description = $"A small input (.npy): (H, W), (C, H, W) or (1, C, H, W), at most {Explanation.MaxChannels} channels of {Explanation.MaxSide}x{Explanation.MaxSide}." };
        var seedExample = new Option<bool>("--seed-example") { Description = "The seed article's example, a (2, 3, 4) array holding 1..24 (the default)." };
        var kernel = new Option<int>("--kernel-size") { Description = "Window side; the stride is the same, so windows do not overlap.", DefaultValueFactory = _ => 2 };
        var output = new Option<string?>("--output", "-o") { Description = "The figure (PNG); default explain-OP.png, or none with --ascii alone." };
        var ascii = new Option<bool>("--ascii") { Description = "Print the explanation as text." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing figure." };
        var command = new Command("explain", "Draw how a pooling method works on a small input: the windows, what each keeps, the output, and for max pooling where the gradients go.")
        {
            op, input, seedExample, kernel, output, ascii, overwrite,
        };
        command.SetAction(parse =>
        {
            var method = ExplainMethods.Find(parse.GetValue(op)!);
            string? inputPath = parse.GetValue(input);
            if (inputPath is not null && parse.GetValue(seedExample))
            {
                throw new CliException("--input and --seed-example exclude each other.");
            }

            var (values, c, h, w) = inputPath is null ? (SeedExample.Values(), SeedExample.Channels, SeedExample.Height, SeedExample.Width) : Read(inputPath);
            var explanation = Explanation.Compute(method, values, c, h, w, parse.GetValue(kernel));
            bool text = parse.GetValue(ascii);
            if (text)
            {
                stdout.Write(ExplainText.Render(explanation));
            }

            string? figure = parse.GetValue(output) ?? (text ? null : $"explain-{method.Name}.png");
            if (figure is not null)
            {
                var picture = ExplainFigure.Draw(explanation);
                ImageFile.WritePng(figure, picture, overwrite: parse.GetValue(overwrite));
                var (_, ph, pw) = ImageTensor.Size(picture);
                stdout.WriteLine($"wrote {figure}: {pw}x{ph}");
            }

            return CliApplication.ExitOk;
        });
        return command;
    }

    /// <summary>An input file as (C, H, W) float values.</summary>
    /// <exception cref="CliException">The file is missing or its shape is not (H, W), (C, H, W) or (1, C, H, W).</exception>
    private static (float[] Values, int Channels, int Height, int Width) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"--input: file '{path}' does not exist.");
        }

        var array = Npy.Read(path);
        int[] shape = array.Shape;
        var (c, h, w) = shape switch
        {
            [var hh, var ww] => (1, hh, ww),
            [var cc, var hh, var ww] => (cc, hh, ww),
            [1, var cc, var hh, var ww] => (cc, hh, ww),
            _ => throw new CliException($"--input: '{path}' has shape {Explanation.Shape(shape)}; explain takes (H, W), (C, H, W) or (1, C, H, W)."),
        };
        return ([.. array.ToDoubleArray().Select(v => (float)v)], c, h, w);
    }
}
