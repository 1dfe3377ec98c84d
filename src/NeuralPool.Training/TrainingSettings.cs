namespace NeuralPool.Training;

/// <summary>Process-wide execution settings of the training layers.</summary>
public static class TrainingSettings
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>
    /// Threads a layer's forward or backward may use (default: the processor count; 1 runs everything on the
    /// calling thread). Work is split into fixed contiguous ranges (images of a batch, channels, column blocks of a
    /// matrix product) and every reduction runs in an order that does not depend on the split, so results are
    /// identical whatever the thread count. The pooling operators of NeuralPool follow
    /// <see cref="PoolSettings.MaxDegreeOfParallelism"/>, which a trainer sets alongside this one.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threads = value;
        }
    }
}
