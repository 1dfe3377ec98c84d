using System.CommandLine;
using System.Globalization;
using NeuralPool.Bench.Runner;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool bench [--suite FILE] [--threads 1,2] [--json FILE] [--filter NAME] [--quick]</c>: the
/// side-by-side runner of bench/NeuralPool.Bench.Runner (every result checked against a naive reference,
/// then NeuralPool and ONNX Runtime timed in this process, with the copy bandwidth of the same run).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var suite = new Option<string?>("--suite") { Description = "Suite JSON (default: ../shared/bench/suite.json beside the repository root)." };
        var threads = new Option<string>("--threads") { Description = "Thread counts, comma-separated.", DefaultValueFactory = _ => "1,2" };
        var json = new Option<string?>("--json") { Description = "Also write the rows as a JSON array: {case, layout, threads, pass, ms, gbps, ort_ms, ...}." };
        var filter = new Option<string?>("--filter") { Description = "Only cases whose name contains NAME (comma-separated list)." };
        var quick = new Option<bool>("--quick") { Description = "Short warm-up and measurements (a smoke run; times are not representative)." };
        var command = new Command("bench", "Benchmark the suite side by side with ONNX Runtime: checks each result first, prints ms, GB/s, % of copy bandwidth and the ratio.")
        {
            suite,
            threads,
            json,
            filter,
            quick,
        };
        command.SetAction(parse =>
        {
            string threadList = parse.GetValue(threads) ?? "1,2";
            foreach (string t in threadList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).DefaultIfEmpty(""))
            {
                if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                {
                    throw new CliException($"--threads takes positive integers separated by commas, e.g. 1,2; got '{threadList}'.");
                }
            }

            string? suitePath = parse.GetValue(suite);
            if (suitePath is not null && !File.Exists(suitePath))
            {
                throw new CliException($"suite file '{suitePath}' does not exist.");
            }

            var args = new List<string> { "--threads", threadList };
            AddIf(args, "--suite", parse.GetValue(suite));
            AddIf(args, "--json", parse.GetValue(json));
            AddIf(args, "--filter", parse.GetValue(filter));
            if (parse.GetValue(quick))
            {
                args.Add("--quick");
            }

            return SideBySideRunner.Run([.. args]);
        });
        return command;
    }

    private static void AddIf(List<string> args, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            args.Add(name);
            args.Add(value);
        }
    }
}
