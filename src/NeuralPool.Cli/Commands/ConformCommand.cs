using System.CommandLine;
using NeuralPool.Cli.Conformance;

namespace NeuralPool.Cli.Commands;

/// <summary><c>neuralpool conform DIR... [--actual-dir DIR] [--layout both|nchw|nhwc]</c>: runs conformance suites.</summary>
internal static class ConformCommand
{
    public static Command Create(TextWriter stdout)
    {
        var dirs = new Argument<string[]>("dirs")
        {
            Description = "Suite folders; every folder below them holding a node.json is a case (FORMAT.md).",
            Arity = ArgumentArity.OneOrMore,
        };
        var actualDir = new Option<string?>("--actual-dir")
        {
            Description = "Write each case's computed outputs as DIR/<case path>/output_N.npy (dtype of the expected file).",
        };
        var layout = new Option<string>("--layout")
        {
            Description = "Layouts to run each case in: both (default), nchw (channels-first) or nhwc (channels-last).",
            DefaultValueFactory = _ => "both",
        };
        layout.AcceptOnlyFromAmong("both", "nchw", "nhwc");

        var command = new Command("conform", "Run conformance suites; prints PASS/FAIL/SKIP per case and 'N passed, N failed, N skipped'. Exit code 1 when any case failed.")
        {
            dirs,
            actualDir,
            layout,
        };
        command.SetAction(parse => Run(parse.GetValue(dirs) ?? [], parse.GetValue(actualDir), parse.GetValue(layout) ?? "both", stdout));
        return command;
    }

    public static int Run(string[] roots, string? actualDir, string layout, TextWriter stdout)
    {
        foreach (string root in roots)
        {
            if (!Directory.Exists(root))
            {
                throw new CliException($"suite folder '{root}' does not exist.");
            }
        }

        TensorLayout[] layouts = layout switch
        {
            "nchw" => [TensorLayout.ChannelsFirst],
            "nhwc" => [TensorLayout.ChannelsLast],
            _ => [TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast],
        };
        var runner = new CaseRunner(layouts, actualDir);
        int passed = 0, failed = 0, skipped = 0;
        foreach (string root in roots)
        {
            foreach (var (directory, path) in FindCases(root))
            {
                var result = runner.Run(directory, path);
                switch (result.Outcome)
                {
                    case CaseOutcome.Pass:
                        passed++;
                        stdout.WriteLine($"PASS {path}");
                        break;
                    case CaseOutcome.Fail:
                        failed++;
                        stdout.WriteLine($"FAIL {path}: {result.Message}");
                        break;
                    default:
                        skipped++;
                        stdout.WriteLine($"SKIP {path}: {result.Message}");
                        break;
                }
            }
        }

        stdout.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed > 0 ? CliApplication.ExitFailed : CliApplication.ExitOk;
    }

    /// <summary>Every folder under <paramref name="root"/> (itself included) holding a node.json, sorted by relative path.</summary>
    public static IEnumerable<(string Directory, string Path)> FindCases(string root)
    {
        string full = Path.GetFullPath(root);
        return Directory.EnumerateFiles(full, "node.json", SearchOption.AllDirectories)
            .Select(file => Path.GetDirectoryName(file)!)
            .Select(dir => (Directory: dir, Path: RelativePath(full, dir)))
            .OrderBy(c => c.Path, StringComparer.Ordinal)
            .ToList();
    }

    private static string RelativePath(string root, string dir)
    {
        string relative = Path.GetRelativePath(root, dir);
        return relative == "." ? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)) : relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}
