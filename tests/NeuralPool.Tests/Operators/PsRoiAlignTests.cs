using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Position-sensitive RoIAlign: each output channel is RoIAlign (half pixel) of its own input channel for its own bin; the empty-RoI NaN; the gradient; bad input. torchvision values are in tests/fixtures/torchvision.</summary>
public class PsRoiAlignTests
{
    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void EachBin_IsRoiAlignOfItsChannel(TensorLayout layout)
    {
        var rng = new Random(9);
        const int oh = 2, ow = 3, cOut = 2, c = cOut * oh * ow;
        int[] shape = [2, c, 9, 8];
        var x = TestData.Make(DataKind.Normal, 2 * c * 9 * 8, rng);
        var lib = Harness.ToLibrary<double>(x, shape, layout);
        double[] rois = [1, 1, 7, 6, 0.5, 2.5, 5, 8, -2, -1, 4, 3];
        long[] batch = [0, 1, 1];
        int k = batch.Length;
        foreach (int sampling in new[] { -1, 2 })
        {
            var ps = new double[k * cOut * oh * ow];
            PsRoiAlign.Forward(layout, Harness.Shape(shape, layout), lib, rois, batch, new PsRoiAlignOptions(oh, ow, 0.9, sampling), ps);
            var full = new double[k * c * oh * ow];
            RoiAlign.Forward(layout, Harness.Shape(shape, layout), lib, rois, batch, new RoiAlignOptions(oh, ow, 0.9, sampling, Aligned: true), full);
            var psCf = Harness.FromLibrary(ps, [k, cOut, oh, ow], layout);
            var fullCf = Harness.FromLibrary(full, [k, c, oh, ow], layout);
            for (int r = 0; r < k; r++)
            {
                for (int co = 0; co < cOut; co++)
                {
                    for (int i = 0; i < oh; i++)
                    {
                        for (int j = 0; j < ow; j++)
                        {
                            int ci = (((co * oh) + i) * ow) + j;
                            double expected = fullCf[(((r * c) + ci) * oh + i) * ow + j];
                            double actual = psCf[(((r * cOut) + co) * oh + i) * ow + j];
                            Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"roi {r} c {co} bin ({i}, {j}): {actual} vs {expected}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void EmptyRoiWithAdaptiveGrid_IsNaN()
    {
        // A zero-width box: ceil(0 / bins) = 0 samples per bin, and torchvision divides by 0.
        var y = new float[1];
        PsRoiAlign.Forward(TensorLayout.ChannelsFirst, [1, 1, 4, 4], new float[16], [1f, 1, 1, 3], [0L], new PsRoiAlignOptions(1, 1), y);
        Assert.True(float.IsNaN(y[0]));
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        var rng = new Random(4);
        int[] shape = [1, 8, 6, 7];
        var phys = Harness.Shape(shape, layout);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, 8 * 6 * 7, rng), shape, layout);
        double[] rois = [0.7, 1.1, 5.6, 4.9, 2, 0, 6, 5.5];
        long[] batch = [0, 0];
        var options = new PsRoiAlignOptions(2, 2, 1.0, 2);
        var gy = TestData.Make(DataKind.Normal, 2 * 2 * 2 * 2, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        PsRoiAlign.Backward(layout, phys, rois, batch, options, gy, gx);
        Harness.AssertGradient(x, gy, gx, (input, y) => PsRoiAlign.Forward(layout, phys, input, rois, batch, options, y), eps: 1e-6);
    }

    [Fact]
    public void ChannelsNotAMultipleOfTheBins_AreRefused()
    {
        var y = new float[] { 7, 7 };
        var e = Assert.Throws<ArgumentException>(() =>
            PsRoiAlign.Forward(TensorLayout.ChannelsFirst, [1, 3, 4, 4], new float[48], [0f, 0, 3, 3], [0L], new PsRoiAlignOptions(1, 2), y));
        Assert.Equal("inputShape", e.ParamName);
        Assert.Contains("multiple of the output bins", e.Message, StringComparison.Ordinal);
        Assert.Equal([7f, 7f], y);
    }
}
