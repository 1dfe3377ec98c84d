using System.Collections.Concurrent;

namespace NeuralPool.Cli.Pictures;

/// <summary>
/// A folder of pictures: which files are taken, where their results go, and the parallel run that hands every
/// outcome back to the calling thread as soon as it is known (so that progress is shown from one thread).
/// </summary>
internal static class ImageBatch
{
    /// <summary>The file name endings taken from a folder (any letter case).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>
    /// One job per picture directly in <paramref name="inputFolder"/> (subfolders are not entered), in ordinal name
    /// order; each writes <paramref name="outputFolder"/>/NAME.png, NAME being the file name without its extension,
    /// or with it (NAME.EXT.png) for files whose names differ only in the extension.
    /// </summary>
    public static IReadOnlyList<ImageJob> Plan(string inputFolder, string outputFolder)
    {
        var files = Directory.EnumerateFiles(inputFolder)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var shared = files.GroupBy(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal)
            .Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return [.. files.Select(f =>
        {
            string stem = Path.GetFileNameWithoutExtension(f);
            return new ImageJob(f, Path.Combine(outputFolder, (shared.Contains(stem) ? Path.GetFileName(f) : stem) + ".png"));
        })];
    }

    /// <summary>
    /// Runs <paramref name="work"/> on every job, several at a time, and yields each outcome on the enumerating
    /// thread in the order they finish. An exception thrown by <paramref name="work"/> ends the run and is rethrown.
    /// </summary>
    public static IEnumerable<ImageOutcome> Run(IReadOnlyList<ImageJob> jobs, Func<ImageJob, ImageOutcome> work)
    {
        using var outcomes = new BlockingCollection<ImageOutcome>();
        var producer = Task.Run(() =>
        {
            try
            {
                Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, job => outcomes.Add(work(job)));
            }
            finally
            {
                outcomes.CompleteAdding();
            }
        });

        foreach (var outcome in outcomes.GetConsumingEnumerable())
        {
            yield return outcome;
        }

        producer.GetAwaiter().GetResult();
    }
}
