using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Detail-preserving pooling against the reference's computation graph (2×2 stride-2 cells, lite and full,
/// symmetric and asymmetric), against its per-window definition on overlapping padded windows, its limits,
/// every gradient by finite differences, and bad input.
/// </summary>
public class DetailPreservingPoolTests
{
    private static readonly int[] Shape = [2, 3, 6, 8];

    private static PoolGeometry Cells(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [2], [2], [0], [], false, TorchPoolKind.Average);

    private static PoolGeometry Overlapping(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [3], [2], [1], [], false, TorchPoolKind.Average);

    public static TheoryData<TensorLayout, DppVariant> LayoutsAndVariants() => new()
    {
        { TensorLayout.ChannelsFirst, DppVariant.Symmetric },
        { TensorLayout.ChannelsFirst, DppVariant.Asymmetric },
        { TensorLayout.ChannelsLast, DppVariant.Symmetric },
        { TensorLayout.ChannelsLast, DppVariant.Asymmetric },
    };

    /// <summary>
    /// The reference graph on channels-first data, tensor by tensor: It = up(avg2(I)) (or up(guide)),
    /// x = (I − It)² + ε (asymmetric: ReLU first), xn = up(avg2(x)), w = (x / xn)^(e^λ/2) + e^min(α,10),
    /// y = avg2(I·w) / avg2(w).
    /// </summary>
    private static double[] ReferenceGraph(double[] input, double[] lambda, double[] alpha, bool asymmetric, double[]? guide)
    {
        int n = Shape[0], c = Shape[1], h = Shape[2], w = Shape[3], ho = h / 2, wo = w / 2;
        double[] Avg2(double[] a)
        {
            var r = new double[n * c * ho * wo];
            for (int p = 0; p < n * c; p++)
            {
                for (int i = 0; i < ho; i++)
                {
                    for (int j = 0; j < wo; j++)
                    {
                        int b = (p * h * w) + (2 * i * w) + (2 * j);
                        r[(p * ho * wo) + (i * wo) + j] = (a[b] + a[b + 1] + a[b + w] + a[b + w + 1]) / 4;
                    }
                }
            }

            return r;
        }

        double[] Up2(double[] a)
        {
            var r = new double[n * c * h * w];
            for (int p = 0; p < n * c; p++)
            {
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < w; j++)
                    {
                        r[(p * h * w) + (i * w) + j] = a[(p * ho * wo) + (i / 2 * wo) + (j / 2)];
                    }
                }
            }

