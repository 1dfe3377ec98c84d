using NeuralPool.Training;

namespace NeuralPool.Tests.Training;

/// <summary>
/// Central finite differences in double for a layer: with a random output gradient g, the loss
/// <c>L(x, θ) = Σ g·layer(x)</c> must have <c>∂L/∂x</c> = the layer's input gradient and <c>∂L/∂θ</c> = its parameter
/// gradients. Probes every element of small tensors and an evenly spread subset of large ones.
/// </summary>
internal static class GradientCheck
{
    /// <summary>A tensor of <paramref name="shape"/> from N(0, 1) draws passed through <paramref name="map"/>.</summary>
    public static DenseTensor<double> Tensor(int[] shape, Random rng, Func<double, double>? map = null)
    {
        var t = new DenseTensor<double>(shape);
        for (int i = 0; i < t.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double v = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            t.Data[i] = map is null ? v : map(v);
        }

        return t;
    }

    /// <summary>Asserts the layer's gradients; <paramref name="replay"/> runs before every forward (to replay random draws).</summary>
    public static void Check(Layer<double> layer, DenseTensor<double> x, int seed = 1, double eps = 1e-6, double tolerance = 1e-6,
        Action? replay = null, int maxProbes = 300, bool checkInput = true)
    {
        var rng = new Random(seed);
        replay?.Invoke();
        var y = layer.Forward(x);
        var gy = Tensor(y.Shape.ToArray(), rng);
        layer.ZeroGrad();
        double[] gx = layer.Backward(gy).Data.ToArray();
        var parameters = layer.NamedParameters().Select(p => (p.Name, p.Parameter, Grad: p.Parameter.Grad.ToArray())).ToList();

        double Loss()
        {
            replay?.Invoke();
            var output = layer.Forward(x);
            double sum = 0;
            for (int i = 0; i < output.Length; i++)
            {
                sum += output.Data[i] * gy.Data[i];
            }

            return sum;
        }

        if (checkInput)
        {
            Assert.Equal(x.Length, gx.Length);
            Probe(x.Data, gx, "input", Loss, eps, tolerance, maxProbes);
        }

        foreach (var (name, p, grad) in parameters)
        {
            Probe(p.Data, grad, name, Loss, eps, tolerance, maxProbes);
        }
    }

    /// <summary>Compares <paramref name="analytic"/> with central differences of <paramref name="loss"/> in <paramref name="values"/>.</summary>
    public static void Probe(double[] values, double[] analytic, string what, Func<double> loss, double eps, double tolerance, int maxProbes)
    {
        int step = Math.Max(1, values.Length / maxProbes);
        double largest = 0;
        for (int i = 0; i < values.Length; i += step)
        {
            double keep = values[i];
            values[i] = keep + eps;
            double plus = loss();
            values[i] = keep - eps;
            double minus = loss();
            values[i] = keep;
            double numeric = (plus - minus) / (2 * eps);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance * Math.Max(1, Math.Abs(numeric)),
                $"{what}[{i}]: finite difference {numeric}, gradient {analytic[i]}");
        }

        // A check where every probe sees a zero derivative proves nothing.
        Assert.True(largest > 0, $"every probed derivative of {what} is zero");
    }
}
