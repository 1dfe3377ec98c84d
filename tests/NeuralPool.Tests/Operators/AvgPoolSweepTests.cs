using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Average pooling (PyTorch and ONNX geometry, every divisor rule), forward and backward, against the oracle.</summary>
public sealed class AvgPoolSweepTests
{
    private static readonly int[] Overrides = [1, 2, 3, 5, 7, -3];

    public static TheoryData<int, TensorLayout, string> Configs => Harness.Configs();

    [Theory]
    [MemberData(nameof(Configs))]
    public void TorchAvgPool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        int i = 0;
        foreach (var c in SweepCases.Torch(rank, 3000 + rank, dilation: false, padding: true, samples: rank == 2 ? 700 : 400))
        {
            foreach (int variant in new[] { 0, 1, 2 })
            {
                bool countIncludePad = variant == 0 || (variant == 2 && i % 2 == 0);
                int? divisor = variant == 2 ? Overrides[i % Overrides.Length] : null;
                failures.Count();
                failures.Add(
                    $"torch avg_pool{rank}d {type} {layout} {c} count_include_pad {countIncludePad} divisor_override {divisor?.ToString() ?? "none"}",
                    type == "float" ? Torch<float>(c, layout, countIncludePad, divisor) : Torch<double>(c, layout, countIncludePad, divisor));
            }

            i++;
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void OnnxAveragePool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        int i = 0;
        foreach (var c in SweepCases.Onnx(rank, 4000 + rank, samples: rank == 1 ? 2000 : 700))
        {
            bool countIncludePad = i++ % 2 == 1;
            failures.Count();
            failures.Add(
                $"onnx AveragePool {rank}d {type} {layout} {c} count_include_pad {countIncludePad}",
                type == "float" ? Onnx<float>(c, layout, countIncludePad) : Onnx<double>(c, layout, countIncludePad));
        }

        failures.AssertNone();
    }

    private static string? Torch<T>(SlidingCase c, TensorLayout layout, bool countIncludePad, int? divisor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!c.TorchValid())
        {
            return MaxPoolSweepTests.Throws(() => c.TorchGeometry(layout, TorchPoolKind.Average));
        }

        if (c.Rank == 3 && Enumerable.Range(0, 3).Any(a => c.Shape[2 + a] < c.Kernel[a]))
        {
            // torch 1.13 avg_pool3d: "input image ... smaller than kernel size".
            return MaxPoolSweepTests.Throws(() => c.TorchGeometry(layout, TorchPoolKind.Average));
        }

        return Check<T>(c, layout, c.TorchGeometry(layout, TorchPoolKind.Average), c.TorchAxes(), countIncludePad, divisor);
    }

    private static string? Onnx<T>(SlidingCase c, TensorLayout layout, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!c.OnnxValid())
        {
            return MaxPoolSweepTests.Throws(() => c.OnnxGeometry(layout));
        }

        return Check<T>(c, layout, c.OnnxGeometry(layout), c.OnnxAxes(), countIncludePad, null);
    }

    internal static string? Check<T>(SlidingCase c, TensorLayout layout, PoolGeometry g, OracleAxis[] axes, bool countIncludePad, int? divisor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(c.Seed);
        var x = Harness.RoundTrip<T>(TestData.Make(c.Kind, TestData.Volume(c.Shape), rng));
        var expected = NaiveOracle.AvgPool(x, c.Shape, axes, countIncludePad, divisor);
        var scale = NaiveOracle.AvgPool(x.Select(Math.Abs).ToArray(), c.Shape, axes, countIncludePad, divisor).Values;
        int[] outShape = expected.Shape;
        if (!Harness.Shape(outShape, layout).SequenceEqual(g.OutputShape))
        {
            return $"output shape {Harness.Format(g.OutputShape)}, expected {Harness.Format(Harness.Shape(outShape, layout))}";
        }

        double rtol = Harness.Tolerance<T>();
        var output = MaxPoolSweepTests.Garbage<T>(g.OutputLength);
        AvgPool.Forward<T>(g, Harness.ToLibrary<T>(x, c.Shape, layout), output, countIncludePad, divisor);
        string? problem = Harness.Close(expected.Values, Harness.FromLibrary(output, outShape, layout), scale, rtol, "forward");
        if (problem is not null)
        {
            return problem;
        }

        var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, expected.Values.Length, rng));
        var dxExpected = NaiveOracle.AvgPoolBackward(gy, c.Shape, axes, countIncludePad, divisor);
        var dxScale = NaiveOracle.AvgPoolBackward(gy.Select(Math.Abs).ToArray(), c.Shape, axes, countIncludePad, divisor);
        var dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
        AvgPool.Backward<T>(g, Harness.ToLibrary<T>(gy, outShape, layout), dx, countIncludePad, divisor);
        return Harness.Close(dxExpected, Harness.FromLibrary(dx, c.Shape, layout), dxScale, rtol, "backward");
    }
}
