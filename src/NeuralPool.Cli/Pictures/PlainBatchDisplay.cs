using System.Globalization;

namespace NeuralPool.Cli.Pictures;

/// <summary>
/// Progress as plain lines, for output that is not a terminal (a file, a pipe, CI): <c>[i/n] wrote OUT: DETAIL</c>
/// on standard output for each picture written, one <c>error: ...</c> line on standard error for each that failed.
/// </summary>
internal sealed class PlainBatchDisplay : IBatchDisplay
{
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;

    /// <summary>Creates the display on the given streams.</summary>
    public PlainBatchDisplay(TextWriter stdout, TextWriter stderr)
    {
        _stdout = stdout;
        _stderr = stderr;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ImageOutcome> Follow(int total, IEnumerable<ImageOutcome> outcomes)
    {
        var all = new List<ImageOutcome>(total);
        string width = total.ToString(CultureInfo.InvariantCulture);
        foreach (var outcome in outcomes)
        {
            all.Add(outcome);
            if (outcome.Succeeded)
            {
                string count = all.Count.ToString(CultureInfo.InvariantCulture).PadLeft(width.Length);
                _stdout.WriteLine($"[{count}/{width}] wrote {outcome.Job.Output}: {outcome.Detail}");
            }
            else
            {
                _stderr.WriteLine($"error: {CliApplication.OneLine(outcome.Error!)}");
            }
        }

        return all;
    }
}
