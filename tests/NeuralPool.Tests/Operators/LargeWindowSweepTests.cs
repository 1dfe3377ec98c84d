using NeuralPool.Geometry;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// Large windows at stride 1 (5 to 11 taps per axis), which take the block (van Herk) sliding path in
/// both layouts: random shapes from smaller than the window to several blocks long, symmetric and
/// asymmetric padding, ceil mode, every divisor rule, channel counts around the vector width, depth
/// slices (3-D with one depth tap), and NaN / tie / -inf data (NaN sends max pooling to its exact
/// fallback), against the oracle.
/// </summary>
public sealed class LargeWindowSweepTests
{
    private static readonly DataKind[] Kinds = [DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity, DataKind.SignedZeros];
    private static readonly int[] Channels = [1, 3, 8, 9, 17, 40];

    public static TheoryData<TensorLayout, string> Configs()
    {
        var data = new TheoryData<TensorLayout, string>();
        foreach (var layout in new[] { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast })
        {
            data.Add(layout, "float");
            data.Add(layout, "double");
        }

        return data;
    }

    private static IEnumerable<SlidingCase> Cases(int seed, int samples)
    {
        var rng = new Random(seed);
        for (int i = 0; i < samples; i++)
        {
            bool threeD = i % 5 == 4;
            int kh = rng.Next(5, 12), kw = rng.Next(5, 12);
            int h = rng.Next(Math.Max(1, kh - 4), 4 * kh), w = rng.Next(Math.Max(1, kw - 4), 4 * kw);
            int ph = rng.Next(0, (kh / 2) + 1), pw = rng.Next(0, (kw / 2) + 1);
            int n = rng.Next(1, 3), c = Channels[rng.Next(Channels.Length)];
            int[] shape = threeD ? [n, c, rng.Next(1, 4), h, w] : [n, c, h, w];
            int[] kernel = threeD ? [1, kh, kw] : [kh, kw];
            int[] stride = threeD ? [rng.Next(1, 3), 1, 1] : [1, 1];
            int[] pad = threeD ? [0, ph, pw] : [ph, pw];
            int[] padEnd = i % 3 == 2 ? pad.Select(p => p == 0 ? 0 : p - 1).ToArray() : pad;
            int[] dilation = threeD ? [1, 1, 1] : [1, 1];
            yield return new SlidingCase(shape, kernel, stride, pad, padEnd, dilation, rng.Next(2) == 0, OracleAutoPad.NotSet,
                Kinds[i % Kinds.Length], seed + i);
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void LargeWindows_MatchOracle(TensorLayout layout, string type)
    {
        var failures = new Failures();
        int i = 0;
        foreach (var c in Cases(9100, 160))
        {
            i++;
            bool symmetric = c.PadBegin.SequenceEqual(c.PadEnd);
            if (symmetric && c.TorchValid())
            {
                failures.Count();
                var max = c.TorchGeometry(layout, TorchPoolKind.Max);
                failures.Add($"torch max {type} {layout} {c}", type == "float"
                    ? MaxPoolSweepTests.Check<float>(c, layout, max, c.TorchAxes(), onnx: false)
                    : MaxPoolSweepTests.Check<double>(c, layout, max, c.TorchAxes(), onnx: false));

                if (c.Rank == 3 && Enumerable.Range(0, 3).Any(a => c.Shape[2 + a] < c.Kernel[a]))
                {
                    continue; // torch avg_pool3d rejects an input smaller than the kernel (covered by the rule tests)
                }

                bool include = i % 2 == 0;
                int? divisor = i % 7 == 3 ? 5 : null;
                var avg = c.TorchGeometry(layout, TorchPoolKind.Average);
                failures.Count();
                failures.Add($"torch avg {type} {layout} {c} count_include_pad {include} divisor {divisor}", type == "float"
                    ? AvgPoolSweepTests.Check<float>(c, layout, avg, c.TorchAxes(), include, divisor)
                    : AvgPoolSweepTests.Check<double>(c, layout, avg, c.TorchAxes(), include, divisor));
            }
            else if (c.OnnxValid())
            {
                failures.Count();
                var g = c.OnnxGeometry(layout);
                failures.Add($"onnx max {type} {layout} {c}", type == "float"
                    ? MaxPoolSweepTests.Check<float>(c, layout, g, c.OnnxAxes(), onnx: true)
                    : MaxPoolSweepTests.Check<double>(c, layout, g, c.OnnxAxes(), onnx: true));
                failures.Count();
                failures.Add($"onnx avg {type} {layout} {c}", type == "float"
                    ? AvgPoolSweepTests.Check<float>(c, layout, g, c.OnnxAxes(), i % 2 == 0, null)
                    : AvgPoolSweepTests.Check<double>(c, layout, g, c.OnnxAxes(), i % 2 == 0, null));
            }
        }

        failures.AssertNone();
    }
}
