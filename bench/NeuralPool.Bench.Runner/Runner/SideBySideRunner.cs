using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using NeuralPool.Bench.Onnx;

namespace NeuralPool.Bench.Runner;

/// <summary>Options of <c>run</c>.</summary>
internal sealed record RunnerOptions(string SuitePath, int[] Threads, string? JsonPath, string[] Filters, bool Quick)
{
    public const string Usage = """
        usage: NeuralPool.Bench run [--suite FILE] [--threads 1,2] [--json FILE] [--filter NAME[,NAME]] [--quick]
          --suite FILE    suite json (default: ../shared/bench/suite.json beside the repository root)
          --threads LIST  thread counts (default 1,2)
          --json FILE     also write the rows as a JSON array, one object per case/layout/threads
          --filter NAME   only cases whose name contains NAME (case-insensitive; comma-separated list)
          --quick         short warm-up and ~0.05 s per measurement (smoke run)
        """;

    public static RunnerOptions Parse(string[] args)
    {
        string? suite = null, json = null;
        int[] threads = [1, 2];
        string[] filters = [];
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--suite": suite = Value(); break;
                case "--json": json = Value(); break;
                case "--threads":
                    threads = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                    if (threads.Length == 0 || threads.Any(t => t < 1))
                    {
                        throw new ArgumentException("--threads takes positive integers, e.g. 1,2.");
                    }

                    break;
                case "--filter": filters = Value().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--quick": quick = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}.");
            }
        }

        return new RunnerOptions(suite ?? DefaultSuite(), threads, json, filters, quick);
    }

    /// <summary>../shared/bench/suite.json relative to the folder holding NeuralPool.slnx (searched upwards from the working directory, then from the executable).</summary>
    private static string DefaultSuite()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NeuralPool.slnx")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "bench", "suite.json"));
                }
            }
        }

        throw new ArgumentException("no NeuralPool.slnx above the working directory; pass --suite FILE.");
    }
}

/// <summary>One row of the table and of the JSON output.</summary>
internal sealed record Row(string Case, string Layout, int Threads, int LibraryThreads, bool Pass, string Coverage, double Ms, double MinMs, double Gbps,
    double PctCopy, double? OrtMs, double? OrtMinMs, bool? OrtPass, string OrtNote, double CopyGbps);

/// <summary>
/// The side-by-side runner: for each suite case, layout and thread count it checks NeuralPool against the
/// naive reference, times it, times ONNX Runtime on the same input (channels-first), and prints a table.
/// </summary>
public static class SideBySideRunner
{
    private static readonly CompositeFormat Format = CompositeFormat.Parse("{0,-28} {1,-6} {2,-5} {3,-14} {4,3} {5,6} {6,10} {7,7} {8,6} {9,10} {10,7} {11,-8}");

    public static int Run(string[] args)
    {
        RunnerOptions options;
        try
        {
            options = RunnerOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(RunnerOptions.Usage);
            return 2;
        }

        var plan = options.Quick ? TimingPlan.Quick : TimingPlan.Full;
        var cases = SuiteCase.Load(options.SuitePath)
            .Where(c => options.Filters.Length == 0 || options.Filters.Any(f => c.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Console.WriteLine($"NeuralPool side-by-side benchmark: {cases.Count} cases from {options.SuitePath}");
        Console.WriteLine($"{Environment.ProcessorCount} logical processors, {RuntimeDescription()}; ONNX Runtime {OrtVersion()}");
        Console.WriteLine(LibraryThreads.Description);

        var copy = CopyBandwidth.Measure(options.Threads.Append(1), options.Quick);
        foreach (var (t, gbps) in copy)
        {
            Console.WriteLine($"copy bandwidth, {t} thread{(t == 1 ? "" : "s")}: {gbps:F1} GB/s (256 MB Span.CopyTo, read + write)");
        }

        Console.WriteLine();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Format, "case", "layout", "pass", "check", "thr", "np_thr", "np_ms", "GB/s", "%copy", "ort_ms", "ort/np", "ort_pass"));
        var rows = new List<Row>();
        var notes = new List<string>();
        foreach (var c in cases)
        {
            try
            {
                RunCase(c, options, plan, copy, rows, notes);
            }
            catch (Exception e)
            {
                notes.Add($"{c.Name}: failed: {e.GetType().Name}: {e.Message}");
                Console.WriteLine($"{c.Name}: failed: {e.Message}");
            }

            GC.Collect();
        }

        Console.WriteLine();
        Console.WriteLine("pass: NeuralPool vs the runner's naive reference (max values and indices exact; averages and gradients |a-r| <= 1e-5 + 1e-4|r|).");
        Console.WriteLine("GB/s: (input read + output written [+ 8-byte indices]) / np_ms; backward: grad_output [+ indices] read + grad_input written.");
        Console.WriteLine("%copy: GB/s over the copy bandwidth with the same thread count. ort_ms for channels-last rows is the channels-first one (ONNX has no channels-last pooling).");
        foreach (string note in notes.Distinct())
        {
            Console.WriteLine("note: " + note);
        }

        if (options.JsonPath is { } path)
        {
            WriteJson(path, rows);
            Console.WriteLine($"wrote {rows.Count} rows to {path} (a JSON array of objects)");
        }

        return rows.All(r => r.Pass) && rows.Count > 0 ? 0 : 1;
    }

