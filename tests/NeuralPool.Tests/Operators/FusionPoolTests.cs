using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Fusion pooling of per-modality embeddings: missing modalities are ignored, gated attention matches its definition, all its gradients match finite differences.</summary>
public class FusionPoolTests
{
    private const int Batch = 3, Modalities = 4, Features = 5, Hidden = 3;

    // Sample 0 has every modality, sample 1 misses two, sample 2 has none.
    private static readonly bool[] Present = [true, true, true, true, false, true, false, true, false, false, false, false];

    private static (double[] X, double[] V, double[] U, double[] W) Data(int seed)
    {
        var rng = new Random(seed);
        return (TestData.Make(DataKind.Normal, Batch * Modalities * Features, rng), TestData.Make(DataKind.Normal, Hidden * Features, rng),
            TestData.Make(DataKind.Normal, Hidden * Features, rng), TestData.Make(DataKind.Normal, Hidden, rng));
    }

    [Fact]
    public void GatedAttention_MatchesTheDefinitionAndIgnoresMissingModalities()
    {
        var (x, v, u, w) = Data(50);
        var z = new double[Batch * Features];
        var alpha = new double[Batch * Modalities];
        FusionPool.GatedForward(x, Batch, Modalities, Features, Present, v, u, w, z, alpha);
        for (int b = 0; b < Batch; b++)
        {
            var scores = new double[Modalities];
            for (int m = 0; m < Modalities; m++)
            {
                var h = x.Skip(((b * Modalities) + m) * Features).Take(Features).ToArray();
                scores[m] = Enumerable.Range(0, Hidden).Sum(l =>
                    w[l] * Math.Tanh(Enumerable.Range(0, Features).Sum(f => v[(l * Features) + f] * h[f]))
                    / (1 + Math.Exp(-Enumerable.Range(0, Features).Sum(f => u[(l * Features) + f] * h[f]))));
            }

            var present = Enumerable.Range(0, Modalities).Where(m => Present[(b * Modalities) + m]).ToList();
            double sum = present.Sum(m => Math.Exp(scores[m]));
            for (int m = 0; m < Modalities; m++)
            {
                Assert.Equal(present.Contains(m) ? Math.Exp(scores[m]) / sum : 0, alpha[(b * Modalities) + m], 12);
            }

            for (int f = 0; f < Features; f++)
            {
                double expected = present.Sum(m => Math.Exp(scores[m]) / sum * x[(((b * Modalities) + m) * Features) + f]);
                Assert.Equal(expected, z[(b * Features) + f], 12);
            }
        }

        // A missing modality's values do not matter, not even NaN or infinities, forward or backward.
        var changed = (double[])x.Clone();
        for (int f = 0; f < Features; f++)
        {
            changed[(((1 * Modalities) + 0) * Features) + f] = f % 3 == 0 ? double.NaN : f % 3 == 1 ? double.PositiveInfinity : 1e6;
        }

        var z2 = new double[Batch * Features];
        FusionPool.GatedForward(changed, Batch, Modalities, Features, Present, v, u, w, z2);
        Assert.Equal(z, z2);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, new Random(53));
        var grads = new[] { new double[x.Length], new double[v.Length], new double[u.Length], new double[w.Length] };
        var grads2 = new[] { new double[x.Length], new double[v.Length], new double[u.Length], new double[w.Length] };
        FusionPool.GatedBackward(x, Batch, Modalities, Features, Present, v, u, w, gy, grads[0], grads[1], grads[2], grads[3]);
        FusionPool.GatedBackward(changed, Batch, Modalities, Features, Present, v, u, w, gy, grads2[0], grads2[1], grads2[2], grads2[3]);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(grads[i], grads2[i]);
        }
    }

    [Fact]
    public void GatedAttention_GradientsMatchFiniteDifferences()
    {
        var (x, v, u, w) = Data(51);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, new Random(52));
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        var gv = MaxPoolSweepTests.Garbage<double>(v.Length);
        var gu = MaxPoolSweepTests.Garbage<double>(u.Length);
        var gw = MaxPoolSweepTests.Garbage<double>(w.Length);
        FusionPool.GatedBackward(x, Batch, Modalities, Features, Present, v, u, w, gy, gx, gv, gu, gw);
        Harness.AssertGradient(x, gy, gx, (p, y) => FusionPool.GatedForward(p, Batch, Modalities, Features, Present, v, u, w, y), eps: 1e-6);
        Harness.AssertGradient(v, gy, gv, (p, y) => FusionPool.GatedForward(x, Batch, Modalities, Features, Present, p, u, w, y), eps: 1e-6);
        Harness.AssertGradient(u, gy, gu, (p, y) => FusionPool.GatedForward(x, Batch, Modalities, Features, Present, v, p, w, y), eps: 1e-6);
        Harness.AssertGradient(w, gy, gw, (p, y) => FusionPool.GatedForward(x, Batch, Modalities, Features, Present, v, u, p, y), eps: 1e-6);
    }

    [Fact]
    public void MeanAndMax_FollowSequencePooling()
    {
        var (x, _, _, _) = Data(53);
        var y = new double[Batch * Features];
        FusionPool.Forward(x, Batch, Modalities, Features, Present, FusionMode.Mean, y);
        Assert.Equal(0.0, y[(2 * Features) + 1]); // no modality: 0
        Assert.Equal((x[(((1 * Modalities) + 1) * Features) + 3] + x[(((1 * Modalities) + 3) * Features) + 3]) / 2, y[(1 * Features) + 3], 12);
        FusionPool.Forward(x, Batch, Modalities, Features, Present, FusionMode.Max, y);
        Assert.Equal(Math.Max(x[(((1 * Modalities) + 1) * Features) + 3], x[(((1 * Modalities) + 3) * Features) + 3]), y[(1 * Features) + 3]);
        var gy = TestData.Make(DataKind.Normal, Batch * Features, new Random(54));
        var gx = new double[x.Length];
        FusionPool.Backward(x, Batch, Modalities, Features, Present, FusionMode.Mean, gy, gx);
        Assert.Equal(gy[(1 * Features) + 3] / 2, gx[(((1 * Modalities) + 1) * Features) + 3], 12);
        Assert.Equal(0.0, gx[(((1 * Modalities) + 0) * Features) + 3]);
    }
}
