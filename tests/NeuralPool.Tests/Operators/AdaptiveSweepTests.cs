using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>Adaptive and global max/average (and global Lp) pooling, forward and backward, against the oracle.</summary>
public sealed class AdaptiveSweepTests
{
    public static TheoryData<int, TensorLayout, string> Configs => Harness.Configs();

    [Theory]
    [MemberData(nameof(Configs))]
    public void AdaptivePooling_MatchesOracle(int rank, TensorLayout layout, string type)
    {
        var failures = new Failures();
        var rng = new Random(7000 + rank);
        var kinds = new[] { DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity, DataKind.SignedZeros };
        for (int i = 0; i < (rank == 1 ? 800 : 400); i++)
        {
            int[] shape = SweepCases.RandomShape(rank, rng);
            int[] outSize = new int[rank];
            for (int a = 0; a < rank; a++)
            {
                outSize[a] = Harness.Sizes[rng.Next(Harness.Sizes.Length)];
            }

            while (TestData.Volume(outSize) * shape[1] > 6000)
            {
                outSize[rng.Next(rank)] = 1 + rng.Next(3);
            }

            bool global = i % 10 == 0;
            if (global)
            {
                Array.Fill(outSize, 1);
            }

            var kind = kinds[i % kinds.Length];
            string name = $"adaptive{rank}d {type} {layout} shape {Harness.Format(shape)} out {Harness.Format(outSize)} global {global} data {kind} seed {i}";
            failures.Count();
            failures.Add(name, type == "float" ? Check<float>(shape, outSize, global, layout, kind, i) : Check<double>(shape, outSize, global, layout, kind, i));
        }

        failures.AssertNone();
    }

    private static string? Check<T>(int[] shape, int[] outSize, bool global, TensorLayout layout, DataKind kind, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var g = global ? PoolGeometry.Global(Harness.Shape(shape, layout), layout) : PoolGeometry.Adaptive(Harness.Shape(shape, layout), layout, shape.Length - 2, outSize);
        var rng = new Random(seed);
        var x = Harness.RoundTrip<T>(TestData.Make(kind, TestData.Volume(shape), rng));
        var input = Harness.ToLibrary<T>(x, shape, layout);
        var max = NaiveOracle.AdaptiveMaxPool(x, shape, outSize);
        int[] outShape = max.Shape;
        if (!Harness.Shape(outShape, layout).SequenceEqual(g.OutputShape))
        {
            return $"output shape {Harness.Format(g.OutputShape)}, expected {Harness.Format(Harness.Shape(outShape, layout))}";
        }

        double rtol = Harness.Tolerance<T>();
        var values = new T[g.OutputLength];
        var plain = new T[g.OutputLength];
        var indices = new long[g.OutputLength];
        MaxPool.Forward<T>(g, input, values, indices);
        MaxPool.Forward<T>(g, input, plain);
        string? problem = Harness.ExactSigned(max.Values, Harness.FromLibrary(values, outShape, layout), "max values")
            ?? Harness.ExactSigned(max.Values, Harness.FromLibrary(plain, outShape, layout), "max values (no indices)")
            ?? Harness.Exact(max.Indices, Harness.FromLibrary(indices, outShape, layout), "max indices");
        if (problem is not null)
        {
            return problem;
        }

        var gy = Harness.RoundTrip<T>(TestData.Make(DataKind.Normal, max.Values.Length, rng));
        var gyLib = Harness.ToLibrary<T>(gy, outShape, layout);
        var dxMax = NaiveOracle.MaxPoolBackward(gy, max.Indices, shape, outShape);
        var dxMaxScale = NaiveOracle.MaxPoolBackward(gy.Select(Math.Abs).ToArray(), max.Indices, shape, outShape);
        var dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
        MaxPool.Backward<T>(g, gyLib, indices, dx);
        problem = Harness.Close(dxMax, Harness.FromLibrary(dx, shape, layout), dxMaxScale, rtol, "max backward(indices)");
        dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
        MaxPool.Backward<T>(g, input, gyLib, dx);
        problem ??= Harness.Close(dxMax, Harness.FromLibrary(dx, shape, layout), dxMaxScale, rtol, "max backward(input)");
        if (problem is not null)
        {
            return problem;
        }

        var axes = NaiveOracle.AdaptiveAxes(shape, outSize);
        var avg = NaiveOracle.AdaptiveAvgPool(x, shape, outSize);
        var avgScale = NaiveOracle.AdaptiveAvgPool(x.Select(Math.Abs).ToArray(), shape, outSize).Values;
        var output = MaxPoolSweepTests.Garbage<T>(g.OutputLength);
        AvgPool.Forward<T>(g, input, output);
        problem = Harness.Close(avg.Values, Harness.FromLibrary(output, outShape, layout), avgScale, rtol, "avg forward");
        if (problem is not null)
        {
            return problem;
        }

        var dxAvg = NaiveOracle.AvgPoolBackward(gy, shape, axes, countIncludePad: false, divisorOverride: null);
        var dxAvgScale = NaiveOracle.AvgPoolBackward(gy.Select(Math.Abs).ToArray(), shape, axes, countIncludePad: false, divisorOverride: null);
        dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
        AvgPool.Backward<T>(g, gyLib, dx);
        problem = Harness.Close(dxAvg, Harness.FromLibrary(dx, shape, layout), dxAvgScale, rtol, "avg backward");
        if (problem is not null || !global)
        {
            return problem;
        }

        // ONNX GlobalLpPool, p = 2 and 3.
        foreach (int p in new[] { 2, 3 })
        {
            var lp = NaiveOracle.OnnxLpPool(x, shape, axes, p).Values.Select(v => Math.Pow(v, p)).ToArray();
            output = MaxPoolSweepTests.Garbage<T>(g.OutputLength);
            LpPool.Forward<T>(g, input, p, output, LpFlavor.Onnx);
            problem = Harness.Close(lp, Harness.FromLibrary(output, outShape, layout).Select(v => Math.Pow(v, p)).ToArray(), lp, rtol, $"global lp p {p}");
            if (problem is not null || kind is DataKind.NaNs or DataKind.NegativeInfinity)
            {
                return problem;
            }

            var dxLp = NaiveOracle.OnnxLpPoolBackward(x, gy, shape, axes, p);
            dx = MaxPoolSweepTests.Garbage<T>(g.InputLength);
            LpPool.Backward<T>(g, input, p, gyLib, dx, LpFlavor.Onnx);
            problem = Harness.CloseToMax(dxLp, Harness.FromLibrary(dx, shape, layout), rtol * 10, $"global lp p {p} backward");
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }
}
