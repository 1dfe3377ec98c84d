using NeuralPool.Training;
using NeuralPool.Training.Kernels;

namespace NeuralPool.Tests.Training;

/// <summary>The blocked, vectorized matrix product against a naive triple loop, and its determinism.</summary>
public class GemmTests
{
    /// <summary>op(A)·op(B) by the definition, in double.</summary>
    private static double[] Naive(bool ta, bool tb, int m, int n, int k, double[] a, int lda, double[] b, int ldb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (ta ? a[(p * lda) + i] : a[(i * lda) + p]) * (tb ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                }

                c[(i * n) + j] = s;
            }
        }

        return c;
    }

    private static double[] Random(int length, Random rng) => [.. Enumerable.Range(0, length).Select(_ => (rng.NextDouble() * 2) - 1)];

    public static TheoryData<int, int, int> Sizes() => new()
    {
        { 1, 1, 1 }, { 6, 16, 1 }, { 5, 7, 3 }, { 7, 17, 9 }, { 13, 33, 31 }, { 6, 784, 25 }, { 16, 150, 100 },
        { 130, 40, 300 }, { 64, 120, 400 }, { 121, 9, 520 }, { 3, 3100, 5 }, { 5, 256, 40 }, { 24, 64, 70 }, { 25, 50, 20 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Double_MatchesNaive_AllTransposes(int m, int n, int k)
    {
        var rng = new Random((m * 31) + (n * 7) + k);
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                // Leading dimensions larger than the stored column counts, and C inside a wider matrix.
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
                var a = Random(((ta ? k : m) * lda), rng);
                var b = Random(((tb ? n : k) * ldb), rng);
                var c = Random(m * ldc, rng);
                var before = c.ToArray();
                var expected = Naive(ta, tb, m, n, k, a, lda, b, ldb);
                foreach (bool accumulate in new[] { false, true })
                {
                    before.CopyTo(c, 0);
                    Gemm.Multiply<double>(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < ldc; j++)
                        {
                            double want = j >= n ? before[(i * ldc) + j] : expected[(i * n) + j] + (accumulate ? before[(i * ldc) + j] : 0);
                            Assert.True(Math.Abs(c[(i * ldc) + j] - want) <= 1e-12 * Math.Max(1, k),
                                $"ta {ta} tb {tb} accumulate {accumulate} ({i}, {j}): {c[(i * ldc) + j]} vs {want}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Float_MatchesNaive(int m, int n, int k)
    {
        var rng = new Random((m * 17) + n + (k * 3));
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                var a = Random(m * k, rng);
                var b = Random(k * n, rng);
                var c = new float[m * n];
                Gemm.Multiply<float>(ta, tb, m, n, k, a.Select(v => (float)v).ToArray(), ta ? m : k, b.Select(v => (float)v).ToArray(), tb ? k : n, c, n);
                var expected = Naive(ta, tb, m, n, k, a.Select(v => (double)(float)v).ToArray(), ta ? m : k, b.Select(v => (double)(float)v).ToArray(), tb ? k : n);
                for (int i = 0; i < c.Length; i++)
                {
                    Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-6 * Math.Sqrt(k) * 4, $"ta {ta} tb {tb} at {i}: {c[i]} vs {expected[i]}");
                }
            }
        }
    }

    [Fact]
    public void Parallel_IsBitwiseTheSerialResult_ForEveryThreadCount()
    {
        int saved = TrainingSettings.Threads;
        try
        {
            var rng = new Random(3);
            foreach (var (m, n, k) in new[] { (64, 120, 400), (150, 100, 16), (7, 3000, 40), (300, 20, 270) })
            {
                var a = Random(m * k, rng).Select(v => (float)v).ToArray();
                var b = Random(k * n, rng).Select(v => (float)v).ToArray();
                var serial = new float[m * n];
                Gemm.Multiply<float>(false, true, m, n, k, a, k, b, k, serial, n);
                foreach (int threads in new[] { 1, 2, 3, 5 })
                {
                    TrainingSettings.Threads = threads;
                    var parallel = new float[m * n];
                    Gemm.Multiply<float>(false, true, m, n, k, a, k, b, k, parallel, n, parallel: true);
                    Assert.Equal(serial, parallel);
                }
            }
        }
        finally
        {
            TrainingSettings.Threads = saved;
        }
    }

    [Fact]
    public void ARowOfC_DoesNotDependOnTheRestOfTheProduct()
    {
        // The same row computed alone (B read in place) and inside a larger product (B packed; other tiles, other
        // edges) is bitwise equal.
        var rng = new Random(4);
        int m = 31, n = 37, k = 300;
        var a = Random(m * k, rng).Select(v => (float)v).ToArray();
        var b = Random(k * n, rng).Select(v => (float)v).ToArray();
        var all = new float[m * n];
        Gemm.Multiply<float>(false, false, m, n, k, a, k, b, n, all, n);
        for (int i = 0; i < m; i++)
        {
            var row = new float[n];
            Gemm.Multiply<float>(false, false, 1, n, k, a.AsSpan(i * k, k), k, b, n, row, n);
            Assert.Equal(all.AsSpan(i * n, n).ToArray(), row);
        }
    }

    [Fact]
    public void EmptyInnerDimension_ClearsOrKeeps()
    {
        var c = new double[] { 1, 2, 3, 4 };
        Gemm.Multiply<double>(false, false, 2, 2, 0, [], 1, [], 2, c, 2, accumulate: true);
        Assert.Equal([1, 2, 3, 4], c);
        Gemm.Multiply<double>(false, false, 2, 2, 0, [], 1, [], 2, c, 2);
        Assert.Equal([0, 0, 0, 0], c);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 2, 3, a, 2, b, 2, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 2, 4, a, 4, b, 2, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 3, 3, a, 3, b, 3, c, 3));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, -1, 2, 3, a, 3, b, 2, c, 2));
        Assert.Throws<NotSupportedException>(() => Gemm.Multiply<Half>(false, false, 1, 1, 1, new Half[1], 1, new Half[1], 1, new Half[1], 1));
    }
}
