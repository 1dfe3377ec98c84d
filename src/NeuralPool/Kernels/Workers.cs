using System.Diagnostics;

namespace NeuralPool.Kernels;

/// <summary>
/// A fixed set of worker threads that run one range-split job at a time without allocating: the job is
/// a function pointer over <c>[begin, end)</c> plus a pointer to a caller-owned state struct. The caller
/// runs the first range itself. A call made while another is running (from another thread) runs inline.
/// </summary>
internal static unsafe class Workers
{
    private static readonly object Gate = new();
    private static Worker[] _workers = [];
    private static CountdownEvent? _done;

    /// <summary>Runs <paramref name="body"/> over <c>[0, count)</c> split into contiguous ranges.</summary>
    /// <param name="count">Number of work items.</param>
    /// <param name="work">Estimated elements touched, for the single-thread threshold.</param>
    /// <param name="body">The range function: (begin, end, state).</param>
    /// <param name="state">Pointer to the job's state, valid for the whole call.</param>
    public static void For(int count, long work, delegate*<int, int, void*, void> body, void* state)
    {
        int parts = Math.Min(PoolSettings.MaxDegreeOfParallelism, count);
        if (parts <= 1 || work < PoolSettings.ParallelThreshold || !Monitor.TryEnter(Gate))
        {
            body(0, count, state);
            return;
        }

        try
        {
            EnsureWorkers(parts - 1);
            _done!.Reset(parts - 1);
            for (int i = 1; i < parts; i++)
            {
                _workers[i - 1].Start(body, state, Split(count, parts, i), Split(count, parts, i + 1));
            }

            try
            {
                body(0, Split(count, parts, 1), state);
            }
            finally
            {
                // The workers read the caller's state: never return, even by an exception, before they are done.
                _done.Wait();
            }

            foreach (var w in _workers.AsSpan(0, parts - 1))
            {
                w.RethrowIfFailed();
            }
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static int Split(int count, int parts, int i) => (int)((long)count * i / parts);

    private static void EnsureWorkers(int needed)
    {
        _done ??= new CountdownEvent(1);
        if (_workers.Length >= needed)
        {
            return;
        }

        var grown = new Worker[needed];
        _workers.CopyTo(grown, 0);
        for (int i = _workers.Length; i < needed; i++)
        {
            grown[i] = new Worker(i + 1, _done);
        }

        _workers = grown;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live for the whole process.")]
    private sealed class Worker
    {
        private readonly ManualResetEventSlim _go = new(false, spinCount: 200);
        private readonly CountdownEvent _done;
        private delegate*<int, int, void*, void> _body;
        private void* _state;
        private int _begin, _end;
        private Exception? _error;

        public Worker(int id, CountdownEvent done)
        {
            _done = done;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NeuralPool worker {id}" };
            thread.Start();
        }

        public void Start(delegate*<int, int, void*, void> body, void* state, int begin, int end)
        {
            _body = body;
            _state = state;
            _begin = begin;
            _end = end;
            _error = null;
            _go.Set();
        }

        public void RethrowIfFailed()
        {
            if (_error is { } e)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            }
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                _go.Reset();
                try
                {
                    Debug.Assert(_body != null);
                    _body(_begin, _end, _state);
                }
                catch (Exception e)
                {
                    _error = e;
                }

                _done.Signal();
            }
        }
    }
}
