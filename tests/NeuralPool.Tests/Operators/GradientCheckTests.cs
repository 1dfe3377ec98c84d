using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Central finite differences of the library's own forward (double, eps 1e-6) against its Backward:
/// for a random gradOutput g, <c>(L(x + eps e_i) - L(x - eps e_i)) / 2eps</c> with <c>L = Σ g·y</c> must equal gradInput[i].
/// Max pooling uses inputs without ties, so the function is linear around x.
/// </summary>
public sealed class GradientCheckTests
{
    private const double Eps = 1e-6;

    public static TheoryData<TensorLayout> Layouts => new() { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast };

    /// <summary>Channels-first shapes: 1-D, 2-D and 3-D, small enough for one forward per input element.</summary>
    private static readonly int[][] Shapes = [[2, 3, 9], [1, 3, 5, 7], [1, 2, 3, 4, 5]];

    [Theory]
    [MemberData(nameof(Layouts))]
    public void MaxPool_Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        foreach (var cf in Shapes)
        {
            foreach (var (k, s, p, d, ceil) in new[] { (2, 1, 1, 1, false), (3, 2, 1, 1, true), (2, 2, 0, 2, true) })
            {
                var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, cf.Length - 2, [k], [s], [p], [d], ceil, TorchPoolKind.Max);
                var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, TestData.Volume(cf), new Random(1)), cf, layout);
                var gy = Gy(g);
                var numeric = Numeric(g, x, gy, (input, output) => MaxPool.Forward<double>(g, input, output));

                var indices = new long[g.OutputLength];
                MaxPool.Forward<double>(g, x, new double[g.OutputLength], indices);
                var dx = Garbage(g.InputLength);
                MaxPool.Backward<double>(g, gy, indices, dx);
                AssertClose(numeric, dx, $"max (indices) {Harness.Format(cf)} k {k} s {s} p {p} d {d} ceil {ceil}");

                dx = Garbage(g.InputLength);
                MaxPool.Backward<double>(g, x, gy, dx);
                AssertClose(numeric, dx, $"max (input) {Harness.Format(cf)} k {k} s {s} p {p} d {d} ceil {ceil}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void AvgPool_Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        foreach (var cf in Shapes)
        {
            foreach (var (k, s, p, ceil) in new[] { (2, 1, 1, false), (3, 2, 1, true), (2, 2, 0, true), (3, 3, 1, true) })
            {
                foreach (var (countIncludePad, divisor) in new (bool, int?)[] { (true, null), (false, null), (true, 5) })
                {
                    if (cf.Length == 5 && cf[2] < k)
                    {
                        continue;
                    }

                    var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, cf.Length - 2, [k], [s], [p], [], ceil, TorchPoolKind.Average);
                    var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, TestData.Volume(cf), new Random(2)), cf, layout);
                    var gy = Gy(g);
                    var numeric = Numeric(g, x, gy, (input, output) => AvgPool.Forward<double>(g, input, output, countIncludePad, divisor));
                    var dx = Garbage(g.InputLength);
                    AvgPool.Backward<double>(g, gy, dx, countIncludePad, divisor);
                    AssertClose(numeric, dx, $"avg {Harness.Format(cf)} k {k} s {s} p {p} ceil {ceil} cip {countIncludePad} div {divisor}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void LpPool_Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        foreach (var cf in Shapes)
        {
            foreach (var (k, s, ceil) in new[] { (2, 1, false), (3, 2, true) })
            {
                var torch = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, cf.Length - 2, [k], [s], [], [], ceil, TorchPoolKind.Power);
                var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Positive, TestData.Volume(cf), new Random(3)), cf, layout);
                foreach (double p in new[] { 2, 3, 1.5 })
                {
                    var gy = Gy(torch);
                    var numeric = Numeric(torch, x, gy, (input, output) => LpPool.Forward<double>(torch, input, p, output, LpFlavor.Torch));
                    var dx = Garbage(torch.InputLength);
                    LpPool.Backward<double>(torch, x, p, gy, dx, LpFlavor.Torch);
                    AssertClose(numeric, dx, $"lp torch p {p} {Harness.Format(cf)} k {k} s {s} ceil {ceil}");
                }

                int rank = cf.Length - 2;
                var onnx = PoolGeometry.Onnx(Harness.Shape(cf, layout), layout, Enumerable.Repeat(k, rank).ToArray(), Enumerable.Repeat(s, rank).ToArray(),
                    Enumerable.Repeat(1, 2 * rank).ToArray(), [], AutoPad.NotSet, ceil);
                var signed = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, TestData.Volume(cf), new Random(4)), cf, layout)
                    .Select(v => v + (v >= 0 ? 0.3 : -0.3)).ToArray();
                foreach (int p in new[] { 2, 3 })
                {
                    var gy = Gy(onnx);
                    var numeric = Numeric(onnx, signed, gy, (input, output) => LpPool.Forward<double>(onnx, input, p, output, LpFlavor.Onnx));
                    var dx = Garbage(onnx.InputLength);
                    LpPool.Backward<double>(onnx, signed, p, gy, dx, LpFlavor.Onnx);
                    AssertClose(numeric, dx, $"lp onnx p {p} {Harness.Format(cf)} k {k} s {s} ceil {ceil}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void AdaptivePool_Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        foreach (var cf in Shapes)
        {
            foreach (int o in new[] { 1, 2, 3, 6 })
            {
                var g = PoolGeometry.Adaptive(Harness.Shape(cf, layout), layout, cf.Length - 2, [o]);
                var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, TestData.Volume(cf), new Random(5)), cf, layout);
                var gy = Gy(g);
                var numeric = Numeric(g, x, gy, (input, output) => MaxPool.Forward<double>(g, input, output));
                var dx = Garbage(g.InputLength);
                MaxPool.Backward<double>(g, x, gy, dx);
                AssertClose(numeric, dx, $"adaptive max {Harness.Format(cf)} out {o}");

                numeric = Numeric(g, x, gy, (input, output) => AvgPool.Forward<double>(g, input, output));
                dx = Garbage(g.InputLength);
                AvgPool.Backward<double>(g, gy, dx);
                AssertClose(numeric, dx, $"adaptive avg {Harness.Format(cf)} out {o}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void MaxUnpool_Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        // Unpool a (2, 3, 4) tensor into planes of 7 with indices (distinct per plane, as a pooling produces).
        int[] cf = [2, 3, 4];
        var rng = new Random(6);
        var idx = new long[24];
        for (int plane = 0; plane < 6; plane++)
        {
            var positions = Enumerable.Range(0, 7).ToArray();
            rng.Shuffle(positions);
            for (int i = 0; i < 4; i++)
            {
                idx[(plane * 4) + i] = positions[i];
            }
        }

        var shape = Harness.Shape(cf, layout);
        var indices = Harness.ToLibrary(idx, cf, layout);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, 24, rng), cf, layout);
        var gy = TestData.Make(DataKind.Normal, 42, rng);
        var numeric = new double[24];
        for (int i = 0; i < 24; i++)
        {
            numeric[i] = Difference(x, i, gy, input =>
            {
                var y = new double[42];
                MaxUnpool.Forward<double>(layout, shape, input, indices, [7], y);
                return y;
            });
        }

        var dx = Garbage(24);
        MaxUnpool.Backward<double>(layout, shape, indices, [7], gy, dx);
        AssertClose(numeric, dx, "unpool");
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Backward_OverwritesGradInput(TensorLayout layout)
    {
        int[] cf = [1, 3, 6, 6];
        var g = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [3], [1], [1], [], false, TorchPoolKind.Max);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, 108, new Random(7)), cf, layout);
        var gy = Gy(g);
        var indices = new long[g.OutputLength];
        MaxPool.Forward<double>(g, x, new double[g.OutputLength], indices);
        var avg = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [3], [1], [1], [], false, TorchPoolKind.Average);
        var lp = PoolGeometry.Torch(Harness.Shape(cf, layout), layout, 2, [3], [1], [], [], false, TorchPoolKind.Power);
        var lpGy = Gy(lp);

        var runs = new (string Name, Action<double[]> Backward)[]
        {
            ("max (indices)", dx => MaxPool.Backward<double>(g, gy, indices, dx)),
            ("max (input)", dx => MaxPool.Backward<double>(g, x, gy, dx)),
            ("avg", dx => AvgPool.Backward<double>(avg, gy, dx)),
            ("lp torch", dx => LpPool.Backward<double>(lp, x.Select(Math.Abs).ToArray(), 2, lpGy, dx)),
            ("lp onnx", dx => LpPool.Backward<double>(lp, x, 2, lpGy, dx, LpFlavor.Onnx)),
            ("unpool", dx => MaxUnpool.Backward<double>(layout, Harness.Shape([1, 3, 6, 6], layout), indices, [6, 6], x, dx)),
        };
        foreach (var (name, backward) in runs)
        {
            var clean = new double[108];
            backward(clean);
            var dirty = Garbage(108);
            backward(dirty);
            Assert.True(clean.SequenceEqual(dirty), $"{name}: Backward accumulated into a pre-filled gradInput");
            var again = (double[])clean.Clone();
            backward(again);
            Assert.True(clean.SequenceEqual(again), $"{name}: a second Backward into the same buffer changed it");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static double[] Gy(PoolGeometry g) => TestData.Make(DataKind.Normal, g.OutputLength, new Random(100 + (int)g.OutputLength));

    private static double[] Numeric(PoolGeometry g, double[] x, double[] gy, Action<double[], double[]> forward)
    {
        var numeric = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            numeric[i] = Difference(x, i, gy, input =>
            {
                var y = new double[g.OutputLength];
                forward(input, y);
                return y;
            });
        }

        return numeric;
    }

    /// <summary>Central difference of <c>Σ gy·f(x)</c> along element <paramref name="i"/>.</summary>
    private static double Difference(double[] x, int i, double[] gy, Func<double[], double[]> f)
    {
        var plus = (double[])x.Clone();
        var minus = (double[])x.Clone();
        plus[i] += Eps;
        minus[i] -= Eps;
        double up = f(plus).Zip(gy, (y, g) => y * g).Sum();
        double down = f(minus).Zip(gy, (y, g) => y * g).Sum();
        return (up - down) / (2 * Eps);
    }

    private static double[] Garbage(long length) => Enumerable.Repeat(-777.0, (int)length).ToArray();

    private static void AssertClose(double[] numeric, double[] analytic, string what)
    {
        double scale = Math.Max(1, numeric.Select(Math.Abs).Max());
        for (int i = 0; i < numeric.Length; i++)
        {
            Assert.True(Math.Abs(numeric[i] - analytic[i]) <= 1e-6 * scale, $"{what}: gradInput[{i}] = {analytic[i]:R}, finite difference {numeric[i]:R}");
        }
    }
}
