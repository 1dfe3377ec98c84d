using BenchmarkDotNet.Attributes;
using NeuralPool.Bench.Runner;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Bench.Micro;

/// <summary>
/// The span API with caller-provided outputs on three suite cases, in both layouts, with 1 and 2 library
/// threads. Allocated must be 0 B: the geometry and every buffer are built in <see cref="Setup"/>, not per call.
/// </summary>
[MemoryDiagnoser]
public class PoolingBenchmarks
{
    private PoolGeometry _stem;      // resnet_stem_max3s2: max_pool2d 3x3 s2 p1 on 8x64x112x112
    private PoolGeometry _vgg;       // vgg_avg2s2_bwd: avg_pool2d 2x2 s2 backward on 8x128x112x112
    private float[] _stemInput = [];
    private float[] _stemOutput = [];
    private long[] _stemIndices = [];
    private float[] _vggGradOutput = [];
    private float[] _vggGradInput = [];

    [ParamsAllValues]
    public TensorLayout Layout { get; set; }

    /// <summary>NeuralPool's thread count (PoolSettings.MaxDegreeOfParallelism when the library has it).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        LibraryThreads.Set(Threads);
        int[] stemShape = Layout == TensorLayout.ChannelsFirst ? [8, 64, 112, 112] : [8, 112, 112, 64];
        _stem = PoolGeometry.Torch(stemShape, Layout, 2, [3, 3], [2, 2], [1, 1], [], ceilMode: false, TorchPoolKind.Max);
        _stemInput = Random(_stem.InputLength, 1);
        _stemOutput = new float[_stem.OutputLength];
        _stemIndices = new long[_stem.OutputLength];

        int[] vggShape = Layout == TensorLayout.ChannelsFirst ? [8, 128, 112, 112] : [8, 112, 112, 128];
        _vgg = PoolGeometry.Torch(vggShape, Layout, 2, [2, 2], [2, 2], [], [], ceilMode: false, TorchPoolKind.Average);
        _vggGradOutput = Random(_vgg.OutputLength, 2);
        _vggGradInput = new float[_vgg.InputLength];
    }

    /// <summary>resnet_stem_max3s2: max_pool2d(kernel 3, stride 2, padding 1), no indices.</summary>
    [Benchmark]
    public void ResnetStemMax3s2() => MaxPool.Forward<float>(_stem, _stemInput, _stemOutput);

    /// <summary>resnet_stem_max3s2_indices: the same with return_indices (plane-local indices).</summary>
    [Benchmark]
    public void ResnetStemMax3s2Indices() => MaxPool.Forward<float>(_stem, _stemInput, _stemOutput, _stemIndices);

    /// <summary>vgg_avg2s2_bwd: avg_pool2d(kernel 2, stride 2) backward; overwrites grad_input.</summary>
    [Benchmark]
    public void VggAvg2s2Backward() => AvgPool.Backward<float>(_vgg, _vggGradOutput, _vggGradInput);

    private static float[] Random(long length, int seed)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (long i = 0; i < length; i++)
        {
            a[i] = (float)((rng.NextDouble() * 8) - 4);
        }

        return a;
    }
}
