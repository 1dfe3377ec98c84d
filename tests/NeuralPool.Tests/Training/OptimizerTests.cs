using NeuralPool.Training;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Tests.Training;

/// <summary>SGD and Adam steps against PyTorch 1.13's update formulas computed by hand, and against values PyTorch printed.</summary>
public class OptimizerTests
{
    private static readonly double[] Start = [1.0, -2.0, 0.5, 3.0];
    private static readonly double[][] Grads = [[0.1, -0.2, 0.3, 0.0], [0.5, 0.4, -0.6, 1.0], [-0.3, 0.2, 0.1, -2.0]];

    private static Parameter<float> Param()
    {
        var p = new Parameter<float>(4);
        p.Load([.. Start.Select(v => (float)v)]);
        return p;
    }

    private static float[] Run(Optimizer<float> optimizer, Parameter<float> p, int steps)
    {
        for (int s = 0; s < steps; s++)
        {
            Grads[s].Select(v => (float)v).ToArray().CopyTo(p.Grad, 0);
            optimizer.Step();
        }

        return p.Data;
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance = 2e-7)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: {actual[i]} vs {expected[i]}");
        }
    }

    /// <summary>PyTorch's SGD: g += wd·p; v = g at the first step, else μv + (1 − dampening)g; d = nesterov ? g + μv : v; p −= lr·d.</summary>
    private static double[] HandSgd(double lr, double mu, double dampening, double wd, bool nesterov, int steps)
    {
        var p = Start.ToArray();
        var v = new double[p.Length];
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = Grads[s][i] + (wd * p[i]);
                if (mu != 0)
                {
                    v[i] = s == 0 ? g : (mu * v[i]) + ((1 - dampening) * g);
                    g = nesterov ? g + (mu * v[i]) : v[i];
                }

                p[i] -= lr * g;
            }
        }

        return p;
    }

    /// <summary>PyTorch's Adam: m, v moving averages; p −= lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + ε).</summary>
    private static double[] HandAdam(double lr, double b1, double b2, double eps, double wd, bool amsgrad, int steps)
    {
        var p = Start.ToArray();
        var m = new double[p.Length];
        var v = new double[p.Length];
        var vmax = new double[p.Length];
        for (int s = 0; s < steps; s++)
        {
            int t = s + 1;
            for (int i = 0; i < p.Length; i++)
            {
                double g = Grads[s][i] + (wd * p[i]);
                m[i] = (b1 * m[i]) + ((1 - b1) * g);
                v[i] = (b2 * v[i]) + ((1 - b2) * g * g);
                vmax[i] = Math.Max(vmax[i], v[i]);
                double second = amsgrad ? vmax[i] : v[i];
                p[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / ((Math.Sqrt(second) / Math.Sqrt(1 - Math.Pow(b2, t))) + eps);
            }
        }

        return p;
    }

    [Theory]
    [InlineData(0.1, 0.0, 0.0, 0.0, false)]
    [InlineData(0.1, 0.9, 0.0, 0.0, false)]
    [InlineData(0.1, 0.9, 0.1, 0.01, false)]
    [InlineData(0.05, 0.9, 0.0, 0.001, true)]
    public void Sgd_FollowsPyTorchsFormula(double lr, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        for (int steps = 1; steps <= 3; steps++)
        {
            var p = Param();
            var sgd = new Sgd<float>([p], lr, momentum, dampening, weightDecay, nesterov);
            AssertClose(HandSgd(lr, momentum, dampening, weightDecay, nesterov, steps), Run(sgd, p, steps));
        }
    }

    [Fact]
    public void Sgd_FirstStepMomentumBuffer_IsTheGradient()
    {
        var p = Param();
        var sgd = new Sgd<float>([p], 0.1, momentum: 0.9);
        Assert.True(sgd.MomentumBuffer(0).IsEmpty);
        Run(sgd, p, 1);
        Assert.Equal(Grads[0].Select(v => (float)v).ToArray(), sgd.MomentumBuffer(0).ToArray());
    }

    [Fact]
    public void Sgd_MatchesValuesPrintedByPyTorch()
    {
        // torch 1.13: SGD(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01), three steps of the gradients above.
        var p = Param();
        AssertClose([0.9091589450836182, -2.021604537963867, 0.5096961259841919, 2.993133783340454], Run(new Sgd<float>([p], 0.1, 0.9, 0.1, 0.01), p, 3));
        p = Param();
        AssertClose([0.8871099948883057, -2.077620029449463, 0.5404300093650818, 3.1089999675750732], Run(new Sgd<float>([p], 0.1, 0.9, nesterov: true), p, 3));
    }

    [Theory]
    [InlineData(0.001, 0.9, 0.999, 1e-8, 0.0, false)]
    [InlineData(0.01, 0.8, 0.99, 1e-8, 0.1, false)]
    [InlineData(0.01, 0.9, 0.999, 1e-8, 0.0, true)]
    [InlineData(0.1, 0.5, 0.9, 1e-3, 0.0, false)]
    public void Adam_FollowsPyTorchsFormula(double lr, double b1, double b2, double eps, double weightDecay, bool amsgrad)
    {
        for (int steps = 1; steps <= 3; steps++)
        {
            var p = Param();
            var adam = new Adam<float>([p], lr, b1, b2, eps, weightDecay, amsgrad);
            AssertClose(HandAdam(lr, b1, b2, eps, weightDecay, amsgrad, steps), Run(adam, p, steps), 5e-7);
            Assert.Equal(steps, adam.StepCount(0));
        }
    }

    [Fact]
    public void Adam_FirstStep_MovesEveryElementByAboutTheLearningRate()
    {
        // With bias correction, step 1 gives m̂ = g and v̂ = g², so p moves by lr·g/(|g| + ε) ≈ lr·sign(g).
        var p = Param();
        Run(new Adam<float>([p], 0.01), p, 1);
        for (int i = 0; i < 4; i++)
        {
            double expected = Start[i] - (Grads[0][i] == 0 ? 0 : 0.01 * Math.Sign(Grads[0][i]));
            Assert.True(Math.Abs(p.Data[i] - expected) < 1e-6, $"[{i}] {p.Data[i]} vs {expected}");
        }
    }

    [Fact]
    public void Adam_MatchesValuesPrintedByPyTorch()
    {
        var p = Param();
        AssertClose([0.9762370586395264, -1.9864119291305542, 0.4939744174480438, 2.9824917316436768],
            Run(new Adam<float>([p], 0.01, 0.8, 0.99, 1e-8, 0.1), p, 3), 5e-7);
        p = Param();
        AssertClose([0.9788942337036133, -1.9988534450531006, 0.49551764130592346, 2.995701551437378],
            Run(new Adam<float>([p], 0.01, amsgrad: true), p, 3), 5e-7);
    }

    [Fact]
    public void ZeroGrad_ClearsEveryGradient()
    {
        var a = Param();
        var b = Param();
        a.Grad[1] = 3;
        b.Grad[2] = 4;
        new Sgd<float>([a, b], 0.1).ZeroGrad();
        Assert.All(a.Grad.Concat(b.Grad), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BadHyperParameters_Throw()
    {
        var p = Param();
        Assert.Throws<ArgumentException>(() => new Sgd<float>([p], -0.1));
        Assert.Throws<ArgumentException>(() => new Sgd<float>([p], 0.1, momentum: -1));
        Assert.Throws<ArgumentException>(() => new Sgd<float>([p], 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd<float>([p, p], 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd<float>([], 0.1));
        Assert.Throws<ArgumentException>(() => new Adam<float>([p], beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new Adam<float>([p], eps: -1));
        Assert.Throws<ArgumentException>(() => new Adam<float>([p], double.NaN));
    }
}
