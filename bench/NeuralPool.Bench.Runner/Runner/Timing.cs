using System.Diagnostics;

namespace NeuralPool.Bench.Runner;

/// <summary>How long to warm up and measure.</summary>
internal sealed record TimingPlan(double WarmupSeconds, int WarmupCalls, double TargetSeconds, int MinReps)
{
    /// <summary>Full run: at least 40 warm-up calls (so tiered JIT reaches its optimized code) and ~0.5 s of measured calls, at least 5.</summary>
    public static readonly TimingPlan Full = new(0.25, 40, 0.5, 5);

    /// <summary>Smoke run.</summary>
    public static readonly TimingPlan Quick = new(0.02, 3, 0.05, 3);
}

internal static class Timing
{
    private const double MaxWarmupSeconds = 1.5;

    /// <summary>Warms up, then times single calls until about <see cref="TimingPlan.TargetSeconds"/>; returns the median and the fastest call in ms.</summary>
    public static (double Median, double Min) Ms(Action action, TimingPlan plan)
    {
        var warm = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 2 || ((calls < plan.WarmupCalls || warm.Elapsed.TotalSeconds < plan.WarmupSeconds) && warm.Elapsed.TotalSeconds < MaxWarmupSeconds))
        {
            action();
            calls++;
        }

        double one = warm.Elapsed.TotalSeconds / calls;
        int reps = (int)Math.Clamp(Math.Ceiling(plan.TargetSeconds / Math.Max(one, 1e-7)), plan.MinReps, 200_000);
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        Array.Sort(times);
        double median = reps % 2 == 1 ? times[reps / 2] : 0.5 * (times[(reps / 2) - 1] + times[reps / 2]);
        return (median, times[0]);
    }
}
