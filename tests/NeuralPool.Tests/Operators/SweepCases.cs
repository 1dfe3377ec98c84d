using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>One sliding-window configuration of a sweep (channels-first shape; per-axis parameters).</summary>
internal sealed record SlidingCase(
    int[] Shape, int[] Kernel, int[] Stride, int[] PadBegin, int[] PadEnd, int[] Dilation, bool Ceil,
    OracleAutoPad AutoPad, DataKind Kind, int Seed)
{
    public int Rank => Shape.Length - 2;

    /// <summary>ONNX pads: all begins, then all ends.</summary>
    public int[] Pads => [.. PadBegin, .. PadEnd];

    public override string ToString() =>
        $"shape {Harness.Format(Shape)} k {Harness.Format(Kernel)} s {Harness.Format(Stride)} pads {Harness.Format(PadBegin)}/{Harness.Format(PadEnd)} " +
        $"d {Harness.Format(Dilation)} ceil {Ceil} auto_pad {AutoPad} data {Kind} seed {Seed}";

    /// <summary>True when every axis has at least one output under PyTorch's rule (else the library must throw).</summary>
    public bool TorchValid()
    {
        for (int a = 0; a < Rank; a++)
        {
            if (NaiveOracle.OutputSize(Shape[2 + a], Kernel[a], Stride[a], PadBegin[a], PadBegin[a], Dilation[a], Ceil) < 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when every axis has at least one output under ONNX's rules (else the library must throw).</summary>
    public bool OnnxValid()
    {
        for (int a = 0; a < Rank; a++)
        {
            int o = AutoPad == OracleAutoPad.NotSet
                ? NaiveOracle.OutputSize(Shape[2 + a], Kernel[a], Stride[a], PadBegin[a], PadEnd[a], Dilation[a], Ceil)
                : NaiveOracle.OnnxAutoPadding(Shape[2 + a], Kernel[a], Stride[a], Dilation[a], AutoPad).Output;
            if (o < 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The library's auto_pad value.</summary>
    public NeuralPool.Geometry.AutoPad LibraryAutoPad => AutoPad switch
    {
        OracleAutoPad.SameUpper => NeuralPool.Geometry.AutoPad.SameUpper,
        OracleAutoPad.SameLower => NeuralPool.Geometry.AutoPad.SameLower,
        OracleAutoPad.Valid => NeuralPool.Geometry.AutoPad.Valid,
        _ => NeuralPool.Geometry.AutoPad.NotSet,
    };

    /// <summary>The library geometry for PyTorch semantics in <paramref name="layout"/>.</summary>
    public NeuralPool.Geometry.PoolGeometry TorchGeometry(TensorLayout layout, NeuralPool.Geometry.TorchPoolKind kind) =>
        NeuralPool.Geometry.PoolGeometry.Torch(Harness.Shape(Shape, layout), layout, Rank, Kernel, Stride, PadBegin, Dilation, Ceil, kind);

    /// <summary>The library geometry for ONNX semantics in <paramref name="layout"/>.</summary>
    public NeuralPool.Geometry.PoolGeometry OnnxGeometry(TensorLayout layout) =>
        NeuralPool.Geometry.PoolGeometry.Onnx(Harness.Shape(Shape, layout), layout, Kernel, Stride, AutoPad == OracleAutoPad.NotSet ? Pads : [], Dilation, LibraryAutoPad, Ceil);

    /// <summary>The oracle's axes for PyTorch semantics (symmetric padding).</summary>
    public OracleAxis[] TorchAxes() => NaiveOracle.TorchAxes(Shape, Kernel, Stride, PadBegin, Dilation, Ceil);

    /// <summary>The oracle's axes for ONNX semantics.</summary>
    public OracleAxis[] OnnxAxes() => NaiveOracle.OnnxAxes(Shape, Kernel, Stride, Pads, Dilation, AutoPad, Ceil);
}

/// <summary>Parameter sweeps: exhaustive in 1-D (every geometry with every data kind), seeded random samples in 2-D and 3-D.</summary>
internal static class SweepCases
{
    private static readonly DataKind[] Kinds = [DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity, DataKind.SignedZeros, DataKind.SignedZerosAndNaNs];

    /// <summary>PyTorch-style cases: symmetric padding 0..k/2, optional dilation 1..3, strides 1..3, ceil on/off.</summary>
    /// <param name="rank">Spatial rank.</param>
    /// <param name="seed">Fixed seed of the sample.</param>
    /// <param name="dilation">Sweep dilation 1..3 (max pooling) or keep 1 (average, Lp).</param>
    /// <param name="padding">Sweep padding (max, average) or keep 0 (Lp).</param>
    /// <param name="samples">Random cases for ranks 2 and 3.</param>
    /// <param name="kinds">Data kinds to cycle through.</param>
    public static IEnumerable<SlidingCase> Torch(int rank, int seed, bool dilation, bool padding, int samples, DataKind[]? kinds = null)
    {
        kinds ??= Kinds;
        int[] dilations = dilation ? [1, 2, 3] : [1];
        if (rank == 1)
        {
            int i = 0;
            foreach (int w in Harness.Sizes)
            {
                for (int k = 1; k <= 4; k++)
                {
                    for (int p = 0; p <= (padding ? k / 2 : 0); p++)
                    {
                        for (int s = 1; s <= 3; s++)
                        {
                            foreach (int d in dilations)
                            {
                                foreach (bool ceil in new[] { false, true })
                                {
                                    // Every data kind on every geometry; channels and batch cycle.
                                    foreach (var kind in kinds)
                                    {
                                        int c = Harness.Channels[i % Harness.Channels.Length];
                                        yield return new SlidingCase([1 + (i / 7 % 2), c, w], [k], [s], [p], [p], [d], ceil, OracleAutoPad.NotSet, kind, seed + i);
                                        i++;
                                    }
                                }
                            }
                        }
                    }
                }
            }

            yield break;
        }

        var rng = new Random(seed);
        for (int i = 0; i < samples; i++)
        {
            int[] shape = RandomShape(rank, rng);
            int[] k = new int[rank], s = new int[rank], p = new int[rank], d = new int[rank];
            for (int a = 0; a < rank; a++)
            {
                k[a] = rng.Next(1, 5);
                s[a] = rng.Next(1, 4);
                p[a] = padding ? rng.Next(0, (k[a] / 2) + 1) : 0;
                d[a] = dilations[rng.Next(dilations.Length)];
            }

            yield return new SlidingCase(shape, k, s, p, p, d, rng.Next(2) == 1, OracleAutoPad.NotSet, kinds[i % kinds.Length], seed + i);
        }
    }

    /// <summary>ONNX-style cases: asymmetric pads below the effective kernel, strides and dilations 1..3, every auto_pad.</summary>
    public static IEnumerable<SlidingCase> Onnx(int rank, int seed, int samples, DataKind[]? kinds = null)
    {
        kinds ??= Kinds;
        var rng = new Random(seed);
        for (int i = 0; i < samples; i++)
        {
            int[] shape = rank == 1 ? [1 + rng.Next(2), Harness.Channels[rng.Next(Harness.Channels.Length)], Harness.Sizes[rng.Next(Harness.Sizes.Length)]] : RandomShape(rank, rng);
            var autoPad = rng.Next(10) switch
            {
                < 6 => OracleAutoPad.NotSet,
                6 => OracleAutoPad.SameUpper,
                7 => OracleAutoPad.SameLower,
                8 => OracleAutoPad.Valid,
                _ => OracleAutoPad.SameLower,
            };
            int[] k = new int[rank], s = new int[rank], pb = new int[rank], pe = new int[rank], d = new int[rank];
            for (int a = 0; a < rank; a++)
            {
                k[a] = rng.Next(1, 5);
                s[a] = rng.Next(1, 4);
                d[a] = rng.Next(1, 4);
                int effective = ((k[a] - 1) * d[a]) + 1;
                if (autoPad == OracleAutoPad.NotSet)
                {
                    pb[a] = rng.Next(0, Math.Min(effective, 4));
                    pe[a] = rng.Next(0, Math.Min(effective, 4));
                }
            }

            bool ceil = autoPad == OracleAutoPad.NotSet && rng.Next(2) == 1;
            yield return new SlidingCase(shape, k, s, pb, pe, d, ceil, autoPad, kinds[i % kinds.Length], seed + i);
        }
    }

    /// <summary>A random channels-first shape whose W axis and C axis come from the sweep sizes, bounded in volume.</summary>
    public static int[] RandomShape(int rank, Random rng)
    {
        int c = Harness.Channels[rng.Next(Harness.Channels.Length)];
        int w = Harness.Sizes[rng.Next(Harness.Sizes.Length)];
        if (rank == 1)
        {
            return [1 + rng.Next(2), c, w];
        }

        int[] small = [1, 2, 3, 5, 8];
        int h = rank == 2 ? Harness.Sizes[rng.Next(Harness.Sizes.Length)] : small[rng.Next(small.Length)];
        if (rank == 2)
        {
            if (h * w * c > 6000)
            {
                h = small[rng.Next(small.Length)];
            }

            return [h * w * c <= 3000 ? 1 + rng.Next(2) : 1, c, h, w];
        }

        int d = small[rng.Next(small.Length)];
        if (d * h * w * c > 6000)
        {
            d = 1 + rng.Next(3);
        }

        return [d * h * w * c <= 3000 ? 1 + rng.Next(2) : 1, c, d, h, w];
    }
}