    private static void RunCase(SuiteCase c, RunnerOptions options, TimingPlan plan, IReadOnlyDictionary<int, double> copy, List<Row> rows, List<string> notes)
    {
        var reference = new NaiveReference(c);
        float[] x = CaseData.Input(c);
        float[]? gradOut = c.Backward ? CaseData.GradOutput(c, reference.OutputLength) : null;
        var expected = ReferenceResult.Compute(c, reference, x, gradOut);
        if (expected.Seconds > 10)
        {
            notes.Add($"{c.Name}: the naive reference took {expected.Seconds:F1} s");
        }

        var ort = new Dictionary<int, (double? Ms, double? MinMs, bool? Pass, string Note)>();
        string? ortUnsupported = OrtPeer.Unsupported(c);
        if (ortUnsupported is not null)
        {
            notes.Add($"{c.Name}: ONNX Runtime n/a: {ortUnsupported}");
        }

        foreach (string layout in c.Layouts)
        {
            bool channelsLast = layout != c.Layouts[0];
            var run = new LayoutRun(c, channelsLast, x, gradOut);
            int[] outSpatial = CaseData.OutputSpatial(run.Geometry);
            bool sameShape = outSpatial.SequenceEqual(reference.OutputSpatial);
            if (!sameShape)
            {
                notes.Add($"{c.Name} {layout}: NeuralPool output spatial [{string.Join(", ", outSpatial)}] vs reference [{string.Join(", ", reference.OutputSpatial)}]");
            }

            foreach (int threads in options.Threads)
            {
                int applied = LibraryThreads.Set(threads);
                CheckResult check;
                if (!sameShape)
                {
                    check = new CheckResult(false, "output shape differs", -1);
                }
                else
                {
                    if (c.Backward)
                    {
                        run.GradInput!.AsSpan().Fill(float.NaN); // backward must overwrite every element
                    }
                    else
                    {
                        run.Output.AsSpan().Fill(float.NaN);
                    }

                    run.Invoke();
                    check = c.Backward
                        ? Compare.Backward(c, expected, channelsLast, run.GradInput!)
                        : Compare.Forward(c, expected, channelsLast, outSpatial, run.Output, c.ReturnIndices ? run.Indices : null);
                }

                if (!check.Pass)
                {
                    notes.Add($"{c.Name} {layout} threads={threads}: NeuralPool FAILED, {check.Mismatches} mismatches; first: {check.FirstMismatch}");
                }

                var (ms, minMs) = Timing.Ms(run.Invoke, plan);
                if (!channelsLast && !ort.ContainsKey(threads))
                {
                    ort[threads] = ortUnsupported is null ? TimeOrt(c, threads, x, reference.OutputSpatial, expected, plan, notes) : (null, null, null, "n/a");
                }

                var (ortMs, ortMinMs, ortPass, ortNote) = ort.TryGetValue(threads, out var o) ? o : (null, null, null, "n/a");
                double gbps = run.BytesMoved / (ms * 1e-3) / 1e9;
                double copyGbps = copy[threads];
                var row = new Row(c.Name, layout, threads, applied, check.Pass, expected.Coverage, ms, minMs, gbps, 100 * gbps / copyGbps, ortMs, ortMinMs, ortPass, ortNote, copyGbps);
                rows.Add(row);
                Print(row);
            }

            LibraryThreads.Set(1);
        }
    }

