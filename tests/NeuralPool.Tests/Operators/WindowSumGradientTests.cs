using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// The average-pool gradient writes every input element once by its first contribution instead of clearing and adding:
/// a gradient of -0 must still come out +0 (as adding it to a cleared gradient does), elements no window reaches must be
/// cleared over whatever the buffer held, and channels-last work items of whole positions or of channel blocks (small
/// batches) must give the oracle's values. Rows of 16 and more columns take the 512-bit spreads at W stride 1 and 2.
/// </summary>
public class WindowSumGradientTests
{
    public static TheoryData<TensorLayout, int[], int[], int[], int[], bool> Geometries()
    {
        var data = new TheoryData<TensorLayout, int[], int[], int[], int[], bool>();
        foreach (var layout in new[] { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast })
        {
            data.Add(layout, [2, 5, 34, 36], [2, 2], [2, 2], [0, 0], false); // non-overlapping (VGG)
            data.Add(layout, [1, 3, 33, 35], [3, 3], [2, 2], [1, 1], true); // overlapping, stride 2, ceil
            data.Add(layout, [1, 2, 20, 40], [3, 3], [1, 1], [1, 1], false); // stride 1
            data.Add(layout, [2, 3, 19, 50], [2, 3], [3, 4], [0, 1], false); // gaps no window reaches
            data.Add(layout, [2, 4, 37], [5], [2], [2], false); // 1-D
            data.Add(layout, [1, 2, 5, 9, 34], [2, 3, 3], [2, 1, 2], [0, 1, 1], true); // 3-D
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void NegativeZeroGradient_GivesPositiveZeros(TensorLayout layout, int[] shape, int[] k, int[] s, int[] p, bool ceil)
    {
        foreach (bool include in new[] { false, true })
        {
            var g = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, k.Length, k, s, p, default, ceil, TorchPoolKind.Average);
            var gy = new float[g.OutputLength];
            Array.Fill(gy, -0.0f);
            var gx = new float[g.InputLength];
            Array.Fill(gx, float.NaN);
            AvgPool.Backward<float>(g, gy, gx, countIncludePad: include);
            for (int i = 0; i < gx.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(gx[i]) == 0, $"element {i}: {gx[i]} (sign {float.IsNegative(gx[i])}), {layout}, shape {Harness.Format(shape)}, count_include_pad {include}");
            }

            var gyd = new double[g.OutputLength];
            Array.Fill(gyd, -0.0);
            var gxd = new double[g.InputLength];
            Array.Fill(gxd, double.NaN);
            AvgPool.Backward<double>(g, gyd, gxd, countIncludePad: include);
            Assert.All(gxd, v => Assert.Equal(0L, BitConverter.DoubleToInt64Bits(v)));
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Gradient_MatchesTheOracle_OverGarbage(TensorLayout layout, int[] shape, int[] k, int[] s, int[] p, bool ceil)
    {
        Check<float>(layout, shape, k, s, p, ceil);
        Check<double>(layout, shape, k, s, p, ceil);
    }

    /// <summary>Channels-last, 128 channels: whole positions per work item for a batch of 8, channel blocks for a batch of 1, on 1 and 2 threads.</summary>
    [Theory]
    [InlineData(8)]
    [InlineData(1)]
    public void ChannelsLastWorkItems_MatchTheOracle(int batch)
    {
        Harness.OnThreads([1, 2], _ =>
        {
            Check<float>(TensorLayout.ChannelsLast, [batch, 128, 18, 20], [2, 2], [2, 2], [0, 0], false);
            Check<float>(TensorLayout.ChannelsLast, [batch, 128, 17, 19], [3, 3], [2, 2], [1, 1], false);
        });
    }

    private static void Check<T>(TensorLayout layout, int[] shape, int[] k, int[] s, int[] p, bool ceil)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(shape.Sum() + k.Sum());
        foreach (bool include in new[] { false, true })
        {
            var g = PoolGeometry.Torch(Harness.Shape(shape, layout), layout, k.Length, k, s, p, default, ceil, TorchPoolKind.Average);
            var axes = NaiveOracle.TorchAxes(shape, k, s, p, null, ceil);
            int[] outShape = NaiveOracle.OutputShape(shape, axes);
            var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, g.OutputLength, rng));
            var expected = NaiveOracle.AvgPoolBackward(gy, shape, axes, include, divisorOverride: null);
            var scale = NaiveOracle.AvgPoolBackward(gy.Select(Math.Abs).ToArray(), shape, axes, include, divisorOverride: null);
            var gx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
            AvgPool.Backward<T>(g, Harness.ToLibrary<T>(gy, outShape, layout), gx, include);
            Assert.Null(Harness.Close(expected, Harness.FromLibrary(gx, shape, layout), scale, Harness.Tolerance<T>(),
                $"{typeof(T).Name} {layout} shape {Harness.Format(shape)} kernel {Harness.Format(k)} stride {Harness.Format(s)} padding {Harness.Format(p)} ceil {ceil} count_include_pad {include}"));
        }
    }
}
