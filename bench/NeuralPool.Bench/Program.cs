using BenchmarkDotNet.Running;
using NeuralPool.Bench.Runner;

namespace NeuralPool.Bench;

/// <summary>
/// <c>run</c>: the side-by-side runner (NeuralPool vs the naive reference and ONNX Runtime);
/// <c>chart</c>: a PNG of the speed-ups from the JSON files of <c>run</c> and tools/reference/bench_torch.py;
/// <c>micro</c>: the BenchmarkDotNet benchmarks (remaining arguments go to BenchmarkSwitcher).
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: NeuralPool.Bench run [--suite FILE] [--threads 1,2] [--json FILE] [--filter NAME] [--quick]
               NeuralPool.Bench chart --json NP.json [--torch TORCH.json] --out CHART.png
               NeuralPool.Bench micro [--out-of-process] [BenchmarkDotNet arguments, e.g. --filter '*' --job short]
        micro runs the benchmarks in this process (BenchmarkDotNet's --inProcess) unless --out-of-process is given:
        the out-of-process toolchain rebuilds the project in its default bin/obj folders and must be started
        from a folder that contains bench/NeuralPool.Bench.
        """;

    /// <summary>BenchmarkDotNet's arguments: in-process by default (no rebuild, works from any artifacts folder).</summary>
    private static string[] MicroArguments(string[] args)
    {
        if (args.Contains("--out-of-process"))
        {
            return [.. args.Where(a => a != "--out-of-process")];
        }

        return args.Any(a => a is "--inProcess" or "-i") ? args : ["--inProcess", .. args];
    }

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        switch (args[0])
        {
            case "run":
                return SideBySideRunner.Run(args[1..]);
            case "chart":
                return Chart.Run(args[1..]);
            case "micro":
                var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(MicroArguments(args[1..]));
                return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
            default:
                Console.Error.WriteLine($"unknown command {args[0]}.");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