    private static (double? Ms, double? MinMs, bool? Pass, string Note) TimeOrt(SuiteCase c, int threads, float[] x, int[] outSpatial, ReferenceResult expected, TimingPlan plan, List<string> notes)
    {
        try
        {
            using var peer = new OrtPeer(c, threads, x, outSpatial);
            peer.Output.AsSpan().Fill(float.NaN);
            peer.Run();
            long outPlane = outSpatial.Aggregate(1L, (a, b) => a * b);
            var check = Compare.Forward(c, expected, channelsLast: false, outSpatial, peer.Output, peer.PlaneIndices(outPlane, c.PlaneIn));
            if (!check.Pass)
            {
                notes.Add($"{c.Name} threads={threads}: ONNX Runtime {peer.OpType} differs from the reference, {check.Mismatches} mismatches; first: {check.FirstMismatch}");
            }

            var (ms, minMs) = Timing.Ms(peer.Run, plan);
            return (ms, minMs, check.Pass, peer.OpType);
        }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or InvalidOperationException)
        {
            notes.Add($"{c.Name} threads={threads}: ONNX Runtime error: {e.Message}");
            return (null, null, null, "error");
        }
    }

    private static void Print(Row r)
    {
        string ortMs = r.OrtMs is { } m ? m.ToString("F3", CultureInfo.InvariantCulture) : r.OrtNote;
        string ratio = r.OrtMs is { } m2 ? (m2 / r.Ms).ToString("F2", CultureInfo.InvariantCulture) : "-";
        string ortPass = r.OrtPass switch { true => "yes", false => "NO", null => "-" };
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Format, r.Case, r.Layout, r.Pass ? "yes" : "NO", r.Coverage, r.Threads, r.LibraryThreads,
            r.Ms.ToString("F3", CultureInfo.InvariantCulture), r.Gbps.ToString("F1", CultureInfo.InvariantCulture),
            r.PctCopy.ToString("F0", CultureInfo.InvariantCulture), ortMs, ratio, ortPass));
    }

    private static void WriteJson(string path, List<Row> rows)
    {
        var sb = new StringBuilder("[\n");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("case", r.Case);
                w.WriteString("layout", r.Layout);
                w.WriteNumber("threads", r.Threads);
                w.WriteBoolean("pass", r.Pass);
                w.WriteNumber("ms", Math.Round(r.Ms, 4));
                w.WriteNumber("gbps", Math.Round(r.Gbps, 2));
                if (r.OrtMs is { } ortMs)
                {
                    w.WriteNumber("ort_ms", Math.Round(ortMs, 4));
                }
                else
                {
                    w.WriteNull("ort_ms");
                }

                if (r.OrtPass is { } ortPass)
                {
                    w.WriteBoolean("ort_pass", ortPass);
                }
                else
                {
                    w.WriteNull("ort_pass");
                }

                w.WriteNumber("min_ms", Math.Round(r.MinMs, 4));
                if (r.OrtMinMs is { } ortMin)
                {
                    w.WriteNumber("ort_min_ms", Math.Round(ortMin, 4));
                }
                else
                {
                    w.WriteNull("ort_min_ms");
                }

                w.WriteNumber("np_threads", r.LibraryThreads);
                w.WriteString("check", r.Coverage);
                w.WriteNumber("pct_copy", Math.Round(r.PctCopy, 1));
                w.WriteNumber("copy_gbps", Math.Round(r.CopyGbps, 2));
                w.WriteEndObject();
            }

            sb.Append(Encoding.UTF8.GetString(buffer.ToArray())).Append(i + 1 < rows.Count ? ",\n" : "\n");
        }

        sb.Append("]\n");
        File.WriteAllText(path, sb.ToString());
    }

    private static string RuntimeDescription() =>
        $".NET {Environment.Version}, Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, Vector<T> {System.Numerics.Vector<byte>.Count * 8} bits";

    private static string OrtVersion() => Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();
}
