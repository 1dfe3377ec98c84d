using Spectre.Console;

namespace NeuralPool.Cli.Pictures;

/// <summary>
/// Progress as a Spectre.Console progress bar, for a terminal. The bar is redrawn in place, so the <c>error: ...</c>
/// lines of failed pictures are written to standard error once the bar has finished rather than through it.
/// Spectre.Console is not thread-safe: <see cref="Follow"/> runs on one thread.
/// </summary>
internal sealed class TerminalBatchDisplay : IBatchDisplay
{
    private readonly IAnsiConsole _console;
    private readonly TextWriter _stderr;

    /// <summary>Creates the display on a console (standard output) and the error stream.</summary>
    public TerminalBatchDisplay(IAnsiConsole console, TextWriter stderr)
    {
        _console = console;
        _stderr = stderr;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ImageOutcome> Follow(int total, IEnumerable<ImageOutcome> outcomes)
    {
        var all = new List<ImageOutcome>(total);
        _console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"pooling {total} pictures", maxValue: total);
                int failed = 0;
                foreach (var outcome in outcomes)
                {
                    all.Add(outcome);
                    failed += outcome.Succeeded ? 0 : 1;
                    task.Description = $"pooling {total} pictures ({failed} failed)";
                    task.Increment(1);
                }
            });

        foreach (var failed in all.Where(o => !o.Succeeded))
        {
            _stderr.WriteLine($"error: {CliApplication.OneLine(failed.Error!)}");
        }

        return all;
    }
}
