using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// A plane's result does not depend on the batch it comes in: pooling N·C planes at once gives, bit for
/// bit, what pooling each plane alone gives, whichever kernel path (row-wise, plane blocks, whole planes)
/// the geometry selects, and however the planes fall into blocks.
/// </summary>
public class BatchInvarianceTests
{
    public static TheoryData<string, int, int, int, int, int, bool> Cases => new()
    {
        // name, H, W, kernel, stride, padding, average
        { "global 7x7", 7, 7, 7, 1, 0, true },
        { "global 5x5 max", 5, 5, 5, 1, 0, false },
        { "2x2 s2", 12, 12, 2, 2, 0, false },
        { "3x3 s1 p1 avg", 9, 11, 3, 1, 1, true },
        { "3x3 s2 p1", 13, 15, 3, 2, 1, false },
        { "7x7 s1 p3 avg", 14, 13, 7, 1, 3, true },
        { "7x7 s1 p3 max", 14, 13, 7, 1, 3, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Batch_EqualsPlaneByPlane(string name, int h, int w, int k, int s, int p, bool average)
    {
        _ = name;
        const int planes = 11;
        var x = TestData.Make(DataKind.NaNs, (long)planes * h * w, new Random(h * 31 + w));
        Check(x.Select(v => (float)v).ToArray(), planes, h, w, k, s, p, average);
        Check(x, planes, h, w, k, s, p, average);
    }

    private static void Check<T>(T[] x, int planes, int h, int w, int k, int s, int p, bool average)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        PoolGeometry Geometry(int n) => PoolGeometry.Torch([n, 1, h, w], TensorLayout.ChannelsFirst, 2, [k], [s], [p], [], false,
            average ? TorchPoolKind.Average : TorchPoolKind.Max);
        void Run(in PoolGeometry g, ReadOnlySpan<T> input, Span<T> output)
        {
            if (average)
            {
                AvgPool.Forward(g, input, output, countIncludePad: false);
            }
            else
            {
                MaxPool.Forward(g, input, output);
            }
        }

        var all = Geometry(planes);
        var one = Geometry(1);
        var batch = new T[all.OutputLength];
        Run(all, x, batch);
        var single = new T[one.OutputLength];
        for (int i = 0; i < planes; i++)
        {
            Run(one, x.AsSpan(i * h * w, h * w), single);
            for (int o = 0; o < single.Length; o++)
            {
                T a = batch[(i * single.Length) + o], b = single[o];
                Assert.True(a.Equals(b) || (T.IsNaN(a) && T.IsNaN(b)), $"{typeof(T).Name} plane {i} output {o}: batch {a}, alone {b}");
            }
        }
    }
}
