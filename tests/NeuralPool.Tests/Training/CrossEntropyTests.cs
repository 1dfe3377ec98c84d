using NeuralPool.Training;

namespace NeuralPool.Tests.Training;

/// <summary>Softmax cross-entropy against a naive computation, PyTorch's values, and large logits.</summary>
public class CrossEntropyTests
{
    [Fact]
    public void MatchesTheNaiveComputation()
    {
        var rng = new Random(1);
        int n = 7, k = 5;
        var z = GradientCheck.Tensor([n, k], rng, v => 3 * v);
        int[] labels = [.. Enumerable.Range(0, n).Select(_ => rng.Next(k))];
        var loss = new CrossEntropyLoss<double>();
        double value = loss.Forward(z, labels);
        var grad = loss.Backward();

        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            double[] e = [.. Enumerable.Range(0, k).Select(j => Math.Exp(z.Data[(i * k) + j]))];
            double sum = e.Sum();
            expected -= Math.Log(e[labels[i]] / sum) / n;
            for (int j = 0; j < k; j++)
            {
                double g = ((e[j] / sum) - (j == labels[i] ? 1 : 0)) / n;
                Assert.True(Math.Abs(grad.Data[(i * k) + j] - g) < 1e-15, $"({i}, {j}): {grad.Data[(i * k) + j]} vs {g}");
            }
        }

        Assert.Equal(expected, value, 1e-14);
        Assert.Equal(value, loss.Value);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var z = GradientCheck.Tensor([4, 6], new Random(2));
        int[] labels = [0, 5, 3, 3];
        var loss = new CrossEntropyLoss<double>();
        loss.Forward(z, labels);
        double[] grad = loss.Backward(scale: 2.5).Data;
        GradientCheck.Probe(z.Data, grad, "logits", () => 2.5 * new CrossEntropyLoss<double>().Forward(z, labels), 1e-6, 1e-7, 100);
    }

    [Fact]
    public void MatchesValuesPrintedByPyTorch()
    {
        // torch 1.13: F.cross_entropy([[1, 2, -1], [0.5, 0.5, 3]], [1, 0]) and its gradient.
        var loss = new CrossEntropyLoss<float>();
        double value = loss.Forward(new DenseTensor<float>([1f, 2f, -1f, 0.5f, 0.5f, 3f], [2, 3]), [1, 0]);
        Assert.Equal(1.500510334968567, value, 1e-6);
        double[] expected = [0.12974824011325836, -0.14730772376060486, 0.017559515312314034, -0.46474528312683105, 0.03525472432374954, 0.4294905364513397];
        var grad = loss.Backward();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], grad.Data[i], 1e-7);
        }
    }

    [Fact]
    public void LargeLogits_DoNotOverflow()
    {
        var loss = new CrossEntropyLoss<float>();
        double value = loss.Forward(new DenseTensor<float>([1000f, 0f, -1000f, 1000f, 0f, -1000f], [2, 3]), [0, 1]);
        Assert.Equal(500, value, 1e-3);
        var grad = loss.Backward().Data;
        Assert.All(grad, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0f, grad[0], 1e-6f);
        Assert.Equal(0.5f, grad[3], 1e-6f);
        Assert.Equal(-0.5f, grad[4], 1e-6f);
    }

    [Fact]
    public void BadInput_Throws()
    {
        var loss = new CrossEntropyLoss<float>();
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Throws<ArgumentException>(() => loss.Forward(new DenseTensor<float>([2, 3]), [0]));
        Assert.Throws<ArgumentException>(() => loss.Forward(new DenseTensor<float>([2, 3]), [0, 3]));
        Assert.Throws<ArgumentException>(() => loss.Forward(new DenseTensor<float>([2, 3]), [-1, 0]));
        Assert.Throws<ArgumentException>(() => loss.Forward(new DenseTensor<float>([6]), [0]));
        loss.Forward(new DenseTensor<float>([2, 3]), [0, 1]);
        Assert.Throws<ArgumentException>(() => loss.Backward(new float[5]));
    }
}
