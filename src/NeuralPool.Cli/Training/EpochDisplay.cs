using System.Globalization;
using NeuralPool.Training;
using Spectre.Console;

namespace NeuralPool.Cli.Training;

/// <summary>
/// Shows training runs while their epochs run: a Spectre.Console progress display when standard output is the
/// console's own interactive terminal, one plain line per epoch otherwise. Everything runs on the calling thread
/// (Spectre.Console is not thread-safe).
/// </summary>
internal abstract class EpochDisplay
{
    /// <summary>The display for <paramref name="stdout"/>.</summary>
    /// <param name="stdout">Standard output.</param>
    /// <param name="barPerEpoch">On a terminal, one bar per epoch (a single run); otherwise one bar per run, across its epochs.</param>
    public static EpochDisplay For(TextWriter stdout, bool barPerEpoch)
    {
        if (Terminal(stdout) is { } console)
        {
            return new TerminalDisplay(console, barPerEpoch);
        }

        return new PlainDisplay(stdout);
    }

    /// <summary>Standard output as a Spectre console when it is the console's own interactive terminal, else null.</summary>
    public static IAnsiConsole? Terminal(TextWriter stdout)
    {
        if (ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
            if (console.Profile.Capabilities.Interactive)
            {
                return console;
            }
        }

        return null;
    }

    /// <summary>
    /// Runs up to <paramref name="epochs"/> epochs of one run labelled <paramref name="label"/> (empty for a command's
    /// only run); <paramref name="epoch"/> trains epoch e (from 1), reporting progress within it to the action it is
    /// given when there is one. The run stops after an epoch that diverged.
    /// </summary>
    public abstract void Run(string label, int epochs, Func<int, Action<TrainingProgress>?, EpochSummary> epoch);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class PlainDisplay(TextWriter stdout) : EpochDisplay
    {
        public override void Run(string label, int epochs, Func<int, Action<TrainingProgress>?, EpochSummary> epoch)
        {
            for (int e = 1; e <= epochs; e++)
            {
                var summary = epoch(e, null);
                stdout.WriteLine(label + summary.Line);
                stdout.Flush();
                if (summary.Diverged)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Spectre's progress display: the bar's description is the running loss and speed, then the epoch's summary.</summary>
    private sealed class TerminalDisplay(IAnsiConsole console, bool barPerEpoch) : EpochDisplay
    {
        public override void Run(string label, int epochs, Func<int, Action<TrainingProgress>?, EpochSummary> epoch)
        {
            string prefix = Markup.Escape(label);
            console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    ProgressTask? task = barPerEpoch ? null : context.AddTask(prefix + Invariant($"epoch 1/{epochs}"), maxValue: epochs);
                    for (int e = 1; e <= epochs; e++)
                    {
                        var current = task ?? context.AddTask(prefix + Invariant($"epoch {e}/{epochs}"), maxValue: 1);
                        int done = barPerEpoch ? 0 : e - 1;
                        var summary = epoch(e, p =>
                        {
                            current.Value = done + ((double)p.Images / p.Total);
                            current.Description = prefix + Invariant($"epoch {e}/{epochs}  loss {p.Loss:F4}  {p.ImagesPerSecond,6:F0} img/s");
                        });
                        current.Description = prefix + Markup.Escape(summary.Short);
                        if (barPerEpoch || summary.Diverged || e == epochs)
                        {
                            current.StopTask();
                        }

                        if (summary.Diverged)
                        {
                            break;
                        }
                    }
                });
        }
    }
}
