using System.Diagnostics;

namespace NeuralPool.Bench.Runner;

/// <summary>The outcome of comparing one implementation's result with the naive reference.</summary>
internal sealed record CheckResult(bool Pass, string? FirstMismatch, long Mismatches);

/// <summary>
/// The naive reference's result for a case, computed once and compared against every layout, thread
/// count and peer. Forward: every output, or a deterministic sample when the full reference would take
/// too long. Backward: the full input gradient.
/// </summary>
internal sealed class ReferenceResult
{
    /// <summary>Above this many window taps the forward reference is computed on a sample of outputs only.</summary>
    private const double FullTapBudget = 2e9;
    private const int SampleSize = 200_000;

    /// <summary>Logical (channels-first) output positions that were computed; null means all of them.</summary>
    public long[]? Sample { get; private init; }
    public double[] Values { get; private init; } = [];
    public long[]? Indices { get; private init; }
    public double[]? GradInput { get; private init; }
    public double Seconds { get; private init; }

    /// <summary>"full" or "sample N" (forward), "full" for backward.</summary>
    public string Coverage => Sample is null ? "full" : $"sample {Sample.Length}";

    public static ReferenceResult Compute(SuiteCase c, NaiveReference r, float[] x, float[]? gradOutput)
    {
        var sw = Stopwatch.StartNew();
        long total = r.OutputLength;
        long taps = c.IsAdaptive ? c.Shape.Skip(2).Aggregate(1L, (a, b) => a * b) : c.Kernel.Aggregate(1L, (a, b) => a * b);
        bool sampled = !c.Backward && total * (double)taps > FullTapBudget && total > SampleSize;
        long[]? sample = null;
        if (sampled)
        {
            sample = new long[SampleSize];
            for (int j = 0; j < SampleSize; j++)
            {
                sample[j] = (long)((double)j * total / SampleSize); // deterministic, spread over every plane
            }
        }

        long count = sample?.LongLength ?? total;
        var values = new double[count];
        long[]? indices = c.IsMax ? new long[count] : null;
        long outPlane = r.OutputPlane, inPlane = r.InputPlane;
        Parallel.For(0, (count + 4095) / 4096, chunk =>
        {
            long end = Math.Min(count, (chunk + 1) * 4096);
            for (long j = chunk * 4096; j < end; j++)
            {
                long o = sample is null ? j : sample[j];
                values[j] = r.Forward(x, o / outPlane * inPlane, o % outPlane, out long idx);
                if (indices is not null)
                {
                    indices[j] = idx;
                }
            }
        });

        double[]? gin = c.Backward ? r.Backward(gradOutput!, indices) : null;
        return new ReferenceResult { Sample = sample, Values = values, Indices = indices, GradInput = gin, Seconds = sw.Elapsed.TotalSeconds };
    }
}

/// <summary>Compares results in either layout with the logical (channels-first) reference.</summary>
internal static class Compare
{
    private const double RelTol = 1e-4;
    private const double AbsTol = 1e-5;

    /// <summary>
    /// Forward values (exact for max, <c>|a - r| &lt;= 1e-5 + 1e-4 |r|</c> for averages) and, when given,
    /// plane-local indices (exact). <paramref name="outSpatial"/> is the output's spatial extent.
    /// </summary>
    public static CheckResult Forward(SuiteCase c, ReferenceResult reference, bool channelsLast, int[] outSpatial,
        float[] actual, long[]? actualIndices)
    {
        long outPlane = outSpatial.Aggregate(1L, (a, b) => a * b);
        return Scan(reference.Values.LongLength, j =>
        {
            long o = reference.Sample is null ? j : reference.Sample[j];
            long plane = o / outPlane, p = o % outPlane;
            long phys = channelsLast ? (plane / c.C * outPlane + p) * c.C + plane % c.C : o;
            double want = reference.Values[j];
            float got = actual[phys];
            bool ok = c.IsMax
                ? (float)want == got || (double.IsNaN(want) && float.IsNaN(got))
                : Math.Abs(got - want) <= AbsTol + RelTol * Math.Abs(want) || (double.IsNaN(want) && float.IsNaN(got));
            string? why = ok ? null : $"value {got:R} vs reference {want:R}";
            if (ok && actualIndices is not null && reference.Indices is not null && actualIndices[phys] != reference.Indices[j])
            {
                why = $"index {actualIndices[phys]} vs reference {reference.Indices[j]} (value {got:R})";
            }

            return (o, why is null ? null : $"output {Position(c, o, outPlane, outSpatial)}: {why}");
        });
    }

    /// <summary>Input gradient, <c>|a - r| &lt;= 1e-5 + 1e-4 |r|</c> (float sums in another order than the reference's double sums).</summary>
    public static CheckResult Backward(SuiteCase c, ReferenceResult reference, bool channelsLast, float[] actual)
    {
        double[] want = reference.GradInput!;
        long inPlane = c.PlaneIn;
        return Scan(want.LongLength, i =>
        {
            long plane = i / inPlane, p = i % inPlane;
            long phys = channelsLast ? (plane / c.C * inPlane + p) * c.C + plane % c.C : i;
            float got = actual[phys];
            return (i, Math.Abs(got - want[i]) <= AbsTol + RelTol * Math.Abs(want[i])
                ? null
                : $"grad_input {Position(c, i, inPlane, c.Shape[2..])}: {got:R} vs reference {want[i]:R}");
        });
    }

    /// <summary>
    /// Checks elements [0, count) in parallel chunks: <paramref name="check"/> gives an element's logical
    /// position and, when it does not match, why. Returns the count and the mismatch at the lowest position.
    /// </summary>
    private static CheckResult Scan(long count, Func<long, (long Position, string? Why)> check)
    {
        long mismatches = 0;
        long first = long.MaxValue;
        string? firstText = null;
        var gate = new object();
        Parallel.For(0, (count + 65535) / 65536, chunk =>
        {
            long end = Math.Min(count, (chunk + 1) * 65536);
            long local = 0;
            for (long j = chunk * 65536; j < end; j++)
            {
                var (position, why) = check(j);
                if (why is null)
                {
                    continue;
                }

                local++;
                lock (gate)
                {
                    if (position < first)
                    {
                        first = position;
                        firstText = why;
                    }
                }
            }

            Interlocked.Add(ref mismatches, local);
        });
        return new CheckResult(mismatches == 0, firstText, mismatches);
    }

    /// <summary>"[n, c, d, h, w]" of logical element <paramref name="o"/>.</summary>
    private static string Position(SuiteCase c, long o, long plane, int[] spatial)
    {
        var coords = new long[spatial.Length];
        long p = o % plane;
        for (int i = spatial.Length - 1; i >= 0; i--)
        {
            coords[i] = p % spatial[i];
            p /= spatial[i];
        }

        return $"[{o / plane / c.C}, {o / plane % c.C}, {string.Join(", ", coords)}]";
    }
}
