using System.Runtime.CompilerServices;

namespace NeuralPool.Tests;

internal static class TestSetup
{
    /// <summary>
    /// Every operator call in the tests splits its work over the worker threads, however small the tensor,
    /// so the sweeps check the threaded row and channel splits against the oracle too.
    /// </summary>
    [ModuleInitializer]
    internal static void SplitEverything()
    {
        PoolSettings.ParallelThreshold = 0;
        PoolSettings.MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount);
    }
}
