namespace NeuralPool;

/// <summary>Process-wide execution settings of the operators.</summary>
public static class PoolSettings
{
    private static int _maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// Threads an operator call may use (default: the processor count; 1 runs everything on the calling
    /// thread). Work is split into contiguous ranges of output rows or channel blocks, never over the batch alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxDegreeOfParallelism = value;
        }
    }

    /// <summary>Calls whose work (elements read and written) is below this run on the calling thread. Default 32768.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public static long ParallelThreshold
    {
        get => _parallelThreshold;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _parallelThreshold = value;
        }
    }

    private static long _parallelThreshold = 1 << 15;
}
