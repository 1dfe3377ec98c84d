using NeuralPool.Training.Data;

namespace NeuralPool.Tests.Training;

/// <summary>
/// The loader on the real files of Debian's <c>dataset-fashion-mnist</c>, which <c>.ci/run</c> installs; without the
/// package these tests fail with the command that installs it.
/// </summary>
public class FashionMnistTests
{
    /// <summary>Fails with the install command when the data set is missing.</summary>
    internal static void RequireInstalled()
    {
        string file = Path.Combine(FashionMnist.DefaultDirectory, FashionMnist.FileNames(DatasetSplit.Test).Images);
        Assert.True(File.Exists(file), $"{file} is missing: run `sudo apt-get install dataset-fashion-mnist` (.ci/run does).");
    }

    [Fact]
    public void TrainingSubset_HasTheFirstExamples()
    {
        RequireInstalled();
        var raw = FashionMnist.Load(DatasetSplit.Train, limit: 100, normalization: Normalization.UnitRange);

        Assert.Equal(100, raw.Count);
        Assert.Equal((1, 28, 28), (raw.Channels, raw.Height, raw.Width));
        Assert.Equal(100 * 28 * 28, raw.Images.Length);
        // The first two training pictures are an ankle boot and a T-shirt/top (the data set's README shows them).
        Assert.Equal(9, raw.Labels[0]);
        Assert.Equal(0, raw.Labels[1]);
        Assert.All(raw.Images, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(raw.Images, v => v == 1f);
        Assert.True(raw.Labels.Distinct().Count() >= 8, "100 examples cover most classes");
    }

    [Fact]
    public void TestSet_IsComplete_AndBalanced()
    {
        RequireInstalled();
        var test = FashionMnist.Load(DatasetSplit.Test);

        Assert.Equal(10000, test.Count);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));
        // The standardised pixels of the test set have about the training set's mean 0 and deviation 1.
        double mean = test.Images.Average(v => (double)v);
        double std = Math.Sqrt(test.Images.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(std, 0.97, 1.03);
    }

    [Fact]
    public void Subset_IsThePrefixOfTheWholeSplit()
    {
        RequireInstalled();
        var all = FashionMnist.Load(DatasetSplit.Test);
        var first = FashionMnist.Load(DatasetSplit.Test, limit: 37);

        Assert.Equal(all.Labels[..37], first.Labels);
        Assert.Equal(all.Images[..(37 * 784)], first.Images);
    }
}
