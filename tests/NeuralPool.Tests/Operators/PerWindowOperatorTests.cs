using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// The operators that reduce each window with a function of their own (SoftPool, detail-preserving, gated, mixed,
/// stochastic and GeM pooling) on shapes that reach every part of their driver: full windows reduced in vector blocks (many
/// planes per block, planes larger than a block so a row is split, fewer windows than a vector, stride-2 rows gathered
/// by narrowing), windows with padding, dilation gaps or a ceil-mode overhang reduced one by one, both layouts, float
/// and double. Forward results are checked against per-window definitions written here, gradients by central
/// differences (all of them along random directions, single elements on a sample), the float results against the
/// double ones, and every result is the same for one, two and three threads.
/// </summary>
public class PerWindowOperatorTests
{
    /// <summary>Channels-first shape and 2-D window (square kernel k, stride s, padding p, dilation d, ceil mode).</summary>
    public sealed record Case(string Name, int[] Shape, int K, int S, int P, int D, bool Ceil)
    {
        public override string ToString() => Name;

        public PoolGeometry Geometry(TensorLayout layout) =>
            PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [K, K], [S, S], [P, P], [D, D], Ceil, TorchPoolKind.Average);

        public int[] OutShape => NaiveOracle.OutputShape(Shape, NaiveOracle.TorchAxes(Shape, [K, K], [S, S], [P, P], [D, D], Ceil));
    }

    public static readonly Case[] Cases =
    [
        new("2x2 s2, LeNet planes", [3, 5, 28, 28], 2, 2, 0, 1, false),
        new("2x2 s2, planes beyond a block", [1, 2, 74, 70], 2, 2, 0, 1, false),
        new("2x2 s2, 5x5 outputs", [4, 6, 10, 10], 2, 2, 0, 1, false),
        new("2x2 s2, fewer windows than a vector", [1, 1, 5, 4], 2, 2, 0, 1, false),
        new("3x3 s1 p1", [2, 3, 9, 11], 3, 1, 1, 1, false),
        new("3x3 s2 p1 ceil", [2, 2, 13, 10], 3, 2, 1, 1, true),
        new("2x2 s1 p1 dilation 2", [1, 3, 8, 9], 2, 1, 1, 2, false),
        new("3x3 s3, odd rows", [2, 3, 17, 19], 3, 3, 0, 1, true),
    ];

    public static TheoryData<Case, TensorLayout> CasesAndLayouts()
    {
        var data = new TheoryData<Case, TensorLayout>();
        foreach (var c in Cases)
        {
            data.Add(c, TensorLayout.ChannelsFirst);
            data.Add(c, TensorLayout.ChannelsLast);
        }

        return data;
    }

    /// <summary>One window of the oracle: channels-first output index, plane, valid taps with their kernel positions, and the count_include_pad divisor.</summary>
    private sealed record Window(int Output, int Plane, int[] Taps, int[] Kernel, int Counted);

    private static List<Window> Windows(Case c)
    {
        var axes = NaiveOracle.TorchAxes(c.Shape, [c.K, c.K], [c.S, c.S], [c.P, c.P], [c.D, c.D], c.Ceil);
        int h = c.Shape[2], w = c.Shape[3], oh = axes[0].Out, ow = axes[1].Out;
        var list = new List<Window>();
        for (int p = 0; p < c.Shape[0] * c.Shape[1]; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    var taps = new List<int>();
                    var kernel = new List<int>();
                    for (int kh = 0; kh < c.K; kh++)
                    {
                        for (int kw = 0; kw < c.K; kw++)
                        {
                            int r = (i * c.S) - c.P + (kh * c.D), q = (j * c.S) - c.P + (kw * c.D);
                            if (r >= 0 && r < h && q >= 0 && q < w)
                            {
                                taps.Add((p * h * w) + (r * w) + q);
                                kernel.Add((kh * c.K) + kw);
                            }
                        }
                    }

                    list.Add(new Window((p * oh * ow) + (i * ow) + j, p, [.. taps], [.. kernel], axes[0].Counted[i] * axes[1].Counted[j]));
                }
            }
        }

        return list;
    }

    private static double[] SoftPoolOracle(Case c, double[] x) => Each(c, win =>
    {
        if (win.Taps.Length == 0)
        {
            return 0;
        }

        double m = win.Taps.Max(t => x[t]);
        return win.Taps.Sum(t => x[t] * Math.Exp(x[t] - m)) / win.Taps.Sum(t => Math.Exp(x[t] - m));
    });

    private static double[] DppOracle(Case c, double[] x, double[] lambda, double[] alpha, bool asymmetric) => Each(c, win =>
    {
        if (win.Taps.Length == 0)
        {
            return 0;
        }

        int channel = win.Plane % c.Shape[1];
        double t = win.Taps.Average(i => x[i]);
        var e = win.Taps.Select(i => Math.Pow(asymmetric ? Math.Max(0, x[i] - t) : x[i] - t, 2) + 1e-3).ToArray();
        double mean = e.Average(), lam = Math.Exp(lambda[channel]) / 2, beta = Math.Exp(Math.Min(alpha[channel], 10));
        var weight = e.Select(v => Math.Pow(v / mean, lam) + beta).ToArray();
        return win.Taps.Select((i, q) => x[i] * weight[q]).Sum() / weight.Sum();
    });

    private static double[] MixOracle(Case c, double[] x, double[]? gate, double a) => Each(c, win =>
    {
        double max = win.Taps.Max(t => x[t]), avg = win.Taps.Sum(t => x[t]) / win.Counted;
        double s = gate is null ? a : 1 / (1 + Math.Exp(-win.Taps.Select((t, q) => gate[win.Kernel[q]] * x[t]).Sum()));
        return (s * max) + ((1 - s) * avg);
    });

    private static double[] StochasticOracle(Case c, double[] x) => Each(c, win =>
    {
        double sum = win.Taps.Sum(t => x[t]);
        return sum == 0 ? 0 : win.Taps.Sum(t => x[t] * x[t]) / sum;
    });

    private static double[] GemOracle(Case c, double[] x, double p) => Each(c, win =>
        win.Taps.Length == 0 ? 0 : Math.Pow(win.Taps.Average(t => Math.Pow(Math.Max(x[t], 1e-6), p)), 1 / p));

    private static double[] Each(Case c, Func<Window, double> f)
    {
        var windows = Windows(c);
        var y = new double[windows.Count];
        foreach (var win in windows)
        {
            y[win.Output] = f(win);
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(CasesAndLayouts))]
    public void SoftPool_FollowsTheDefinition(Case c, TensorLayout layout)
    {
        var x = TestData.Make(DataKind.Normal, TestData.Volume(c.Shape), new Random(c.Shape.Sum()));
        var expected = SoftPoolOracle(c, x);
        Check(c, layout, expected, 1e-12, (in PoolGeometry geometry, double[] input, double[] y) => SoftPool.Forward(geometry, input, y), x);
        Check(c, layout, expected, 1e-5, (in PoolGeometry geometry, float[] input, float[] y) => SoftPool.Forward(geometry, input, y), x);
        Gradients(c, layout, x, (in PoolGeometry geometry, double[] input, double[] y) => SoftPool.Forward(geometry, input, y),
            (in PoolGeometry geometry, double[] input, double[] gy, double[] gx) => SoftPool.Backward<double>(geometry, input, gy, gx),
            (in PoolGeometry geometry, float[] input, float[] gy, float[] gx) => SoftPool.Backward<float>(geometry, input, gy, gx));
    }

    [Theory]
    [MemberData(nameof(CasesAndLayouts))]
    public void DetailPreserving_FollowsTheDefinition(Case c, TensorLayout layout)
    {
        var rng = new Random(c.Shape.Sum() + 1);
        var x = TestData.Make(DataKind.Normal, TestData.Volume(c.Shape), rng);
        int channels = c.Shape[1];
        var lambda = Enumerable.Range(0, channels).Select(_ => (rng.NextDouble() * 2) - 1).ToArray();
        var alpha = Enumerable.Range(0, channels).Select(_ => (rng.NextDouble() * 2) - 1).ToArray();
        var lambdaF = lambda.Select(v => (float)v).ToArray();
        var alphaF = alpha.Select(v => (float)v).ToArray();
        foreach (var variant in new[] { DppVariant.Symmetric, DppVariant.Asymmetric })
        {
            var expected = DppOracle(c, x, lambda, alpha, variant == DppVariant.Asymmetric);
            Check(c, layout, expected, 1e-12, (in PoolGeometry g, double[] input, double[] y) => DetailPreservingPool.Forward<double>(g, input, lambda, alpha, y, variant), x);
            Check(c, layout, expected, 1e-5, (in PoolGeometry g, float[] input, float[] y) => DetailPreservingPool.Forward<float>(g, input, lambdaF, alphaF, y, variant), x);
            Gradients(c, layout, x, (in PoolGeometry g, double[] input, double[] y) => DetailPreservingPool.Forward<double>(g, input, lambda, alpha, y, variant),
                (in PoolGeometry g, double[] input, double[] gy, double[] gx) =>
                    DetailPreservingPool.Backward<double>(g, input, lambda, alpha, gy, gx, new double[channels], new double[channels], variant),
                (in PoolGeometry g, float[] input, float[] gy, float[] gx) =>
                    DetailPreservingPool.Backward<float>(g, input, lambdaF, alphaF, gy, gx, new float[channels], new float[channels], variant));

            // The parameters' gradients, along random directions.
            var gFirst = c.Geometry(layout);
            var xl = Harness.ToLibrary<double>(x, c.Shape, layout);
            var gyl = TestData.Make(DataKind.Normal, gFirst.OutputLength, rng);
            var (gl, ga) = (new double[channels], new double[channels]);
            DetailPreservingPool.Backward<double>(gFirst, xl, lambda, alpha, gyl, new double[xl.Length], gl, ga, variant);
            Directional(lambda, gyl, gl, (l, y) => DetailPreservingPool.Forward<double>(gFirst, xl, l, alpha, y, variant), rng);
            Directional(alpha, gyl, ga, (a, y) => DetailPreservingPool.Forward<double>(gFirst, xl, lambda, a, y, variant), rng);
            ThreadCountInvariant(() =>
            {
                var (gx, gl2, ga2) = (new float[xl.Length], new float[channels], new float[channels]);
                DetailPreservingPool.Backward<float>(c.Geometry(layout), Harness.ToLibrary<float>(x, c.Shape, layout), lambdaF, alphaF,
                    gyl.Select(v => (float)v).ToArray(), gx, gl2, ga2, variant);
                return [.. gx, .. gl2, .. ga2];
            });
        }
    }

    [Theory]
    [MemberData(nameof(CasesAndLayouts))]
    public void GatedAndMixed_FollowTheDefinition(Case c, TensorLayout layout)
    {
        var rng = new Random(c.Shape.Sum() + 2);
        var x = TestData.Make(DataKind.Distinct, TestData.Volume(c.Shape), rng);
        var gate = Enumerable.Range(0, c.K * c.K).Select(_ => TestData.Normal(rng)).ToArray();
        var gateF = gate.Select(v => (float)v).ToArray();
        Check(c, layout, MixOracle(c, x, gate, 0), 1e-12, (in PoolGeometry g, double[] input, double[] y) => GatedPool.Forward<double>(g, input, gate, y), x);
        Check(c, layout, MixOracle(c, x, gate, 0), 1e-5, (in PoolGeometry g, float[] input, float[] y) => GatedPool.Forward<float>(g, input, gateF, y), x);
        Check(c, layout, MixOracle(c, x, null, 0.3), 1e-12, (in PoolGeometry g, double[] input, double[] y) => MixedPool.Forward(g, input, 0.3, y), x);
        Check(c, layout, MixOracle(c, x, null, 0.3), 1e-5, (in PoolGeometry g, float[] input, float[] y) => MixedPool.Forward(g, input, 0.3f, y), x);
        Gradients(c, layout, x, (in PoolGeometry g, double[] input, double[] y) => GatedPool.Forward<double>(g, input, gate, y),
            (in PoolGeometry g, double[] input, double[] gy, double[] gx) => GatedPool.Backward<double>(g, input, gate, gy, gx, new double[gate.Length]),
            (in PoolGeometry g, float[] input, float[] gy, float[] gx) => GatedPool.Backward<float>(g, input, gateF, gy, gx, new float[gate.Length]));
        Gradients(c, layout, x, (in PoolGeometry g, double[] input, double[] y) => MixedPool.Forward(g, input, 0.3, y),
            (in PoolGeometry g, double[] input, double[] gy, double[] gx) => MixedPool.Backward(g, input, 0.3, gy, gx),
            (in PoolGeometry g, float[] input, float[] gy, float[] gx) => MixedPool.Backward(g, input, 0.3f, gy, gx));

        // The gate's and a's gradients, along random directions and summed in the same order for any thread count.
        var geometry = c.Geometry(layout);
        var xl = Harness.ToLibrary<double>(x, c.Shape, layout);
        var gy = TestData.Make(DataKind.Normal, geometry.OutputLength, rng);
        var gg = new double[gate.Length];
        GatedPool.Backward<double>(geometry, xl, gate, gy, new double[xl.Length], gg);
        Directional(gate, gy, gg, (w, y) => GatedPool.Forward<double>(geometry, xl, w, y), rng);
        double ga = MixedPool.Backward(geometry, xl, 0.3, gy, new double[xl.Length]);
        double[] aBox = [0.3];
        Directional(aBox, gy, [ga], (a, y) => MixedPool.Forward(geometry, xl, a[0], y), rng);
        var xf = Harness.ToLibrary<float>(x, c.Shape, layout);
        var gyf = gy.Select(v => (float)v).ToArray();
        ThreadCountInvariant(() =>
        {
            var (gx, gw) = (new float[xf.Length], new float[gate.Length]);
            GatedPool.Backward<float>(geometry, xf, gateF, gyf, gx, gw);
            var gm = new float[xf.Length];
            float da = MixedPool.Backward(geometry, xf, 0.3f, gyf, gm);
            return [.. gx, .. gw, .. gm, da];
        });
    }

    [Theory]
    [MemberData(nameof(CasesAndLayouts))]
    public void Stochastic_FollowsTheDefinition(Case c, TensorLayout layout)
    {
        var rng = new Random(c.Shape.Sum() + 3);
        var x = TestData.Make(DataKind.Ties, TestData.Volume(c.Shape), rng).Select(v => v + (rng.Next(4) == 0 ? 0 : rng.NextDouble())).ToArray();
        Check(c, layout, StochasticOracle(c, x), 1e-12, (in PoolGeometry g, double[] input, double[] y) => StochasticPool.ForwardEval(g, input, y), x);
        Check(c, layout, StochasticOracle(c, x), 1e-5, (in PoolGeometry g, float[] input, float[] y) => StochasticPool.ForwardEval(g, input, y), x);

        // Gradients away from 0, where the activations may move both ways.
        Gradients(c, layout, x.Select(v => v + 0.5).ToArray(), (in PoolGeometry g, double[] input, double[] y) => StochasticPool.ForwardEval(g, input, y),
            (in PoolGeometry g, double[] input, double[] gy, double[] gx) => StochasticPool.BackwardEval<double>(g, input, gy, gx),
            (in PoolGeometry g, float[] input, float[] gy, float[] gx) => StochasticPool.BackwardEval<float>(g, input, gy, gx));

        // Training: each output is one of its window's taps, reported by its plane-local index, the same for any thread count.
        var geometry = c.Geometry(layout);
        var xl = Harness.ToLibrary<float>(x, c.Shape, layout);
        var y = new float[geometry.OutputLength];
        var idx = new long[geometry.OutputLength];
        StochasticPool.ForwardTrain(geometry, xl, 11, y, idx);
        var yCf = Harness.FromLibrary(y, c.OutShape, layout);
        var idxCf = Harness.FromLibrary(idx, c.OutShape, layout);
        var xCf = Harness.RoundTrip<float>(x);
        int inPlane = c.Shape[2] * c.Shape[3];
        foreach (var win in Windows(c))
        {
            long at = (win.Plane * (long)inPlane) + idxCf[win.Output];
            Assert.Contains((int)at, win.Taps);
            Assert.Equal(xCf[at], yCf[win.Output]);
        }

        ThreadCountInvariant(() =>
        {
            StochasticPool.ForwardTrain(geometry, xl, 11, y, idx);
            return [.. y, .. idx.Select(i => (float)i)];
        });
    }

    [Theory]
    [MemberData(nameof(CasesAndLayouts))]
    public void Gem_FollowsTheDefinition(Case c, TensorLayout layout)
    {
        var rng = new Random(c.Shape.Sum() + 4);
        // Clamped values (below ε) and others, none so close to ε that central differences straddle the clamp.
        var x = TestData.Make(DataKind.Normal, TestData.Volume(c.Shape), rng).Select(v => v + 0.5).Select(v => Math.Abs(v) < 0.05 ? v + 0.1 : v).ToArray();
        foreach (double p in new[] { 3.0, 1.0, 0.7 })
        {
            Check(c, layout, GemOracle(c, x, p), 1e-12, (in PoolGeometry g, double[] input, double[] y) => GemPool.Forward(g, input, p, y), x);
            Check(c, layout, GemOracle(c, x, p), 1e-5, (in PoolGeometry g, float[] input, float[] y) => GemPool.Forward(g, input, (float)p, y), x);
            Gradients(c, layout, x, (in PoolGeometry g, double[] input, double[] y) => GemPool.Forward(g, input, p, y),
                (in PoolGeometry g, double[] input, double[] gy, double[] gx) => GemPool.Backward(g, input, p, gy, gx),
                (in PoolGeometry g, float[] input, float[] gy, float[] gx) => GemPool.Backward(g, input, (float)p, gy, gx));
        }

        // The exponent's gradient, along random directions and summed in the same order for any thread count.
        var geometry = c.Geometry(layout);
        var xl = Harness.ToLibrary<double>(x, c.Shape, layout);
        var gy = TestData.Make(DataKind.Normal, geometry.OutputLength, rng);
        double gp = GemPool.Backward(geometry, xl, 2.5, gy, new double[xl.Length]);
        double[] pBox = [2.5];
        Directional(pBox, gy, [gp], (q, y) => GemPool.Forward(geometry, xl, q[0], y), rng);
        var xf = Harness.ToLibrary<float>(x, c.Shape, layout);
        var gyf = gy.Select(v => (float)v).ToArray();
        ThreadCountInvariant(() =>
        {
            var gx = new float[xf.Length];
            float dp = GemPool.Backward(geometry, xf, 2.5f, gyf, gx);
            return [.. gx, dp];
        });
    }

    private delegate void Forward<T>(in PoolGeometry g, T[] input, T[] output);

    private delegate void Backward<T>(in PoolGeometry g, T[] input, T[] gradOutput, T[] gradInput);

    /// <summary>The forward in <paramref name="layout"/> against the channels-first expectation, relative to the largest |y|.</summary>
    private static void Check<T>(Case c, TensorLayout layout, double[] expected, double rtol, Forward<T> forward, double[] x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = c.Geometry(layout);
        var y = MaxPoolSweepTests.Garbage<T>(g.OutputLength);
        forward(g, Harness.ToLibrary<T>(x, c.Shape, layout), y);
        Assert.Null(Harness.CloseToMax(expected, Harness.FromLibrary(y, c.OutShape, layout), rtol, $"{c} {layout} {typeof(T).Name} forward"));
    }

    /// <summary>
    /// The double gradient against central differences (along random directions, and element by element on a sample),
    /// the float gradient against the double one, and the float gradient for one, two and three threads.
    /// </summary>
    private static void Gradients(Case c, TensorLayout layout, double[] xCf, Forward<double> forward, Backward<double> backward, Backward<float> backwardF)
    {
        var g = c.Geometry(layout);
        var rng = new Random(c.Shape.Sum() + 7);
        var x = Harness.ToLibrary<double>(xCf, c.Shape, layout);
        var gy = TestData.Make(DataKind.Normal, g.OutputLength, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        backward(g, x, gy, gx);
        Directional(x, gy, gx, (input, y) => forward(g, input, y), rng);
        double[] Loss(double[] input)
        {
            var y = new double[gy.Length];
            forward(g, input, y);
            return y;
        }

        for (int probe = 0; probe < 24; probe++)
        {
            int i = rng.Next(x.Length);
            double keep = x[i], eps = 1e-6;
            x[i] = keep + eps;
            double plus = Loss(x).Zip(gy, (a, b) => a * b).Sum();
            x[i] = keep - eps;
            double minus = Loss(x).Zip(gy, (a, b) => a * b).Sum();
            double numeric = (plus - minus) / (2 * eps);
            x[i] = keep;
            Assert.True(Math.Abs(numeric - gx[i]) < 1e-5 * Math.Max(1, Math.Abs(gx[i])), $"{c} {layout} element {i}: finite difference {numeric}, gradient {gx[i]}");
        }

        var xf = x.Select(v => (float)v).ToArray();
        var gyf = gy.Select(v => (float)v).ToArray();
        var gxf = MaxPoolSweepTests.Garbage<float>(x.Length);
        backwardF(g, xf, gyf, gxf);
        Assert.Null(Harness.CloseToMax(gx, gxf.Select(v => (double)v).ToArray(), 1e-4, $"{c} {layout} float backward"));
        ThreadCountInvariant(() =>
        {
            var into = new float[x.Length];
            backwardF(g, xf, gyf, into);
            return into;
        });
    }

    /// <summary>d(Σ gy·y)/dp along three random directions v equals Σ v·grad.</summary>
    private static void Directional(double[] p, double[] gy, double[] grad, Action<double[], double[]> forward, Random rng)
    {
        var y = new double[gy.Length];
        for (int round = 0; round < 3; round++)
        {
            var v = p.Select(_ => (rng.NextDouble() * 2) - 1).ToArray();
            const double eps = 1e-6;
            double Loss(double step)
            {
                var shifted = p.Select((a, i) => a + (step * v[i])).ToArray();
                forward(shifted, y);
                return y.Zip(gy, (a, b) => a * b).Sum();
            }

            double numeric = (Loss(eps) - Loss(-eps)) / (2 * eps);
            double analytic = v.Zip(grad, (a, b) => a * b).Sum();
            double scale = v.Zip(grad, (a, b) => Math.Abs(a * b)).Sum();
            Assert.True(Math.Abs(numeric - analytic) <= 1e-6 * Math.Max(1, scale), $"direction {round}: finite difference {numeric}, gradient {analytic}");
        }
    }

    /// <summary><paramref name="run"/> gives bit-identical results for one, two and three threads (the threshold lowered so the work is split).</summary>
    private static void ThreadCountInvariant(Func<float[]> run)
    {
        int savedThreads = PoolSettings.MaxDegreeOfParallelism;
        long savedThreshold = PoolSettings.ParallelThreshold;
        try
        {
            PoolSettings.ParallelThreshold = 0;
            float[]? reference = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                PoolSettings.MaxDegreeOfParallelism = threads;
                var result = run();
                reference ??= result;
                Assert.Equal(reference.Select(BitConverter.SingleToInt32Bits), result.Select(BitConverter.SingleToInt32Bits));
            }
        }
        finally
        {
            PoolSettings.MaxDegreeOfParallelism = savedThreads;
            PoolSettings.ParallelThreshold = savedThreshold;
        }
    }
}
