using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Stochastic pooling: training picks a window member reproducibly, its average over seeds is the evaluation output, gradients, bad input.</summary>
public class StochasticPoolTests
{
    private static readonly int[] Shape = [1, 2, 6, 6];

    private static PoolGeometry Geometry(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [3], [2], [1], [], false, TorchPoolKind.Average);

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Training_PicksAWindowMemberReproducibly_AndAveragesToTheEvaluation(TensorLayout layout)
    {
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Ties, 2 * 36, new Random(70)), Shape, layout);
        var g = Geometry(layout);
        int m = (int)g.OutputLength;
        var eval = new double[m];
        StochasticPool.ForwardEval(g, x, eval);

        var y = new double[m];
        var idx = new long[m];
        var again = new double[m];
        var againIdx = new long[m];
        var mean = new double[m];
        const int draws = 20000;
        var values = Harness.FromLibrary(x, Shape, layout);
        for (ulong seed = 0; seed < draws; seed++)
        {
            StochasticPool.ForwardTrain(g, x, seed, y, idx);
            if (seed < 3)
            {
                StochasticPool.ForwardTrain(g, x, seed, again, againIdx);
                Assert.Equal(y, again);
                Assert.Equal(idx, againIdx);
                var yCf = Harness.FromLibrary(y, [1, 2, 3, 3], layout);
                var iCf = Harness.FromLibrary(idx, [1, 2, 3, 3], layout);
                for (int o = 0; o < m; o++)
                {
                    Assert.Equal(values[((o / 9) * 36) + (int)iCf[o]], yCf[o]); // the value at the reported index
                }
            }

            for (int o = 0; o < m; o++)
            {
                mean[o] += y[o] / draws;
            }
        }

        for (int o = 0; o < m; o++)
        {
            Assert.True(Math.Abs(mean[o] - eval[o]) < 0.06, $"output {o}: mean of draws {mean[o]}, evaluation {eval[o]}");
        }
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Gradients(TensorLayout layout)
    {
        var rng = new Random(71);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Positive, 2 * 36, rng), Shape, layout);
        var g = Geometry(layout);
        var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        StochasticPool.BackwardEval(g, x, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => StochasticPool.ForwardEval(g, input, y));

        // Training: each output's gradient lands on its chosen tap.
        var y2 = new double[g.OutputLength];
        var idx = new long[g.OutputLength];
        StochasticPool.ForwardTrain(g, x, 5, y2, idx);
        StochasticPool.BackwardTrain(g, gy, idx, gx);
        var expected = new double[x.Length];
        MaxPool.Backward(g, gy, idx, expected);
        Assert.Equal(expected, gx);
    }

    [Fact]
    public void NegativeActivations_AreRefused()
    {
        var g = PoolGeometry.Global([1, 1, 2, 2], TensorLayout.ChannelsFirst);
        var y = new double[] { 7 };
        var e = Assert.Throws<ArgumentException>(() => StochasticPool.ForwardEval(g, [1.0, -0.5, 2, 3], y));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("non-negative", e.Message, StringComparison.Ordinal);
        Assert.Equal([7.0], y);
    }
}
