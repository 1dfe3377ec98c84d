using System.Text.Json;

namespace NeuralPool.Tests.Cli;

/// <summary><c>neuralpool bench</c>: argument errors, and one quick smoke run whose rows must all pass the correctness check.</summary>
public class BenchCommandTests
{
    [Fact]
    public void BadThreadList_IsOneLineUsageError()
    {
        var (code, _, error) = CliHarness.Run("bench", "--threads", "0,x");

        Assert.Equal(2, code);
        Assert.Single(CliHarness.Lines(error));
        Assert.StartsWith("error: --threads takes positive integers", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSuite_IsOneLineUsageError()
    {
        var (code, _, error) = CliHarness.Run("bench", "--suite", Path.Combine(Path.GetTempPath(), "no-such-suite.json"));

        Assert.Equal(2, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void QuickRun_OnTheSharedSuite_ChecksEveryRow()
    {
        // Uses ../shared/bench/suite.json beside the repository; absent from a bare checkout.
        string suite = Path.GetFullPath(Path.Combine(CliHarness.RepositoryRoot(), "..", "shared", "bench", "suite.json"));
        if (!File.Exists(suite))
        {
            return;
        }

        string json = Path.Combine(Path.GetTempPath(), $"np-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, error) = CliHarness.Run("bench", "--suite", suite, "--quick", "--threads", "1", "--filter", "lenet_max2s2", "--json", json);

            Assert.True(code == 0, error);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var rows = doc.RootElement.EnumerateArray().ToList();
            Assert.Equal(2, rows.Count); // nchw and nhwc
            Assert.All(rows, r =>
            {
                Assert.Equal("lenet_max2s2", r.GetProperty("case").GetString());
                Assert.True(r.GetProperty("pass").GetBoolean());
                Assert.True(r.GetProperty("ms").GetDouble() > 0);
            });
        }
        finally
        {
            File.Delete(json);
        }
    }
}
