using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Max unpooling (forward and its gather backward) and byte/sbyte max pooling, against the oracle.</summary>
public sealed class UnpoolAndIntegerSweepTests
{
    public static TheoryData<int, TensorLayout, string> Configs => Harness.Configs();

    public static TheoryData<int, TensorLayout, string> IntegerConfigs()
    {
        var data = new TheoryData<int, TensorLayout, string>();
        foreach (int rank in new[] { 1, 2, 3 })
        {
            foreach (var layout in new[] { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast })
            {
                data.Add(rank, layout, "byte");
                data.Add(rank, layout, "sbyte");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void MaxUnpool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        int i = 0;
        foreach (var c in SweepCases.Torch(rank, 8000 + rank, dilation: true, padding: true, samples: rank == 1 ? 0 : 300))
        {
            if (rank == 1 && i++ % 8 != 0)
            {
                continue; // an eighth of the exhaustive 1-D set is plenty for a scatter
            }

            if (!c.TorchValid())
            {
                continue;
            }

            failures.Count();
            failures.Add($"max_unpool{rank}d {type} {layout} {c}", type == "float" ? Unpool<float>(c, layout) : Unpool<double>(c, layout));
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(IntegerConfigs))]
    public void IntegerMaxPool_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        foreach (var c in SweepCases.Torch(rank, 9000 + rank, dilation: true, padding: true, samples: rank == 2 ? 600 : 400, kinds: [DataKind.Normal, DataKind.Ties]))
        {
            if (!c.TorchValid())
            {
                continue;
            }

            // Wider channel counts than the float sweeps: a byte vector has 32 (or 64) lanes.
            int[] shape = layout == TensorLayout.ChannelsLast && c.Seed % 3 == 0 && TestData.Volume(c.Shape) / c.Shape[1] * 40 <= 8000
                ? [c.Shape[0], 31 + (c.Seed % 9), .. c.Shape[2..]]
                : c.Shape;
            var wide = c with { Shape = shape };
            failures.Count();
            failures.Add($"max_pool{rank}d {type} {layout} {wide}", type == "byte" ? Integer<byte>(wide, layout) : Integer<sbyte>(wide, layout));
        }

        foreach (var c in SweepCases.Onnx(rank, 9500 + rank, samples: 300, kinds: [DataKind.Normal, DataKind.Ties]))
        {
            if (!c.OnnxValid())
            {
                continue;
            }

            failures.Count();
            failures.Add($"onnx MaxPool{rank}d {type} {layout} {c}", type == "byte" ? Integer<byte>(c, layout, onnx: true) : Integer<sbyte>(c, layout, onnx: true));
        }

        failures.AssertNone();
    }

    private static string? Unpool<T>(SlidingCase c, TensorLayout layout)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var rng = new Random(c.Seed);
        var x = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, TestData.Volume(c.Shape), rng));
        var pooled = NaiveOracle.MaxPool(x, c.Shape, c.TorchAxes());
        int[] outSpatial = c.Shape[2..];
        int[] pooledShape = pooled.Shape;
        long outPlane = TestData.Volume(outSpatial);
        long pooledPlane = TestData.Volume(pooledShape[2..]);

        // Two index sets: the pooling's own, and random ones full of duplicates.
        var random = pooled.Indices.Select(_ => (long)(rng.Next(2) == 0 ? rng.Next((int)outPlane) : rng.Next((int)Math.Min(outPlane, 3)))).ToArray();
        foreach (var indices in new[] { pooled.Indices, random })
        {
            if (indices.Contains(-1))
            {
                continue; // an empty (dilated) window: nothing to unpool
            }

            var expected = NaiveOracle.MaxUnpool(pooled.Values, indices, pooledShape, outSpatial);
            int[] outShape = [pooledShape[0], pooledShape[1], .. outSpatial];
            var values = Harness.ToLibrary<T>(pooled.Values, pooledShape, layout);
            var idx = Harness.ToLibrary(indices, pooledShape, layout);
            var output = MaxPoolSweepTests.Garbage<T>(expected.Length);
            MaxUnpool.Forward<T>(layout, Harness.Shape(pooledShape, layout), values, idx, outSpatial, output);
            string? problem = Harness.Exact(expected, Harness.FromLibrary(output, outShape, layout), "unpool (plane indices)");

            var flat = indices.Select((v, i) => (i / pooledPlane * outPlane) + v).ToArray();
            output = MaxPoolSweepTests.Garbage<T>(expected.Length);
            MaxUnpool.Forward<T>(layout, Harness.Shape(pooledShape, layout), values, Harness.ToLibrary(flat, pooledShape, layout), outSpatial, output, IndexEncoding.OnnxRowMajor);
            problem ??= Harness.Exact(expected, Harness.FromLibrary(output, outShape, layout), "unpool (ONNX flat indices)");

            var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, expected.Length, rng));
            var dxExpected = NaiveOracle.MaxUnpoolBackward(gy, indices, pooledShape, outSpatial);
            var dx = MaxPoolSweepTests.Garbage<T>(dxExpected.Length);
            MaxUnpool.Backward<T>(layout, Harness.Shape(pooledShape, layout), idx, outSpatial, Harness.ToLibrary<T>(gy, outShape, layout), dx);
            problem ??= Harness.Exact(dxExpected, Harness.FromLibrary(dx, pooledShape, layout), "unpool backward");
            dx = MaxPoolSweepTests.Garbage<T>(dxExpected.Length);
            MaxUnpool.Backward<T>(layout, Harness.Shape(pooledShape, layout), Harness.ToLibrary(flat, pooledShape, layout), outSpatial,
                Harness.ToLibrary<T>(gy, outShape, layout), dx, IndexEncoding.OnnxRowMajor);
            problem ??= Harness.Exact(dxExpected, Harness.FromLibrary(dx, pooledShape, layout), "unpool backward (ONNX flat indices)");
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? Integer<T>(SlidingCase c, TensorLayout layout, bool onnx = false)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var g = onnx ? c.OnnxGeometry(layout) : c.TorchGeometry(layout, TorchPoolKind.Max);
        var rng = new Random(c.Seed);
        double lo = double.CreateChecked(T.MinValue), hi = double.CreateChecked(T.MaxValue);
        var x = TestData.Make(DataKind.Normal, TestData.Volume(c.Shape), rng)
            .Select(v => c.Kind == DataKind.Ties ? Math.Clamp(Math.Round(v), Math.Max(lo, -2), 2) : Math.Floor(lo + ((hi - lo + 1) * rng.NextDouble())))
            .ToArray();
        var expected = NaiveOracle.MaxPool(x, c.Shape, onnx ? c.OnnxAxes() : c.TorchAxes());
        // An empty window yields the type's minimum for integers (the oracle's -inf).
        var expectedValues = expected.Values.Select(v => double.IsNegativeInfinity(v) ? lo : v).ToArray();
        int[] outShape = expected.Shape;
        var input = Harness.ToLibrary<T>(x, c.Shape, layout);
        var plain = new T[g.OutputLength];
        MaxPool.Forward<T>(g, input, plain);
        var values = new T[g.OutputLength];
        var indices = new long[g.OutputLength];
        MaxPool.Forward<T>(g, input, values, indices);
        return Harness.Exact(expectedValues, Harness.FromLibrary(plain, outShape, layout), "values (no indices)")
            ?? Harness.Exact(expectedValues, Harness.FromLibrary(values, outShape, layout), "values")
            ?? Harness.Exact(expected.Indices, Harness.FromLibrary(indices, outShape, layout), "indices");
    }
}
