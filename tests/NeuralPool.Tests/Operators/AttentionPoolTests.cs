using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Attention pooling over sequences: the softmax-weighted mean of the valid steps, the query's limits, both gradients, padding and empty sequences.</summary>
public class AttentionPoolTests
{
    private const int Batch = 3, Steps = 5, Features = 4;
    private static readonly int[] Lengths = [5, 2, 3];

    [Fact]
    public void Forward_IsTheSoftmaxWeightedMeanOfTheValidSteps()
    {
        var rng = new Random(40);
        var x = TestData.Make(DataKind.Normal, Batch * Steps * Features, rng);
        var q = TestData.Make(DataKind.Normal, Features, rng);
        var y = new double[Batch * Features];
        var w = new double[Batch * Steps];
        AttentionPool.Forward(x, Batch, Steps, Features, Lengths, q, y, w);
        for (int b = 0; b < Batch; b++)
        {
            var scores = Enumerable.Range(0, Lengths[b]).Select(t => Enumerable.Range(0, Features).Sum(f => x[(((b * Steps) + t) * Features) + f] * q[f])).ToArray();
            var e = scores.Select(Math.Exp).ToArray();
            for (int t = 0; t < Steps; t++)
            {
                Assert.Equal(t < Lengths[b] ? e[t] / e.Sum() : 0, w[(b * Steps) + t], 12);
            }

            for (int f = 0; f < Features; f++)
            {
                double expected = Enumerable.Range(0, Lengths[b]).Sum(t => e[t] / e.Sum() * x[(((b * Steps) + t) * Features) + f]);
                Assert.Equal(expected, y[(b * Features) + f], 12);
            }
        }
    }

    [Fact]
    public void ZeroQueryIsTheMean_AndAnEmptySequenceIsZero()
    {
        var rng = new Random(41);
        var x = TestData.Make(DataKind.Normal, Batch * Steps * Features, rng);
        var attention = new double[Batch * Features];
        AttentionPool.Forward(x, Batch, Steps, Features, Lengths, new double[Features], attention);
        var mean = new double[Batch * Features];
        SequencePool.Forward(x, Batch, Steps, Features, Lengths, SequenceReduction.Mean, mean);
        Assert.Null(Harness.Close(mean, attention, mean, 1e-12, "zero query"));

        var y = new double[] { 7, 7 };
        AttentionPool.Forward(new double[4], 1, 2, 2, [0], [1.0, 1.0], y);
        Assert.Equal([0.0, 0.0], y);
    }

    [Fact]
    public void PaddingNeverMatters_NotEvenNaNOrInfinity()
    {
        var rng = new Random(44);
        var x = TestData.Make(DataKind.Normal, Batch * Steps * Features, rng);
        var q = TestData.Make(DataKind.Normal, Features, rng);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, rng);
        var dirty = (double[])x.Clone();
        for (int b = 0; b < Batch; b++)
        {
            for (int i = Lengths[b] * Features; i < Steps * Features; i++)
            {
                dirty[(b * Steps * Features) + i] = i % 2 == 0 ? double.NaN : double.NegativeInfinity;
            }
        }

        var (y, y2) = (new double[Batch * Features], new double[Batch * Features]);
        AttentionPool.Forward(x, Batch, Steps, Features, Lengths, q, y);
        AttentionPool.Forward(dirty, Batch, Steps, Features, Lengths, q, y2);
        Assert.Equal(y, y2);
        var (gx, gq, gx2, gq2) = (new double[x.Length], new double[Features], new double[x.Length], new double[Features]);
        AttentionPool.Backward(x, Batch, Steps, Features, Lengths, q, gy, gx, gq);
        AttentionPool.Backward(dirty, Batch, Steps, Features, Lengths, q, gy, gx2, gq2);
        Assert.Equal(gx, gx2);
        Assert.Equal(gq, gq2);
        Assert.All(gx.Where((_, i) => i % (Steps * Features) >= Lengths[i / (Steps * Features)] * Features), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Ragged_EqualsPadded()
    {
        var rng = new Random(43);
        var x = TestData.Make(DataKind.Normal, Batch * Steps * Features, rng);
        var q = TestData.Make(DataKind.Normal, Features, rng);
        var ragged = new List<double>();
        var offsets = new List<int> { 0 };
        for (int b = 0; b < Batch; b++)
        {
            ragged.AddRange(x.Skip(b * Steps * Features).Take(Lengths[b] * Features));
            offsets.Add(offsets[^1] + Lengths[b]);
        }

        var padded = new double[Batch * Features];
        var paddedWeights = new double[Batch * Steps];
        AttentionPool.Forward(x, Batch, Steps, Features, Lengths, q, padded, paddedWeights);
        var flat = new double[Batch * Features];
        var flatWeights = new double[offsets[^1]];
        AttentionPool.ForwardRagged([.. ragged], [.. offsets], Features, q, flat, flatWeights);
        Assert.Equal(padded, flat);
        Assert.Equal(Enumerable.Range(0, Batch).SelectMany(b => paddedWeights.Skip(b * Steps).Take(Lengths[b])), flatWeights);

        var gy = TestData.Make(DataKind.Normal, Batch * Features, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(ragged.Count);
        var gq = MaxPoolSweepTests.Garbage<double>(Features);
        AttentionPool.BackwardRagged([.. ragged], [.. offsets], Features, q, gy, gx, gq);
        var flatInput = ragged.ToArray();
        Harness.AssertGradient(flatInput, gy, gx, (input, y) => AttentionPool.ForwardRagged(input, [.. offsets], Features, q, y), eps: 1e-6);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferencesForInputAndQuery()
    {
        var rng = new Random(42);
        var x = TestData.Make(DataKind.Normal, Batch * Steps * Features, rng);
        var q = TestData.Make(DataKind.Normal, Features, rng);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        var gq = MaxPoolSweepTests.Garbage<double>(Features);
        AttentionPool.Backward(x, Batch, Steps, Features, Lengths, q, gy, gx, gq);
        Harness.AssertGradient(x, gy, gx, (input, y) => AttentionPool.Forward(input, Batch, Steps, Features, Lengths, q, y), eps: 1e-6);
        Harness.AssertGradient(q, gy, gq, (query, y) => AttentionPool.Forward(x, Batch, Steps, Features, Lengths, query, y), eps: 1e-6);

        // Padding steps receive no gradient.
        for (int t = Lengths[1]; t < Steps; t++)
        {
            Assert.All(gx.Skip(((1 * Steps) + t) * Features).Take(Features), v => Assert.Equal(0.0, v));
        }
    }
}