            return r;
        }

        int Channel(int i) => i / (h * w) % c;
        var it = Up2(guide ?? Avg2(input));
        var x = input.Select((v, i) => Math.Pow(asymmetric ? Math.Max(0, v - it[i]) : v - it[i], 2) + 1e-3).ToArray();
        var xn = Up2(Avg2(x));
        var weight = x.Select((v, i) => Math.Pow(v / xn[i], Math.Exp(lambda[Channel(i)]) / 2) + Math.Exp(Math.Min(alpha[Channel(i)], 10))).ToArray();
        var num = Avg2(input.Select((v, i) => v * weight[i]).ToArray());
        var den = Avg2(weight);
        return num.Zip(den, (a, b) => a / b).ToArray();
    }

    private static (double[] Lambda, double[] Alpha) Parameters(Random rng)
    {
        double bound = 1 / Math.Sqrt(3);
        return (Enumerable.Range(0, 3).Select(_ => (rng.NextDouble() * 2 - 1) * bound).ToArray(),
                Enumerable.Range(0, 3).Select(_ => (rng.NextDouble() * 2 - 1) * bound).ToArray());
    }

    [Theory]
    [MemberData(nameof(LayoutsAndVariants))]
    public void Lite_IsTheReferenceGraph(TensorLayout layout, DppVariant variant)
    {
        var rng = new Random(120 + (int)variant);
        var x = TestData.Make(DataKind.Normal, 2 * 3 * 48, rng);
        var (lam, alpha) = Parameters(rng);
        var g = Cells(layout);
        var y = new double[g.OutputLength];
        DetailPreservingPool.Forward<double>(g, Harness.ToLibrary<double>(x, Shape, layout), lam, alpha, y, variant);
        var expected = ReferenceGraph(x, lam, alpha, variant == DppVariant.Asymmetric, null);
        Assert.Null(Harness.Close(expected, Harness.FromLibrary(y, [2, 3, 3, 4], layout), expected, 1e-12, "dpp lite"));

        var yf = new float[g.OutputLength];
        DetailPreservingPool.Forward<float>(g, Harness.ToLibrary<float>(x, Shape, layout), lam.Select(v => (float)v).ToArray(),
            alpha.Select(v => (float)v).ToArray(), yf, variant);
        Assert.Null(Harness.CloseToMax(expected, Harness.FromLibrary(yf, [2, 3, 3, 4], layout), 1e-5, "dpp lite float"));
    }

    [Theory]
    [MemberData(nameof(LayoutsAndVariants))]
    public void Full_UsesTheGivenGuide(TensorLayout layout, DppVariant variant)
    {
        var rng = new Random(130 + (int)variant);
        var x = TestData.Make(DataKind.Normal, 2 * 3 * 48, rng);
        var guide = TestData.Make(DataKind.Normal, 2 * 3 * 12, rng);
        var (lam, alpha) = Parameters(rng);
        var g = Cells(layout);
        var y = new double[g.OutputLength];
        DetailPreservingPool.Forward<double>(g, Harness.ToLibrary<double>(x, Shape, layout), lam, alpha, y, variant,
            Harness.ToLibrary<double>(guide, [2, 3, 3, 4], layout));
        var expected = ReferenceGraph(x, lam, alpha, variant == DppVariant.Asymmetric, guide);
        Assert.Null(Harness.Close(expected, Harness.FromLibrary(y, [2, 3, 3, 4], layout), expected, 1e-12, "dpp full"));
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void OverlappingPaddedWindows_FollowTheDefinitionPerWindow(TensorLayout layout)
    {
        var rng = new Random(140);
        var x = TestData.Make(DataKind.Normal, 2 * 3 * 48, rng);
        var (lam, alpha) = Parameters(rng);
        var g = Overlapping(layout);
        var y = new double[g.OutputLength];
        DetailPreservingPool.Forward<double>(g, Harness.ToLibrary<double>(x, Shape, layout), lam, alpha, y);

        // 3×3 windows, stride 2, padding 1 on a 6×8 plane: 3×4 outputs, valid taps only.
        var expected = new List<double>();
        for (int p = 0; p < 6; p++)
        {
            for (int oh = 0; oh < 3; oh++)
            {
                for (int ow = 0; ow < 4; ow++)
                {
                    var taps = new List<double>();
                    for (int i = (2 * oh) - 1; i <= (2 * oh) + 1; i++)
                    {
                        for (int j = (2 * ow) - 1; j <= (2 * ow) + 1; j++)
                        {
                            if (i >= 0 && i < 6 && j >= 0 && j < 8)
                            {
                                taps.Add(x[(p * 48) + (i * 8) + j]);
                            }
                        }
                    }

                    double t = taps.Average();
                    var e = taps.Select(v => ((v - t) * (v - t)) + 1e-3).ToArray();
                    double m = e.Average(), lambda = Math.Exp(lam[p % 3]) / 2, beta = Math.Exp(alpha[p % 3]);
                    var w = e.Select(v => Math.Pow(v / m, lambda) + beta).ToArray();
                    expected.Add(taps.Zip(w, (a, b) => a * b).Sum() / w.Sum());
                }
            }
        }

        var want = expected.ToArray();
        Assert.Null(Harness.Close(want, Harness.FromLibrary(y, [2, 3, 3, 4], layout), want, 1e-12, "dpp 3x3"));
    }

    [Fact]
    public void Limits_MeanWhenTheExponentVanishes_ConstantWindowsStay_AlphaCapped()
    {
        var rng = new Random(150);
        var x = TestData.Make(DataKind.Normal, 2 * 3 * 48, rng);
        var g = Cells(TensorLayout.ChannelsFirst);
        var y = new double[g.OutputLength];

        // λ = e^-60 / 2: every r^λ is 1, so every tap weighs the same: average pooling.
        DetailPreservingPool.Forward<double>(g, x, [-60, -60, -60], [0, 0, 0], y);
        var mean = new double[g.OutputLength];
        AvgPool.Forward<double>(g, x, mean);
        Assert.Null(Harness.Close(mean, y, mean, 1e-12, "vanishing exponent"));

        // A constant plane pools to that constant, whatever the parameters.
        DetailPreservingPool.Forward<double>(g, Enumerable.Repeat(2.5, x.Length).ToArray(), [3, -2, 0.5], [-4, 1, 20], y);
        Assert.All(y, v => Assert.Equal(2.5, v, 12));

        // alpha above 10 acts as 10, in the forward pass and in its gradient (the reference clamps the parameter).
        var capped = new double[g.OutputLength];
        DetailPreservingPool.Forward<double>(g, x, [0.3, 0.3, 0.3], [12, 10, 25], y);
        DetailPreservingPool.Forward<double>(g, x, [0.3, 0.3, 0.3], [10, 10, 10], capped);
        Assert.Equal(capped, y);
        var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
        var (gx, gl, ga) = (new double[x.Length], new double[3], new double[3]);
        var (gx10, gl10, ga10) = (new double[x.Length], new double[3], new double[3]);
        DetailPreservingPool.Backward<double>(g, x, [0.3, 0.3, 0.3], [12, 10, 25], gy, gx, gl, ga);
        DetailPreservingPool.Backward<double>(g, x, [0.3, 0.3, 0.3], [10, 10, 10], gy, gx10, gl10, ga10);
        Assert.Equal(ga10, ga);
        Assert.Equal(gx10, gx);
    }

    [Fact]
    public void Weights_FavourTheDetail_SymmetricBothWays_AsymmetricUpwards()
    {
        // One 2×2 cell {0, 0, 0, 4}: its mean is 1. Symmetric and asymmetric weighting both pull the output
        // above the mean towards the outlier; with the outlier below ({1, 1, 1, -3}, mean 0) the symmetric
        // weighting pulls the output down, the asymmetric one favours the taps above the mean and pushes it up.
        var g = PoolGeometry.Torch([1, 1, 2, 2], TensorLayout.ChannelsFirst, 2, [2], [2], [0], [], false, TorchPoolKind.Average);
        var y = new double[1];
        DetailPreservingPool.Forward<double>(g, [0, 0, 0, 4], [1], [-3], y, DppVariant.Symmetric);
        Assert.True(y[0] > 1, $"symmetric, bright detail: {y[0]}");
        DetailPreservingPool.Forward<double>(g, [1, 1, 1, -3], [1], [-3], y, DppVariant.Symmetric);
        Assert.True(y[0] < 0, $"symmetric, dark detail: {y[0]}");
        DetailPreservingPool.Forward<double>(g, [1, 1, 1, -3], [1], [-3], y, DppVariant.Asymmetric);
        Assert.True(y[0] > 0, $"asymmetric, dark detail: {y[0]}");
    }

    [Theory]
    [MemberData(nameof(LayoutsAndVariants))]
    public void Backward_MatchesFiniteDifferences(TensorLayout layout, DppVariant variant)
    {
        var rng = new Random(160 + (int)variant);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, 2 * 3 * 48, rng), Shape, layout);
        var (lam, alpha) = Parameters(rng);
        foreach (var g in new[] { Cells(layout), Overlapping(layout) })
        {
            var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
            var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
            var (gl, ga) = (MaxPoolSweepTests.Garbage<double>(3), MaxPoolSweepTests.Garbage<double>(3));
            DetailPreservingPool.Backward<double>(g, x, lam, alpha, gy, gx, gl, ga, variant);
            Harness.AssertGradient(x, gy, gx, (input, y) => DetailPreservingPool.Forward<double>(g, input, lam, alpha, y, variant), eps: 1e-6, tolerance: 1e-5);
            Harness.AssertGradient(lam, gy, gl, (l, y) => DetailPreservingPool.Forward<double>(g, x, l, alpha, y, variant), eps: 1e-6, tolerance: 1e-5);
            Harness.AssertGradient(alpha, gy, ga, (a, y) => DetailPreservingPool.Forward<double>(g, x, lam, a, y, variant), eps: 1e-6, tolerance: 1e-5);

            // Full: the guide's gradient too, and the input's without the path through the mean.
            var guide = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
            var gg = MaxPoolSweepTests.Garbage<double>(guide.Length);
            DetailPreservingPool.Backward<double>(g, x, lam, alpha, gy, gx, gl, ga, variant, guide, gg);
            Harness.AssertGradient(x, gy, gx, (input, y) => DetailPreservingPool.Forward<double>(g, input, lam, alpha, y, variant, guide), eps: 1e-6, tolerance: 1e-5);
            Harness.AssertGradient(guide, gy, gg, (t, y) => DetailPreservingPool.Forward<double>(g, x, lam, alpha, y, variant, t), eps: 1e-6, tolerance: 1e-5);
            Harness.AssertGradient(lam, gy, gl, (l, y) => DetailPreservingPool.Forward<double>(g, x, l, alpha, y, variant, guide), eps: 1e-6, tolerance: 1e-5);
        }
    }

    [Fact]
    public void BadInput_NamesTheProblem_WritesNothing()
    {
        var g = Cells(TensorLayout.ChannelsFirst);
        var x = new double[g.InputLength];
        var y = Enumerable.Repeat(7.0, (int)g.OutputLength).ToArray();
        void Rejected(string param, string phrase, Action act)
        {
            var e = Assert.ThrowsAny<ArgumentException>(act);
            Assert.Equal(param, e.ParamName);
            Assert.Contains(phrase, e.Message, StringComparison.Ordinal);
            Assert.All(y, v => Assert.Equal(7.0, v));
        }

        Rejected("lambda", "lambda (one per channel)", () => DetailPreservingPool.Forward<double>(g, x, [0, 0], [0, 0, 0], y));
        Rejected("alpha", "alpha (one per channel)", () => DetailPreservingPool.Forward<double>(g, x, [0, 0, 0], [0], y));
        Rejected("lambda", "channel 1 must be finite", () => DetailPreservingPool.Forward<double>(g, x, [0, double.NaN, 0], [0, 0, 0], y));
        Rejected("alpha", "channel 2 must be finite", () => DetailPreservingPool.Forward<double>(g, x, [0, 0, 0], [0, 0, double.PositiveInfinity], y));
        Rejected("guide", "guide (one per window)", () => DetailPreservingPool.Forward<double>(g, x, [0, 0, 0], [0, 0, 0], y, guide: new double[5]));
        Rejected("epsilon", "epsilon must be positive", () => DetailPreservingPool.Forward<double>(g, x, [0, 0, 0], [0, 0, 0], y, epsilon: -1));
        Rejected("variant", "unknown detail-preserving pooling variant", () => DetailPreservingPool.Forward<double>(g, x, [0, 0, 0], [0, 0, 0], y, (DppVariant)7));
        Rejected("input", "input", () => DetailPreservingPool.Forward<double>(g, new double[3], [0, 0, 0], [0, 0, 0], y));
        var gx = Enumerable.Repeat(7.0, x.Length).ToArray();
        Rejected("gradGuide", "gradGuide (as long as guide)", () => DetailPreservingPool.Backward<double>(g, x, [0, 0, 0], [0, 0, 0],
            new double[g.OutputLength], gx, new double[3], new double[3], guide: new double[g.OutputLength]));
        Rejected("gradLambda", "gradLambda (one per channel)", () => DetailPreservingPool.Backward<double>(g, x, [0, 0, 0], [0, 0, 0],
            new double[g.OutputLength], gx, new double[2], new double[3]));
        Assert.All(gx, v => Assert.Equal(7.0, v));
    }
}
