using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Max pooling (PyTorch and ONNX geometry), forward with and without indices and both backward overloads, against the
/// oracle; forward values bit for bit, so windows whose maximum is a zero of either sign (signed-zero data) must return
/// the first zero of PyTorch's row-major scan whatever order a kernel reduces in.
/// </summary>
public sealed class MaxPoolSweepTests
{
    public static TheoryData<int, TensorLayout, string> Configs => Harness.Configs();

    [Theory]
    [MemberData(nameof(Configs))]
    public void TorchMaxPool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        foreach (var c in SweepCases.Torch(rank, 1000 + rank, dilation: true, padding: true, samples: rank == 2 ? 900 : 500))
        {
            failures.Count();
            failures.Add($"torch max_pool{rank}d {type} {layout} {c}", type == "float" ? Torch<float>(c, layout) : Torch<double>(c, layout));
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void OnnxMaxPool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        foreach (var c in SweepCases.Onnx(rank, 2000 + rank, samples: rank == 1 ? 2000 : 700))
        {
            failures.Count();
            failures.Add($"onnx MaxPool {rank}d {type} {layout} {c}", type == "float" ? Onnx<float>(c, layout) : Onnx<double>(c, layout));
        }

        failures.AssertNone();
    }

    private static string? Torch<T>(SlidingCase c, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        if (!c.TorchValid())
        {
            return Throws(() => c.TorchGeometry(layout, TorchPoolKind.Max));
        }

        return Check<T>(c, layout, c.TorchGeometry(layout, TorchPoolKind.Max), c.TorchAxes(), onnx: false);
    }

    private static string? Onnx<T>(SlidingCase c, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        if (!c.OnnxValid())
        {
            return Throws(() => c.OnnxGeometry(layout));
        }

        return Check<T>(c, layout, c.OnnxGeometry(layout), c.OnnxAxes(), onnx: true);
    }

    internal static string? Throws(Func<PoolGeometry> make)
    {
        try
        {
            var g = make();
            return $"expected ArgumentException for an empty output, got output shape {Harness.Format(g.OutputShape)}";
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    internal static string? Check<T>(SlidingCase c, TensorLayout layout, PoolGeometry g, OracleAxis[] axes, bool onnx)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var rng = new Random(c.Seed);
        var x = Harness.RoundTrip<T>(TestData.Make(c.Kind, TestData.Volume(c.Shape), rng));
        var expected = NaiveOracle.MaxPool(x, c.Shape, axes);
        int[] outShape = expected.Shape;
        string? problem = Harness.Exact(Harness.Shape(outShape, layout).Select(v => (long)v).ToArray(), g.OutputShape.Select(v => (long)v).ToArray(), "output shape");
        if (problem is not null)
        {
            return problem;
        }

        var input = Harness.ToLibrary<T>(x, c.Shape, layout);
        var plain = new T[g.OutputLength];
        MaxPool.Forward<T>(g, input, plain);
        problem = Harness.ExactSigned(expected.Values, Harness.FromLibrary(plain, outShape, layout), "values (no indices)");
        if (problem is not null)
        {
            return problem;
        }

        var values = new T[g.OutputLength];
        var indices = new long[g.OutputLength];
        MaxPool.Forward<T>(g, input, values, indices);
        problem = Harness.ExactSigned(expected.Values, Harness.FromLibrary(values, outShape, layout), "values")
            ?? Harness.Exact(expected.Indices, Harness.FromLibrary(indices, outShape, layout), "plane indices");
        if (problem is not null)
        {
            return problem;
        }

        // Backward, both overloads, into garbage-filled buffers (Backward overwrites).
        var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, expected.Values.Length, rng));
        var gyAbs = gy.Select(Math.Abs).ToArray();
        var dxExpected = NaiveOracle.MaxPoolBackward(gy, expected.Indices, c.Shape, outShape);
        var scale = NaiveOracle.MaxPoolBackward(gyAbs, expected.Indices, c.Shape, outShape);
        var gyLib = Harness.ToLibrary<T>(gy, outShape, layout);
        var dx = Garbage<T>(g.InputLength);
        MaxPool.Backward<T>(g, gyLib, indices, dx);
        problem = Harness.Close(dxExpected, Harness.FromLibrary(dx, c.Shape, layout), scale, Harness.Tolerance<T>(), "backward(indices)");
        if (problem is not null)
        {
            return problem;
        }

        dx = Garbage<T>(g.InputLength);
        MaxPool.Backward<T>(g, input, gyLib, dx);
        problem = Harness.Close(dxExpected, Harness.FromLibrary(dx, c.Shape, layout), scale, Harness.Tolerance<T>(), "backward(input)");
        if (problem is not null || !onnx)
        {
            return problem;
        }

        foreach (bool columnMajor in new[] { false, true })
        {
            var encoding = columnMajor ? IndexEncoding.OnnxColumnMajor : IndexEncoding.OnnxRowMajor;
            var onnxIndices = new long[g.OutputLength];
            MaxPool.Forward<T>(g, input, values, onnxIndices, encoding);
            var expectedOnnx = NaiveOracle.OnnxIndices(expected.Indices, c.Shape, outShape, columnMajor);
            problem = Harness.Exact(expectedOnnx, Harness.FromLibrary(onnxIndices, outShape, layout), $"{encoding} indices");
            if (problem is not null)
            {
                return problem;
            }

            if (expected.Indices.Contains(-1))
            {
                continue; // an empty window; see RuleTests.OnnxBackward_AcceptsEmptyWindowIndex
            }

            dx = Garbage<T>(g.InputLength);
            MaxPool.Backward<T>(g, gyLib, onnxIndices, dx, encoding);
            problem = Harness.Close(dxExpected, Harness.FromLibrary(dx, c.Shape, layout), scale, Harness.Tolerance<T>(), $"backward({encoding})");
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    internal static T[] Garbage<T>(long length)
        where T : INumberBase<T> => Enumerable.Repeat(T.CreateChecked(-12345), (int)length).ToArray();
}
