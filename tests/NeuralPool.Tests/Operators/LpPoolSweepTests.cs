using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Lp pooling (PyTorch and ONNX flavors), forward and backward, against the oracle. Forward values are
/// compared as y^p (the pooled power sums), so a cancelling sum of signed powers does not turn rounding
/// noise into a large relative error after the root.
/// </summary>
public sealed class LpPoolSweepTests
{
    private static readonly double[] TorchPowers = [1, 2, 3, 1.5];
    private static readonly int[] OnnxPowers = [1, 2, 3];

    public static TheoryData<int, TensorLayout, string> Configs => Harness.Configs();

    [Theory]
    [MemberData(nameof(Configs))]
    public void TorchLpPool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        int i = 0;
        foreach (var c in SweepCases.Torch(rank, 5000 + rank, dilation: false, padding: false, samples: rank == 2 ? 600 : 400,
            kinds: [DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity, DataKind.Positive]))
        {
            double p = TorchPowers[i++ % TorchPowers.Length];
            failures.Count();
            failures.Add($"torch lp_pool{rank}d p {p} {type} {layout} {c}", type == "float" ? Torch<float>(c, layout, p) : Torch<double>(c, layout, p));
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void OnnxLpPool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        int i = 0;
        foreach (var c in SweepCases.Onnx(rank, 6000 + rank, samples: rank == 1 ? 1500 : 600,
            kinds: [DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity, DataKind.Positive]))
        {
            int p = OnnxPowers[i++ % OnnxPowers.Length];
            failures.Count();
            failures.Add($"onnx LpPool {rank}d p {p} {type} {layout} {c}", type == "float" ? Onnx<float>(c, layout, p) : Onnx<double>(c, layout, p));
        }

        failures.AssertNone();
    }

    private static string? Torch<T>(SlidingCase c, TensorLayout layout, double p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!c.TorchValid())
        {
            return MaxPoolSweepTests.Throws(() => c.TorchGeometry(layout, TorchPoolKind.Power));
        }

        var g = c.TorchGeometry(layout, TorchPoolKind.Power);
        var axes = c.TorchAxes();
        var rng = new Random(c.Seed);
        var x = Harness.RoundTrip<T>(TestData.Make(c.Kind, TestData.Volume(c.Shape), rng));
        var expected = NaiveOracle.TorchLpPool(x, c.Shape, axes, p);
        var scale = NaiveOracle.TorchLpPool(x.Select(Math.Abs).ToArray(), c.Shape, axes, p).Values.Select(v => Math.Pow(v, p)).ToArray();
        int[] outShape = expected.Shape;
        var input = Harness.ToLibrary<T>(x, c.Shape, layout);
        var output = MaxPoolSweepTests.Garbage<T>(g.OutputLength);
        LpPool.Forward<T>(g, input, p, output, LpFlavor.Torch);
        var actual = Harness.FromLibrary(output, outShape, layout);
        double rtol = Harness.Tolerance<T>();
        string? problem = Harness.Close(Powers(expected.Values, p), Powers(actual, p), scale, rtol, "forward y^p");
        if (problem is not null || !(c.Kind is DataKind.Positive or DataKind.Ties || (c.Kind == DataKind.Normal && p == 2)))
        {
            return problem;
        }

        var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, expected.Values.Length, rng));
        var dxExpected = NaiveOracle.TorchLpPoolBackward(x, gy, c.Shape, axes, p);
        var dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
        LpPool.Backward<T>(g, input, p, Harness.ToLibrary<T>(gy, outShape, layout), dx, LpFlavor.Torch);
        return Harness.CloseToMax(dxExpected, Harness.FromLibrary(dx, c.Shape, layout), rtol * 10, "backward");
    }

    private static string? Onnx<T>(SlidingCase c, TensorLayout layout, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!c.OnnxValid())
        {
            return MaxPoolSweepTests.Throws(() => c.OnnxGeometry(layout));
        }

        var g = c.OnnxGeometry(layout);
        var axes = c.OnnxAxes();
        var rng = new Random(c.Seed);
        var x = Harness.RoundTrip<T>(TestData.Make(c.Kind, TestData.Volume(c.Shape), rng));
        var expected = NaiveOracle.OnnxLpPool(x, c.Shape, axes, p);
        int[] outShape = expected.Shape;
        var input = Harness.ToLibrary<T>(x, c.Shape, layout);
        var output = MaxPoolSweepTests.Garbage<T>(g.OutputLength);
        LpPool.Forward<T>(g, input, p, output, LpFlavor.Onnx);
        var expectedPowers = Powers(expected.Values, p);
        double rtol = Harness.Tolerance<T>();
        string? problem = Harness.Close(expectedPowers, Powers(Harness.FromLibrary(output, outShape, layout), p), expectedPowers, rtol, "forward y^p");
        if (problem is not null || c.Kind is DataKind.NaNs or DataKind.NegativeInfinity)
        {
            return problem;
        }

        var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, expected.Values.Length, rng));
        var dxExpected = NaiveOracle.OnnxLpPoolBackward(x, gy, c.Shape, axes, p);
        var dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
        LpPool.Backward<T>(g, input, p, Harness.ToLibrary<T>(gy, outShape, layout), dx, LpFlavor.Onnx);
        return Harness.CloseToMax(dxExpected, Harness.FromLibrary(dx, c.Shape, layout), rtol * 10, "backward");
    }

    private static double[] Powers(double[] values, double p) => values.Select(v => Math.Pow(v, p)).ToArray();
}
