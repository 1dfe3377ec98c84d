using System.Runtime.ExceptionServices;

namespace NeuralPool.Training.Kernels;

/// <summary>
/// A fixed team of background threads that runs one range-split job at a time: <c>[0, count)</c> is cut into
/// <c>parts = min(TrainingSettings.Threads, count)</c> contiguous ranges, range i being
/// <c>[count·i/parts, count·(i+1)/parts)</c>; the caller runs range 0 itself. The split depends only on the count
/// and the thread count, and callers make each range's result independent of the split (no shared
/// accumulators, no atomics), so results do not depend on which thread ran what. A call made from inside a
/// running job, or while another thread's job runs, runs inline on the calling thread.
/// </summary>
internal static class WorkerTeam
{
    private static readonly Lock Gate = new();
    private static readonly ManualResetEventSlim AllDone = new(false, spinCount: 2047);
    private static Worker[] _workers = [];
    private static int _pending;

    [ThreadStatic]
    private static bool t_inJob;

    /// <summary>Runs <paramref name="body"/>(begin, end) over the ranges of <c>[0, count)</c>; rethrows the first worker exception.</summary>
    public static void For(int count, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        int parts = Math.Min(TrainingSettings.Threads, count);
        if (parts <= 1 || t_inJob || !Gate.TryEnter())
        {
            RunInline(body, 0, count);
            return;
        }

        try
        {
            EnsureWorkers(parts - 1);
            AllDone.Reset();
            Volatile.Write(ref _pending, parts - 1);
            for (int i = 1; i < parts; i++)
            {
                _workers[i - 1].Start(body, Split(count, parts, i), Split(count, parts, i + 1));
            }

            try
            {
                RunInline(body, 0, Split(count, parts, 1));
            }
            finally
            {
                // The workers may use the caller's buffers: never return, even by an exception, before they are done.
                AllDone.Wait();
            }

            for (int i = 0; i < parts - 1; i++)
            {
                _workers[i].RethrowIfFailed();
            }
        }
        finally
        {
            Gate.Exit();
        }
    }

    private static void RunInline(Action<int, int> body, int begin, int end)
    {
        bool outer = !t_inJob;
        t_inJob = true;
        try
        {
            body(begin, end);
        }
        finally
        {
            if (outer)
            {
                t_inJob = false;
            }
        }
    }

    private static int Split(int count, int parts, int i) => (int)((long)count * i / parts);

    private static void EnsureWorkers(int needed)
    {
        if (_workers.Length >= needed)
        {
            return;
        }

        var grown = new Worker[needed];
        _workers.CopyTo(grown, 0);
        for (int i = _workers.Length; i < needed; i++)
        {
            grown[i] = new Worker(i + 1);
        }

        _workers = grown;
    }

    private static void PartDone()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            AllDone.Set();
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live for the whole process.")]
    private sealed class Worker
    {
        private readonly ManualResetEventSlim _go = new(false, spinCount: 2047);
        private Action<int, int>? _body;
        private int _begin, _end;
        private Exception? _error;

        public Worker(int id)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NeuralPool.Training worker {id}" };
            thread.Start();
        }

        public void Start(Action<int, int> body, int begin, int end)
        {
            _body = body;
            _begin = begin;
            _end = end;
            _error = null;
            _go.Set();
        }

        public void RethrowIfFailed()
        {
            if (_error is { } e)
            {
                _error = null;
                ExceptionDispatchInfo.Throw(e);
            }
        }

        private void Loop()
        {
            t_inJob = true;
            while (true)
            {
                _go.Wait();
                _go.Reset();
                try
                {
                    _body!(_begin, _end);
                }
                catch (Exception e)
                {
                    _error = e;
                }

                _body = null;
                PartDone();
            }
        }
    }
}
