using NeuralPool.Training;
using NeuralPool.Training.Layers;

namespace NeuralPool.Tests.Training;

/// <summary>Conv2d forward and backward against a naive convolution written from the definition.</summary>
public class Conv2dTests
{
    private sealed record Case(int N, int Cin, int H, int W, int Cout, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
    {
        public int OH => ((H + (2 * PH) - (DH * (KH - 1)) - 1) / SH) + 1;

        public int OW => ((W + (2 * PW) - (DW * (KW - 1)) - 1) / SW) + 1;
    }

    public static TheoryData<int> CaseIndices() => [.. Enumerable.Range(0, Cases.Length)];

    private static readonly Case[] Cases =
    [
        new(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1),   // LeNet conv1
        new(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1),  // LeNet conv2
        new(2, 3, 9, 9, 4, 3, 3, 2, 2, 1, 1, 1, 1),     // strided
        new(2, 4, 7, 10, 3, 1, 1, 1, 1, 0, 0, 1, 1),    // pointwise
        new(1, 2, 11, 8, 5, 3, 2, 2, 3, 2, 1, 2, 1),    // every parameter different per axis
        new(17, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1),    // more images than weight-gradient groups
        new(2, 3, 6, 6, 2, 1, 1, 2, 2, 0, 0, 1, 1),     // 1x1 kernel at stride 2 (not pointwise)
    ];

    /// <summary>y[n][o][i][j] = b[o] + Σ w[o][c][u][v]·x[n][c][i·sh − ph + u·dh][j·sw − pw + v·dw].</summary>
    private static double[] NaiveForward(Case s, double[] x, double[] w, double[] b)
    {
        var y = new double[s.N * s.Cout * s.OH * s.OW];
        for (int n = 0; n < s.N; n++)
        {
            for (int o = 0; o < s.Cout; o++)
            {
                for (int i = 0; i < s.OH; i++)
                {
                    for (int j = 0; j < s.OW; j++)
                    {
                        double sum = b[o];
                        foreach (var (xi, wi) in Taps(s, n, o, i, j))
                        {
                            sum += x[xi] * w[wi];
                        }

                        y[(((((n * s.Cout) + o) * s.OH) + i) * s.OW) + j] = sum;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>The (input index, weight index) pairs of output (n, o, i, j) that lie inside the input.</summary>
    private static IEnumerable<(int X, int W)> Taps(Case s, int n, int o, int i, int j)
    {
        for (int c = 0; c < s.Cin; c++)
        {
            for (int u = 0; u < s.KH; u++)
            {
                for (int v = 0; v < s.KW; v++)
                {
                    int h = (i * s.SH) - s.PH + (u * s.DH), ww = (j * s.SW) - s.PW + (v * s.DW);
                    if (h >= 0 && h < s.H && ww >= 0 && ww < s.W)
                    {
                        yield return ((((((n * s.Cin) + c) * s.H) + h) * s.W) + ww, (((((o * s.Cin) + c) * s.KH) + u) * s.KW) + v);
                    }
                }
            }
        }
    }

    private static (double[] Dx, double[] Dw, double[] Db) NaiveBackward(Case s, double[] x, double[] w, double[] gy)
    {
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[s.Cout];
        for (int n = 0; n < s.N; n++)
        {
            for (int o = 0; o < s.Cout; o++)
            {
                for (int i = 0; i < s.OH; i++)
                {
                    for (int j = 0; j < s.OW; j++)
                    {
                        double g = gy[(((((n * s.Cout) + o) * s.OH) + i) * s.OW) + j];
                        db[o] += g;
                        foreach (var (xi, wi) in Taps(s, n, o, i, j))
                        {
                            dx[xi] += g * w[wi];
                            dw[wi] += g * x[xi];
                        }
                    }
                }
            }
        }

        return (dx, dw, db);
    }

    private static Conv2d<double> Layer(Case s) =>
        new(s.Cin, s.Cout, (s.KH, s.KW), (s.SH, s.SW), (s.PH, s.PW), (s.DH, s.DW), random: new SeededRandom(9));

    private static void AssertClose(double[] expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void ForwardAndBackward_MatchTheNaiveConvolution(int index)
    {
        var s = Cases[index];
        var rng = new Random(index);
        var layer = Layer(s);
        var x = GradientCheck.Tensor([s.N, s.Cin, s.H, s.W], rng);
        var y = layer.Forward(x);
        Assert.Equal([s.N, s.Cout, s.OH, s.OW], y.Shape.ToArray());
        AssertClose(NaiveForward(s, x.Data, layer.Weight.Data, layer.Bias!.Data), y.Data, 1e-12, "y");

        var gy = GradientCheck.Tensor(y.Shape.ToArray(), rng);
        var (dx, dw, db) = NaiveBackward(s, x.Data, layer.Weight.Data, gy.Data);
        var gx = layer.Backward(gy);
        AssertClose(dx, gx.Data, 1e-12, "dx");
        AssertClose(dw, layer.Weight.Grad, 1e-12, "dw");
        AssertClose(db, layer.Bias.Grad, 1e-12, "db");

        // Gradients accumulate.
        layer.Backward(gy);
        AssertClose([.. dw.Select(v => 2 * v)], layer.Weight.Grad, 1e-12, "dw twice");
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Float_IsCloseToDouble(int index)
    {
        var s = Cases[index];
        var x = GradientCheck.Tensor([s.N, s.Cin, s.H, s.W], new Random(index + 100));
        var d = Layer(s);
        var f = new Conv2d<float>(s.Cin, s.Cout, (s.KH, s.KW), (s.SH, s.SW), (s.PH, s.PW), (s.DH, s.DW), random: new SeededRandom(9));
        var xf = new DenseTensor<float>([.. x.Data.Select(v => (float)v)], x.Shape);
        var yd = d.Forward(new DenseTensor<double>([.. xf.Data.Select(v => (double)v)], x.Shape));
        var yf = f.Forward(xf);
        AssertClose(yd.Data, [.. yf.Data.Select(v => (double)v)], 1e-5, "float y");
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        int saved = TrainingSettings.Threads;
        try
        {
            var s = new Case(19, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1);
            var x = GradientCheck.Tensor([s.N, s.Cin, s.H, s.W], new Random(5));
            var xf = new DenseTensor<float>([.. x.Data.Select(v => (float)v)], x.Shape);
            float[]? y0 = null, gx0 = null, gw0 = null, gb0 = null;
            foreach (int threads in new[] { 1, 2, 3, 7 })
            {
                TrainingSettings.Threads = threads;
                var layer = new Conv2d<float>(s.Cin, s.Cout, 5, random: new SeededRandom(1));
                var y = layer.Forward(xf).Data.ToArray();
                var gy = new DenseTensor<float>([.. y.Select((v, i) => MathF.Sin(i))], [s.N, s.Cout, s.OH, s.OW]);
                var gx = layer.Backward(gy).Data.ToArray();
                y0 ??= y;
                gx0 ??= gx;
                gw0 ??= layer.Weight.Grad.ToArray();
                gb0 ??= layer.Bias!.Grad.ToArray();
                Assert.Equal(y0, y);
                Assert.Equal(gx0, gx);
                Assert.Equal(gw0, layer.Weight.Grad);
                Assert.Equal(gb0, layer.Bias!.Grad);
            }
        }
        finally
        {
            TrainingSettings.Threads = saved;
        }
    }

    [Fact]
    public void WithoutInputGradient_ParameterGradientsAreTheSame()
    {
        var s = Cases[2];
        var x = GradientCheck.Tensor([s.N, s.Cin, s.H, s.W], new Random(6));
        var a = Layer(s);
        var b = Layer(s);
        b.InputGradient = false;
        var gy = GradientCheck.Tensor(a.OutputShape(x.Shape), new Random(7));
        a.Forward(x);
        b.Forward(x);
        a.Backward(gy);
        Assert.Equal(0, b.Backward(gy).Length);
        Assert.Equal(a.Weight.Grad, b.Weight.Grad);
        Assert.Equal(a.Bias!.Grad, b.Bias!.Grad);
    }

    [Fact]
    public void TorchDefaultInit_IsWithinTheKaimingUniformBound()
    {
        var layer = new Conv2d<float>(6, 16, 5, random: new SeededRandom(3));
        double bound = 1 / Math.Sqrt(6 * 25);
        Assert.All(layer.Weight.Data, v => Assert.InRange(v, -bound, bound));
        Assert.All(layer.Bias!.Data, v => Assert.InRange(v, -bound, bound));

        // The spread fills the interval: the standard deviation of U(-b, b) is b/√3.
        double std = Math.Sqrt(layer.Weight.Data.Average(v => (double)v * v));
        Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));

        var normal = new Conv2d<float>(6, 16, 5, init: InitScheme.KaimingNormal, random: new SeededRandom(3));
        double nstd = Math.Sqrt(normal.Weight.Data.Average(v => (double)v * v));
        Assert.InRange(nstd, 0.9 * Math.Sqrt(2.0 / 150), 1.1 * Math.Sqrt(2.0 / 150));
        Assert.All(normal.Bias!.Data, v => Assert.Equal(0f, v));
    }
}
