using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Sequence pooling: masks, lengths and ragged batches agree with a naive reduction and with each other; empty sequences; NaN; gradients; bad input.</summary>
public class SequencePoolTests
{
    private const int Batch = 4, Steps = 6, Features = 5;
    private static readonly int[] Lengths = [6, 3, 0, 1];

    [Theory]
    [InlineData(SequenceReduction.Mean)]
    [InlineData(SequenceReduction.Max)]
    public void MaskLengthsAndRagged_Agree(SequenceReduction reduction)
    {
        var rng = new Random(31);
        var x = TestData.Make(DataKind.NaNs, Batch * Steps * Features, rng);
        var byLengths = new double[Batch * Features];
        var argLengths = reduction == SequenceReduction.Max ? new long[Batch * Features] : [];
        SequencePool.Forward(x, Batch, Steps, Features, Lengths, reduction, byLengths, argLengths);

        // The same sequences as a mask and as a ragged batch.
        var mask = new bool[Batch * Steps];
        var ragged = new List<double>();
        var offsets = new List<int> { 0 };
        var expected = new double[Batch * Features];
        var expectedArg = new long[Batch * Features];
        var xs = (double[])x.Clone();
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < Lengths[b]; t++)
            {
                mask[(b * Steps) + t] = true;
                ragged.AddRange(x.Skip(((b * Steps) + t) * Features).Take(Features));
            }

            offsets.Add(offsets[^1] + Lengths[b]);
            for (int f = 0; f < Features; f++)
            {
                var column = Enumerable.Range(0, Lengths[b]).Select(t => x[(((b * Steps) + t) * Features) + f]).ToList();
                if (reduction == SequenceReduction.Mean)
                {
                    expected[(b * Features) + f] = column.Count == 0 ? 0 : column.Sum() / column.Count;
                    continue;
                }

                double best = double.NegativeInfinity;
                long at = -1;
                for (int t = 0; t < column.Count; t++)
                {
                    if (at < 0 || column[t] > best || double.IsNaN(column[t]))
                    {
                        (best, at) = (column[t], t);
                    }
                }

                (expected[(b * Features) + f], expectedArg[(b * Features) + f]) = (best, at);
            }
        }

        Assert.Null(Harness.Close(expected, byLengths, expected, 1e-12, "lengths"));
        var byMask = new double[Batch * Features];
        SequencePool.Forward(xs, Batch, Steps, Features, mask, reduction, byMask);
        var byRagged = new double[Batch * Features];
        var argRagged = reduction == SequenceReduction.Max ? new long[Batch * Features] : [];
        SequencePool.ForwardRagged([.. ragged], [.. offsets], Features, reduction, byRagged, argRagged);
        Assert.Null(Harness.Exact(byLengths, byMask, "mask"));
        Assert.Null(Harness.Exact(byLengths, byRagged, "ragged"));
        if (reduction == SequenceReduction.Max)
        {
            Assert.Equal(expectedArg, argLengths);
            Assert.Equal(expectedArg, argRagged);
        }
    }

    [Fact]
    public void ScatteredMask_PicksItsStepsAndReportsTheirPosition()
    {
        // One sequence of 4 steps, 1 feature, valid at steps 1 and 3.
        double[] x = [100, 2, 50, 5];
        var y = new double[1];
        var at = new long[1];
        SequencePool.Forward(x, 1, 4, 1, [false, true, false, true], SequenceReduction.Mean, y);
        Assert.Equal(3.5, y[0]);
        SequencePool.Forward(x, 1, 4, 1, [false, true, false, true], SequenceReduction.Max, y, at);
        Assert.Equal(5, y[0]);
        Assert.Equal(3L, at[0]);
    }

    [Fact]
    public void EmptySequence_IsZeroForMeanAndMinusInfinityForMax()
    {
        var y = new double[2];
        var at = new long[2];
        SequencePool.Forward(new double[6], 1, 3, 2, [0], SequenceReduction.Mean, y);
        Assert.Equal([0.0, 0.0], y);
        SequencePool.Forward(new double[6], 1, 3, 2, [0], SequenceReduction.Max, y, at);
        Assert.Equal([double.NegativeInfinity, double.NegativeInfinity], y);
        Assert.Equal([-1L, -1L], at);
    }

    [Theory]
    [InlineData(SequenceReduction.Mean)]
    [InlineData(SequenceReduction.Max)]
    public void Backward_MatchesFiniteDifferences(SequenceReduction reduction)
    {
        var rng = new Random(2);
        var x = TestData.Make(DataKind.Distinct, Batch * Steps * Features, rng);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        int[] lengths = [6, 3, 2, 1]; // no empty sequence: its max is -inf, where the loss has no derivative
        SequencePool.Backward(x, Batch, Steps, Features, lengths, reduction, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => SequencePool.Forward(input, Batch, Steps, Features, lengths, reduction, y));

        // The same lengths without padding (the padded-equivalence test covers an empty sequence).
        int[] offsets = [0, 6, 9, 11, 12];
        var ragged = TestData.Make(DataKind.Distinct, 12 * Features, rng);
        var gr = MaxPoolSweepTests.Garbage<double>(ragged.Length);
        SequencePool.BackwardRagged(ragged, offsets, Features, reduction, gy, gr);
        Harness.AssertGradient(ragged, gy, gr, (input, y) => SequencePool.ForwardRagged(input, offsets, Features, reduction, y));
    }

    [Fact]
    public void RaggedBackward_IsThePaddedBackwardWithoutThePadding()
    {
        var rng = new Random(3);
        var x = TestData.Make(DataKind.Ties, Batch * Steps * Features, rng);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, rng);
        var offsets = new List<int> { 0 };
        var ragged = new List<double>();
        for (int b = 0; b < Batch; b++)
        {
            ragged.AddRange(x.Skip(b * Steps * Features).Take(Lengths[b] * Features));
            offsets.Add(offsets[^1] + Lengths[b]);
        }

        foreach (var reduction in new[] { SequenceReduction.Mean, SequenceReduction.Max })
        {
            var padded = new double[x.Length];
            SequencePool.Backward(x, Batch, Steps, Features, Lengths, reduction, gy, padded);
            var byRagged = new double[ragged.Count];
            SequencePool.BackwardRagged([.. ragged], [.. offsets], Features, reduction, gy, byRagged);
            var expected = Enumerable.Range(0, Batch).SelectMany(b => padded.Skip(b * Steps * Features).Take(Lengths[b] * Features)).ToArray();
            Assert.Equal(expected, byRagged);
        }
    }

    [Fact]
    public void BadInput_NamesTheProblem()
    {
        var y = new double[] { 7, 7 };
        var e = Assert.Throws<ArgumentException>(() => SequencePool.Forward(new double[6], 1, 3, 2, [4], SequenceReduction.Mean, y));
        Assert.Equal("lengths", e.ParamName);
        Assert.Contains("outside [0, 3]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => SequencePool.ForwardRagged(new double[6], [0, 2, 1, 3], 2, SequenceReduction.Mean, new double[6]));
        Assert.Equal("offsets", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => SequencePool.ForwardRagged(new double[6], [0, 2], 2, SequenceReduction.Mean, y));
        Assert.Contains("end at the row count 3", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => SequencePool.Forward(new double[6], 1, 3, 2, [2], SequenceReduction.Mean, y, new long[2]));
        Assert.Equal("argmax", e.ParamName);
        Assert.Equal([7.0, 7.0], y);
    }
}
