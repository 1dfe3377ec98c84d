using System.Numerics;
using System.Text;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Conversions between the oracle's channels-first doubles and the library's typed, laid-out spans.</summary>
internal static class Harness
{
    public static readonly int[] Sizes = [1, 2, 3, 5, 7, 8, 9, 16, 17, 33];
    public static readonly int[] Channels = [1, 3, 8, 9, 17];

    /// <summary>Runs <paramref name="body"/> once per thread count, with the library's worker limit set to it; the limit is restored after.</summary>
    public static void OnThreads(int[] counts, Action<int> body)
    {
        int saved = PoolSettings.MaxDegreeOfParallelism;
        try
        {
            foreach (int threads in counts)
            {
                PoolSettings.MaxDegreeOfParallelism = threads;
                body(threads);
            }
        }
        finally
        {
            PoolSettings.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>Every (rank, layout, element type) a sweep runs in.</summary>
    public static TheoryData<int, TensorLayout, string> Configs()
    {
        var data = new TheoryData<int, TensorLayout, string>();
        foreach (int rank in new[] { 1, 2, 3 })
        {
            foreach (var layout in new[] { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast })
            {
                foreach (string type in new[] { "float", "double" })
                {
                    data.Add(rank, layout, type);
                }
            }
        }

        return data;
    }

    /// <summary>The physical shape of a channels-first shape in <paramref name="layout"/>.</summary>
    /// <summary>
    /// Asserts that <paramref name="gradInput"/> is d(Σ gradOutput·y)/dx by central differences, where
    /// <paramref name="forward"/> writes y for x (every <paramref name="step"/>-th element of x is probed).
    /// </summary>
    public static void AssertGradient(double[] x, double[] gradOutput, double[] gradInput, Action<double[], double[]> forward,
        double eps = 1e-4, double tolerance = 1e-6, int step = 1)
    {
        var y = new double[gradOutput.Length];
        double Loss()
        {
            forward(x, y);
            return y.Zip(gradOutput, (a, b) => a * b).Sum();
        }

        for (int i = 0; i < x.Length; i += step)
        {
            double keep = x[i];
            x[i] = keep + eps;
            double plus = Loss();
            x[i] = keep - eps;
            double minus = Loss();
            x[i] = keep;
            double numeric = (plus - minus) / (2 * eps);
            Assert.True(Math.Abs(numeric - gradInput[i]) < tolerance, $"element {i}: finite difference {numeric}, gradient {gradInput[i]}");
        }
    }

    /// <summary>Both layouts with float and double.</summary>
    public static TheoryData<TensorLayout, string> LayoutsAndTypes() => new()
    {
        { TensorLayout.ChannelsFirst, "float" },
        { TensorLayout.ChannelsFirst, "double" },
        { TensorLayout.ChannelsLast, "float" },
        { TensorLayout.ChannelsLast, "double" },
    };

    /// <summary>Both layouts.</summary>
    public static TheoryData<TensorLayout> Layouts() => new() { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast };

    public static int[] Shape(int[] channelsFirst, TensorLayout layout) =>
        layout == TensorLayout.ChannelsFirst ? channelsFirst : LayoutTranspose.ChannelsLastShape(channelsFirst);

    /// <summary>Channels-first data converted to T and laid out in <paramref name="layout"/>.</summary>
    public static T[] ToLibrary<T>(double[] channelsFirst, int[] channelsFirstShape, TensorLayout layout)
        where T : INumberBase<T>
    {
        var typed = channelsFirst.Select(T.CreateChecked).ToArray();
        return layout == TensorLayout.ChannelsFirst ? typed : LayoutTranspose.ToChannelsLast(typed, channelsFirstShape);
    }

    /// <summary>A library result in <paramref name="layout"/> back in channels-first order, as doubles.</summary>
    public static double[] FromLibrary<T>(T[] data, int[] channelsFirstShape, TensorLayout layout)
        where T : INumberBase<T>
    {
        var cf = layout == TensorLayout.ChannelsFirst ? data : LayoutTranspose.ToChannelsFirst(data, channelsFirstShape);
        return cf.Select(double.CreateChecked).ToArray();
    }

    /// <summary>Indices in <paramref name="layout"/> back in channels-first order.</summary>
    public static long[] FromLibrary(long[] data, int[] channelsFirstShape, TensorLayout layout) =>
        layout == TensorLayout.ChannelsFirst ? data : LayoutTranspose.ToChannelsFirst(data, channelsFirstShape);

    /// <summary>Indices laid out in <paramref name="layout"/>.</summary>
    public static long[] ToLibrary(long[] channelsFirst, int[] channelsFirstShape, TensorLayout layout) =>
        layout == TensorLayout.ChannelsFirst ? channelsFirst : LayoutTranspose.ToChannelsLast(channelsFirst, channelsFirstShape);

    /// <summary>The data the oracle sees: rounded through T, so both sides start from the same values.</summary>
    public static double[] RoundTrip<T>(double[] x)
        where T : INumberBase<T> => x.Select(v => double.CreateChecked(T.CreateChecked(v))).ToArray();

    /// <summary>Relative tolerance of averages and gradients for T.</summary>
    public static double Tolerance<T>() => typeof(T) == typeof(float) ? 1e-5 : 1e-12;

    /// <summary>
    /// Asserts float max values equal to the oracle's (NaN where it is NaN); with <paramref name="signOfZero"/>, bit for bit,
    /// so a zero must also have the oracle's sign (PyTorch's first of equal values in row-major order).
    /// </summary>
    public static void AssertMax(double[] expected, float[] y, bool signOfZero, string where)
    {
        Assert.Equal(expected.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            double e = expected[i], a = y[i];
            bool same = double.IsNaN(e) ? double.IsNaN(a) : signOfZero ? BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a) : e == a;
            Assert.True(same, $"max {i}: {a} vs {e} (signs {double.IsNegative(a)} / {double.IsNegative(e)}), {where}");
        }
    }

    /// <summary>Asserts float averages within 1e-5 absolute plus 1e-5 relative of the oracle's (NaN and infinities exactly).</summary>
    public static void AssertAverage(double[] expected, float[] y, string where)
    {
        Assert.Equal(expected.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            double e = expected[i];
            bool same = double.IsNaN(e) ? float.IsNaN(y[i]) : double.IsInfinity(e) ? y[i] == e : Math.Abs(y[i] - e) <= 1e-5 + (1e-5 * Math.Abs(e));
            Assert.True(same, $"average {i}: {y[i]} vs {e}, {where}");
        }
    }

    /// <summary>Null when bit for bit equal but for NaN payloads (-0 differs from 0), else the first mismatch.</summary>
    public static string? ExactSigned(double[] expected, double[] actual, string what)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: length {actual.Length}, expected {expected.Length}";
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (!(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]) || (double.IsNaN(expected[i]) && double.IsNaN(actual[i]))))
            {
                return $"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R}";
            }
        }

        return null;
    }

    /// <summary>Null when equal (NaN equals NaN, -0 equals 0), else the first mismatch.</summary>
    public static string? Exact(double[] expected, double[] actual, string what)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: length {actual.Length}, expected {expected.Length}";
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (!(expected[i] == actual[i] || (double.IsNaN(expected[i]) && double.IsNaN(actual[i]))))
            {
                return $"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R}";
            }
        }

        return null;
    }

    /// <summary>Null when equal, else the first mismatch.</summary>
    public static string? Exact(long[] expected, long[] actual, string what)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: length {actual.Length}, expected {expected.Length}";
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                return $"{what}[{i}] = {actual[i]}, expected {expected[i]}";
            }
        }

        return null;
    }

    /// <summary>
    /// Null when every element agrees within <c>rtol * scale[i]</c> (scale: a magnitude of the terms that
    /// made the element, e.g. the same average over |x|); NaN must meet NaN and infinities must be equal.
    /// </summary>
    public static string? Close(double[] expected, double[] actual, double[] scale, double rtol, string what)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: length {actual.Length}, expected {expected.Length}";
        }

        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) || double.IsInfinity(scale[i]) ? e == a
                : Math.Abs(a - e) <= rtol * Math.Max(Math.Max(Math.Abs(scale[i]), Math.Abs(e)), 1e-300);
            if (!ok)
            {
                return $"{what}[{i}] = {a:R}, expected {e:R} (scale {scale[i]:R})";
            }
        }

        return null;
    }

    /// <summary><see cref="Close"/> with one scale for the whole tensor: the largest finite |expected|.</summary>
    public static string? CloseToMax(double[] expected, double[] actual, double rtol, string what)
    {
        double max = expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        return Close(expected, actual, Enumerable.Repeat(max, expected.Length).ToArray(), rtol, what);
    }

    public static string Format(int[]? values) => values is null ? "default" : "(" + string.Join(",", values) + ")";
}

/// <summary>Collects failing sweep cases and reports them all at once.</summary>
internal sealed class Failures
{
    private readonly List<string> _items = [];
    private int _cases;

    public void Count() => _cases++;

    /// <summary>Cases counted so far.</summary>
    public int Cases => _cases;

    public void Add(string description, string? problem)
    {
        if (problem is not null)
        {
            _items.Add($"{description}: {problem}");
        }
    }

    public void AssertNone()
    {
        Assert.True(_cases > 0, "the sweep generated no case");
        if (_items.Count > 0)
        {
            var text = new StringBuilder($"{_items.Count} failures in {_cases} cases; first ones:\n");
            foreach (string item in _items.Take(15))
            {
                text.AppendLine(item);
            }

            Assert.Fail(text.ToString());
        }
    }
}
