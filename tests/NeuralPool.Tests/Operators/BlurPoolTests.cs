using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>BlurPool and anti-aliased max pooling: a naive reflect-pad-and-convolve oracle, constants stay constant, the adjoint, bad input.</summary>
public class BlurPoolTests
{
    /// <summary>Naive BlurPool on one (H, W) plane: explicit reflection padding, then the binomial filter at the stride.</summary>
    private static double[] Oracle(double[] plane, int h, int w, int f, int stride)
    {
        double[] a = f switch
        {
            1 => [1], 2 => [1, 1], 3 => [1, 2, 1], 4 => [1, 3, 3, 1], 5 => [1, 4, 6, 4, 1], 6 => [1, 5, 10, 10, 5, 1], _ => [1, 6, 15, 20, 15, 6, 1],
        };
        double total = a.Sum() * a.Sum();
        int before = (f - 1) / 2, after = f / 2, ph = h + before + after, pw = w + before + after;
        var padded = new double[ph * pw];
        for (int i = 0; i < ph; i++)
        {
            for (int j = 0; j < pw; j++)
            {
                int r = Math.Abs(i - before), c = Math.Abs(j - before);
                r = r >= h ? (2 * (h - 1)) - r : r;
                c = c >= w ? (2 * (w - 1)) - c : c;
                padded[(i * pw) + j] = plane[(r * w) + c];
            }
        }

        int oh = ((ph - f) / stride) + 1, ow = ((pw - f) / stride) + 1;
        var y = new double[oh * ow];
        for (int i = 0; i < oh; i++)
        {
            for (int j = 0; j < ow; j++)
            {
                double s = 0;
                for (int u = 0; u < f; u++)
                {
                    for (int v = 0; v < f; v++)
                    {
                        s += a[u] * a[v] / total * padded[(((i * stride) + u) * pw) + (j * stride) + v];
                    }
                }

                y[(i * ow) + j] = s;
            }
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Forward_MatchesReflectPaddingAndTheBinomialFilter(TensorLayout layout)
    {
        var rng = new Random(80);
        foreach (var (h, w, f, stride) in new[] { (9, 8, 4, 2), (7, 7, 3, 2), (10, 6, 5, 3), (5, 9, 1, 2), (8, 8, 7, 1), (6, 7, 2, 2) })
        {
            int[] shape = [2, 3, h, w];
            var x = TestData.Make(DataKind.Normal, 2 * 3 * h * w, rng);
            int oh = BlurPool.OutputSize(h, stride), ow = BlurPool.OutputSize(w, stride);
            var y = MaxPoolSweepTests.Garbage<double>(2 * 3 * oh * ow);
            BlurPool.Forward(layout, Harness.Shape(shape, layout), f, stride, Harness.ToLibrary<double>(x, shape, layout), y);
            var actual = Harness.FromLibrary(y, [2, 3, oh, ow], layout);
            for (int p = 0; p < 6; p++)
            {
                var expected = Oracle(x.Skip(p * h * w).Take(h * w).ToArray(), h, w, f, stride);
                Assert.Null(Harness.Close(expected, actual.Skip(p * oh * ow).Take(oh * ow).ToArray(), expected, 1e-12, $"f {f} s {stride} plane {p}"));
            }
        }
    }

    [Fact]
    public void ConstantsStayConstant()
    {
        var y = new float[4 * 4];
        BlurPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 8, 8], 4, 2, Enumerable.Repeat(2.5f, 64).ToArray(), y);
        Assert.All(y, v => Assert.Equal(2.5f, v, 5));
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_IsTheAdjoint_AndMaxBlurComposes(TensorLayout layout)
    {
        var rng = new Random(81);
        int[] shape = [1, 2, 9, 7];
        var phys = Harness.Shape(shape, layout);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Distinct, 2 * 9 * 7, rng), shape, layout);
        int oh = BlurPool.OutputSize(9, 2), ow = BlurPool.OutputSize(7, 2);
        var gy = TestData.Make(DataKind.Normal, 2 * oh * ow, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        BlurPool.Backward(layout, phys, 4, 2, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => BlurPool.Forward(layout, phys, 4, 2, input, y));

        // Anti-aliased max pooling = max pooling (2, stride 1), then BlurPool; its gradient by finite differences.
        var g = PoolGeometry.Torch(phys, layout, 2, [2], [1], [], [], false, TorchPoolKind.Max);
        var pooled = new double[g.OutputLength];
        MaxPool.Forward(g, x, pooled);
        int mh = BlurPool.OutputSize(8, 2), mw = BlurPool.OutputSize(6, 2);
        var expected = new double[2 * mh * mw];
        BlurPool.Forward(layout, g.OutputShape, 3, 2, pooled, expected);
        var actual = new double[expected.Length];
        BlurPool.MaxForward(layout, phys, 2, 3, 2, x, actual);
        Assert.Equal(expected, actual);
        var gm = TestData.Make(DataKind.Normal, expected.Length, rng);
        var gxm = MaxPoolSweepTests.Garbage<double>(x.Length);
        BlurPool.MaxBackward(layout, phys, 2, 3, 2, x, gm, gxm);
        Harness.AssertGradient(x, gm, gxm, (input, y) => BlurPool.MaxForward(layout, phys, 2, 3, 2, input, y));
    }

    [Fact]
    public void BadInput_NamesTheProblem()
    {
        var y = new double[] { 7 };
        var e = Assert.Throws<ArgumentException>(() => BlurPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], 8, 2, new double[16], y));
        Assert.Equal("filterSize", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BlurPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 2, 4], 5, 2, new double[8], y));
        Assert.Contains("reflection padding of 2", e.Message, StringComparison.Ordinal);
        Assert.Equal([7.0], y);
    }
}
