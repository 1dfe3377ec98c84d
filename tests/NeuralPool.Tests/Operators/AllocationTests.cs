using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// The span API with caller-provided buffers allocates nothing per call (after the first call has
/// warmed up the JIT and the worker threads), on one thread and split over the workers: the core pooling
/// operators, and the operators that reduce each window with a function of their own.
/// Runs alone: the count covers every thread of the process.
/// </summary>
[Collection(AllocationCollection.Name)]
public class AllocationTests
{
    public static TheoryData<TensorLayout> Layouts => new() { TensorLayout.ChannelsFirst, TensorLayout.ChannelsLast };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void SpanApi_AllocatesNothingPerCall(TensorLayout layout)
    {
        int[] shape = layout == TensorLayout.ChannelsFirst ? [2, 16, 20, 21] : [2, 20, 21, 16];
        var max = PoolGeometry.Torch(shape, layout, 2, [3], [2], [1], [], false, TorchPoolKind.Max);
        var max1 = PoolGeometry.Torch(shape, layout, 2, [3], [1], [1], [], false, TorchPoolKind.Max);
        var avg = PoolGeometry.Torch(shape, layout, 2, [2], [2], [], [], true, TorchPoolKind.Average);
        var gap = PoolGeometry.Global(shape, layout);
        var same3 = PoolGeometry.Torch(shape, layout, 2, [3], [1], [1], [], false, TorchPoolKind.Average); // the ring rows (channels-last)
        var wide = PoolGeometry.Torch(shape, layout, 2, [5], [1], [2], [], false, TorchPoolKind.Average); // the sliding (van Herk) path
        var seven = PoolGeometry.Torch(shape, layout, 2, [7], [1], [3], [], false, TorchPoolKind.Average); // 7 wide: slides in registers (channels-last)
        int[] smallShape = layout == TensorLayout.ChannelsFirst ? [2, 16, 13, 13] : [2, 13, 13, 16];
        var bins = PoolGeometry.Adaptive(smallShape, layout, 2, [7, 7]); // rows in one register (channels-first)
        int[] rowShape = layout == TensorLayout.ChannelsFirst ? [1, 4, 9, 112] : [1, 9, 112, 4];
        var stem = PoolGeometry.Torch(rowShape, layout, 2, [3], [2], [1], [], false, TorchPoolKind.Max); // max with indices on the planes (channels-first)
        int[] seqShape = layout == TensorLayout.ChannelsFirst ? [2, 64, 40] : [2, 40, 64];
        var seq = PoolGeometry.Torch(seqShape, layout, 1, [3], [2], [], [], false, TorchPoolKind.Max); // the tap passes (channels-last)
        var x = new float[max.InputLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (i * 7919 % 97) - 48;
        }

        var y = new float[max.OutputLength];
        var y1 = new float[max1.OutputLength];
        var idx = new long[max.OutputLength];
        var idx1 = new long[max1.OutputLength];
        var ya = new float[avg.OutputLength];
        var yg = new float[gap.OutputLength];
        var y3 = new float[same3.OutputLength];
        var yw = new float[wide.OutputLength];
        var y7 = new float[seven.OutputLength];
        var gx = new float[max.InputLength];
        var xs = new float[bins.InputLength];
        var ys = new float[bins.OutputLength];
        var xr = new float[stem.InputLength];
        var yr = new float[stem.OutputLength];
        var ir = new long[stem.OutputLength];
        var xq = new float[seq.InputLength];
        var yq = new float[seq.OutputLength];

        void Calls()
        {
            MaxPool.Forward(max, x, y);
            MaxPool.Forward(max, x, y, idx);
            MaxPool.Forward(max1, x, y1, idx1);
            MaxPool.Backward(max, y, idx, gx);
            AvgPool.Forward(avg, x, ya, countIncludePad: false);
            AvgPool.Backward(avg, ya, gx, countIncludePad: false);
            AvgPool.Forward(gap, x, yg);
            AvgPool.Forward(same3, x, y3, countIncludePad: false);
            MaxPool.Forward(wide, x, yw);
            AvgPool.Forward(wide, x, yw, countIncludePad: false);
            MaxPool.Forward(seven, x, y7);
            AvgPool.Forward(seven, x, y7);
            MaxPool.Forward(bins, xs, ys);
            MaxPool.Forward(stem, xr, yr, ir);
            MaxPool.Forward(seq, xq, yq);
            AvgPool.Forward(seq, xq, yq);
        }

        int saved = PoolSettings.MaxDegreeOfParallelism;
        try
        {
            // One thread: everything runs on this thread, whose own count is exact.
            PoolSettings.MaxDegreeOfParallelism = 1;
            Calls();
            Calls();

            // A full collection first: pooled scratch that the runtime may trim on a gen-2 collection must not be what the calls rely on.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int rep = 0; rep < 5; rep++)
            {
                Calls();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"1 thread, {layout}: {allocated} bytes allocated over 80 calls");

            // Two threads: the process-wide count also sees the runtime's own background work (tiered
            // compilation, the test runner), so the least over several rounds is what the calls cost.
            PoolSettings.MaxDegreeOfParallelism = 2;
            Calls();
            Calls();
            long least = long.MaxValue;
            for (int round = 0; round < 8; round++)
            {
                long start = GC.GetTotalAllocatedBytes(precise: true);
                Calls();
                least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - start);
            }

            Assert.True(least == 0, $"2 threads, {layout}: at least {least} bytes allocated per round of 16 calls");
        }
        finally
        {
            PoolSettings.MaxDegreeOfParallelism = saved;
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void PerWindowOperators_AllocateNothingPerCall(TensorLayout layout)
    {
        int[] shape = layout == TensorLayout.ChannelsFirst ? [2, 6, 28, 28] : [2, 28, 28, 6];
        var cells = PoolGeometry.Torch(shape, layout, 2, [2], [2], [], [], false, TorchPoolKind.Average);
        var padded = PoolGeometry.Torch(shape, layout, 2, [3], [2], [1], [], true, TorchPoolKind.Average);
        var x = new float[cells.InputLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (i * 7919 % 97) / 50f;
        }

        float[] lambda = [0.1f, -0.2f, 0.3f, 0, 0.5f, -0.4f], alpha = [0, 0.2f, -0.1f, 0.4f, 0.3f, -0.3f], gate = new float[9];
        float[] gradLambda = new float[6], gradAlpha = new float[6], gradGate = new float[9];
        var y = new float[cells.OutputLength];
        var yp = new float[padded.OutputLength];
        var idx = new long[cells.OutputLength];
        var gx = new float[x.Length];

        void On(in PoolGeometry g, float[] yg)
        {
            int k = (int)g.KernelVolume;
            SoftPool.Forward<float>(g, x, yg);
            SoftPool.Backward<float>(g, x, yg, gx);
            DetailPreservingPool.Forward<float>(g, x, lambda, alpha, yg);
            DetailPreservingPool.Backward<float>(g, x, lambda, alpha, yg, gx, gradLambda, gradAlpha);
            GatedPool.Forward<float>(g, x, gate.AsSpan(0, k), yg);
            GatedPool.Backward<float>(g, x, gate.AsSpan(0, k), yg, gx, gradGate.AsSpan(0, k));
            MixedPool.Forward(g, x, 0.5f, yg);
            MixedPool.Backward(g, x, 0.5f, yg, gx);
            StochasticPool.ForwardEval<float>(g, x, yg);
            StochasticPool.BackwardEval<float>(g, x, yg, gx);
            GemPool.Forward(g, x, 3f, yg);
            GemPool.Backward(g, x, 3f, yg, gx);
        }

        void Calls()
        {
            On(cells, y);
            On(padded, yp);
            StochasticPool.ForwardTrain<float>(cells, x, 3, y, idx);
        }

        int saved = PoolSettings.MaxDegreeOfParallelism;
        try
        {
            PoolSettings.MaxDegreeOfParallelism = 1;
            Calls();
            Calls();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = GC.GetAllocatedBytesForCurrentThread();
            Calls();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"1 thread, {layout}: {allocated} bytes allocated");

            PoolSettings.MaxDegreeOfParallelism = 2;
            Calls();
            Calls();
            long least = long.MaxValue;
            for (int round = 0; round < 8; round++)
            {
                long start = GC.GetTotalAllocatedBytes(precise: true);
                Calls();
                least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - start);
            }

            Assert.True(least == 0, $"2 threads, {layout}: at least {least} bytes allocated per round");
        }
        finally
        {
            PoolSettings.MaxDegreeOfParallelism = saved;
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation (alone)";
}
