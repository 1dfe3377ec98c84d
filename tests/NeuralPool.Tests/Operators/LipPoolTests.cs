using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>LIP: the importance-weighted window mean against its definition, zero logits give the mean of the valid taps, both gradients.</summary>
public class LipPoolTests
{
    private static readonly int[] Shape = [2, 2, 7, 6];

    private static PoolGeometry Geometry(TensorLayout layout) =>
        PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, 2, [3], [2], [1], [], false, TorchPoolKind.Average);

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Forward_IsTheImportanceWeightedMean(TensorLayout layout)
    {
        var rng = new Random(90);
        var x = TestData.Make(DataKind.Normal, 2 * 2 * 42, rng);
        var l = TestData.Make(DataKind.Normal, 2 * 2 * 42, rng);
        var g = Geometry(layout);
        var y = new double[g.OutputLength];
        LipPool.Forward(g, Harness.ToLibrary<double>(x, Shape, layout), Harness.ToLibrary<double>(l, Shape, layout), y);
        var axes = NaiveOracle.TorchAxes(Shape, [3, 3], [2, 2], [1, 1], null, false);
        var weighted = NaiveOracle.AvgPool(x.Zip(l, (a, b) => a * Math.Exp(b)).ToArray(), Shape, axes, countIncludePad: false, divisorOverride: null);
        var weights = NaiveOracle.AvgPool(l.Select(Math.Exp).ToArray(), Shape, axes, countIncludePad: false, divisorOverride: null);
        var expected = weighted.Values.Zip(weights.Values, (a, b) => a / b).ToArray();
        Assert.Null(Harness.Close(expected, Harness.FromLibrary(y, weighted.Shape, layout), expected, 1e-12, "lip"));

        // Zero logits: the mean of the valid taps.
        LipPool.Forward(g, Harness.ToLibrary<double>(x, Shape, layout), new double[x.Length], y);
        var mean = NaiveOracle.AvgPool(x, Shape, axes, countIncludePad: false, divisorOverride: null).Values;
        Assert.Null(Harness.Close(mean, Harness.FromLibrary(y, weighted.Shape, layout), mean, 1e-12, "zero logits"));
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_MatchesFiniteDifferences(TensorLayout layout)
    {
        var rng = new Random(91);
        var x = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, 2 * 2 * 42, rng), Shape, layout);
        var l = Harness.ToLibrary<double>(TestData.Make(DataKind.Normal, 2 * 2 * 42, rng), Shape, layout);
        var g = Geometry(layout);
        var gy = TestData.Make(DataKind.Normal, (int)g.OutputLength, rng);
        var gx = MaxPoolSweepTests.Garbage<double>(x.Length);
        var gl = MaxPoolSweepTests.Garbage<double>(x.Length);
        LipPool.Backward(g, x, l, gy, gx, gl);
        Harness.AssertGradient(x, gy, gx, (input, y) => LipPool.Forward(g, input, l, y), eps: 1e-6);
        Harness.AssertGradient(l, gy, gl, (logits, y) => LipPool.Forward(g, x, logits, y), eps: 1e-6);
    }
}
