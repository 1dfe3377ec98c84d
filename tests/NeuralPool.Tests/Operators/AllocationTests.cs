using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// The span API with caller-provided buffers allocates nothing per call (after the first call has
/// warmed up the JIT and the worker threads), on one thread and split over the workers.
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
        var wide = PoolGeometry.Torch(shape, layout, 2, [5], [1], [2], [], false, TorchPoolKind.Average); // the sliding (van Herk) path
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
        var yw = new float[wide.OutputLength];
        var gx = new float[max.InputLength];

        void Calls()
        {
            MaxPool.Forward(max, x, y);
            MaxPool.Forward(max, x, y, idx);
            MaxPool.Forward(max1, x, y1, idx1);
            MaxPool.Backward(max, y, idx, gx);
            AvgPool.Forward(avg, x, ya, countIncludePad: false);
            AvgPool.Backward(avg, ya, gx, countIncludePad: false);
            AvgPool.Forward(gap, x, yg);
            MaxPool.Forward(wide, x, yw);
            AvgPool.Forward(wide, x, yw, countIncludePad: false);
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
            Assert.True(allocated == 0, $"1 thread, {layout}: {allocated} bytes allocated over 45 calls");

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

            Assert.True(least == 0, $"2 threads, {layout}: at least {least} bytes allocated per round of 9 calls");
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
