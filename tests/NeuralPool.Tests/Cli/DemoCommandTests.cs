namespace NeuralPool.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public void PoolsEachChannelWithTheLibrary()
    {
        var (code, output, error) = CliHarness.Run("demo");

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("max_pool2d                     [[6, 8]]", output, StringComparison.Ordinal);
        Assert.Contains("[[18, 20]]", output, StringComparison.Ordinal);
        Assert.Contains("[[3.5, 5.5]]", output, StringComparison.Ordinal);
        Assert.Contains("[[15.5, 17.5]]", output, StringComparison.Ordinal);
        Assert.Contains("[[5, 7]]", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowsCeilModeAndTheDroppedRow()
    {
        var (_, output, _) = CliHarness.Run("demo");

        Assert.Contains("the third row (row 2) is dropped", output, StringComparison.Ordinal);
        Assert.Contains("[[6, 8], [10, 12]]", output, StringComparison.Ordinal);
        Assert.Contains("[[3.5, 5.5], [9.5, 11.5]]", output, StringComparison.Ordinal);
        Assert.Contains("[[18, 20], [22, 24]]", output, StringComparison.Ordinal);
        Assert.Contains("[[15.5, 17.5], [21.5, 23.5]]", output, StringComparison.Ordinal);
        Assert.Contains("[[5, 7], [9, 11]]", output, StringComparison.Ordinal);
        Assert.Contains("(9 + 10) / 2 = 9.5", output, StringComparison.Ordinal);
        Assert.Contains("(1 + 2 + 5 + 6) / 4 = 3.5", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplainsTheArticlesBug()
    {
        var (_, output, _) = CliHarness.Run("demo");

        Assert.Contains("[[20.]] for max and [[10.5]] for average", output, StringComparison.Ordinal);
    }

    [Fact]
    public void IsPlainAscii()
    {
        var (_, output, _) = CliHarness.Run("demo");

        Assert.All(output, c => Assert.True(c < 128, $"non-ASCII character U+{(int)c:X4}"));
    }
}
