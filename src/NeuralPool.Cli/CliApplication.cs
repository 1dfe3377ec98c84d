using System.CommandLine;
using System.CommandLine.Help;
using NeuralPool.Cli.Commands;

namespace NeuralPool.Cli;

/// <summary>
/// Builds the command tree and turns every error into one <c>error: ...</c> line on stderr: exit code 1 for an image
/// file that cannot be read, 2 for everything else.
/// </summary>
internal static class CliApplication
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            // A plain command named "neuralpool" rather than RootCommand, whose name (shown in help) would be the host's executable.
            var root = new Command("neuralpool", "CNN pooling layers with exact PyTorch and ONNX semantics: run operators on .npy files and pictures, conformance suites, a demo, figures that explain pooling, and studies on images.")
            {
                new HelpOption(),
                new VersionOption(),
                DemoCommand.Create(stdout),
                ApplyCommand.Create(stdout),
                ConformCommand.Create(stdout),
                BenchCommand.Create(),
                StudyCommand.Create(stdout),
                ImageCommand.Create(stdout, stderr),
                ExplainCommand.Create(stdout),
                GalleryCommand.Create(stdout),
                TrainCommand.Create(stdout),
                EvalCommand.Create(stdout),
                ExportCommand.Create(stdout),
                AblateCommand.Create(stdout),
            };

            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
            {
                var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
                return Error(stderr, args.Length == 0 ? "no command given; run 'neuralpool --help' for the commands." : error.Message);
            }

            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Imaging.ImageFileException ex)
        {
            return Error(stderr, ex.Message, ExitFailed);
        }
        catch (Exception ex) when (Describe(ex) is { } message)
        {
            return Error(stderr, message);
        }
    }

    /// <summary>The one-line message for an exception (inner exceptions of invocation wrappers unwrapped).</summary>
    public static string Describe(Exception ex)
    {
        while (ex is System.Reflection.TargetInvocationException or AggregateException && ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        string message = ex switch
        {
            ArgumentException { ParamName: { } name } a when a.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal) =>
                a.Message[..^$" (Parameter '{name}')".Length],
            CliException or Interop.NpyFormatException or IOException or UnauthorizedAccessException or ArgumentException
                or NotSupportedException or Operators.OperatorException or Operators.UnsupportedOperatorException => ex.Message,
            _ => $"internal error ({ex.GetType().Name}): {ex.Message}",
        };
        return OneLine(message);
    }

    /// <summary>The text on one line, runs of whitespace (line breaks, tabs) collapsed to one space.</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    public static int Error(TextWriter stderr, string message, int exitCode = ExitUsage)
    {
        stderr.WriteLine($"error: {OneLine(message)}");
        return exitCode;
    }
}
