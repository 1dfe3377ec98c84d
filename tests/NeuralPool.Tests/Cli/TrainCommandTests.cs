using NeuralPool.Tests.Training;

namespace NeuralPool.Tests.Cli;

/// <summary><c>neuralpool train</c> and <c>eval</c> end to end on a small Fashion-MNIST subset, and their errors.</summary>
public class TrainCommandTests
{
    [Fact]
    public void Train_ThenEval_GiveTheSameAccuracy()
    {
        FashionMnistTests.RequireInstalled();
        using var temp = new TempFolder();
        string model = temp["lenet.bin"];

        var (code, stdout, stderr) = CliHarness.Run("train", "--model", "lenet", "--pool", "max", "--limit", "512", "--epochs", "1",
            "--batch-size", "64", "--threads", "2", "--seed", "3", "--save", model);

        Assert.True(code == 0, stderr);
        var lines = CliHarness.Lines(stdout);
        Assert.Contains(lines, l => l.StartsWith("lenet, max pooling: 61,706 parameters", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Fashion-MNIST: 512 training, 512 test images; batch 64, 2 threads, seed 3", StringComparison.Ordinal));
        string epoch = Assert.Single(lines, l => l.StartsWith("epoch 1/1: train loss ", StringComparison.Ordinal));
        Assert.Matches(@"test accuracy \d+\.\d\d%, epoch time \d+\.\d\d s \(\d+ images/s\)", epoch);
        Assert.Contains(lines, l => l.StartsWith("actual \\ predicted", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("9 Ankle boot", StringComparison.Ordinal));
        string accuracy = Assert.Single(lines, l => l.StartsWith("test accuracy ", StringComparison.Ordinal));
        Assert.Matches(@"^test accuracy \d+\.\d\d% \(\d+/512\)$", accuracy);
        Assert.Equal($"saved {model}", lines[^1]);

        var eval = CliHarness.Run("eval", model, "--limit", "512", "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Contains(accuracy, CliHarness.Lines(eval.Stdout));
        Assert.StartsWith("lenet, max pooling: 61,706 parameters, from ", eval.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_DamagedOrMissingCheckpoint_ExitsWith2()
    {
        using var temp = new TempFolder();
        string bad = temp["bad.bin"];
        File.WriteAllText(bad, "not a model");

        var (code, _, stderr) = CliHarness.Run("eval", bad);
        Assert.Equal(2, code);
        Assert.Equal($"error: '{bad}' is not a NeuralPool checkpoint (no NPCKPT signature).\n", stderr.Replace("\r\n", "\n", StringComparison.Ordinal));

        var missing = CliHarness.Run("eval", temp["none.bin"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains(temp["none.bin"], missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_WithoutTheData_SaysWhatToInstall()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = CliHarness.Run("train", "--data", temp.Path, "--epochs", "1");

        Assert.Equal(2, code);
        Assert.Contains(Path.Combine(temp.Path, "train-images-idx3-ubyte.gz"), stderr, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs: 0 is not a positive number.")]
    [InlineData("--threads", "0", "--threads: 0 is not a positive number.")]
    [InlineData("--limit", "0", "--limit: 0 is not a positive number of examples.")]
    [InlineData("--pool", "median", "unknown pooling method 'median'")]
    [InlineData("--model", "resnet", "unknown model 'resnet'")]
    [InlineData("--optimizer", "rmsprop", "unknown optimizer 'rmsprop'")]
    [InlineData("--lr", "-1", "--lr: -1 is not a positive finite learning rate.")]
    public void Train_BadOptions_ExitWith2(string option, string value, string message)
    {
        FashionMnistTests.RequireInstalled();
        string[] args = option == "--limit" ? ["train", option, value] : ["train", "--limit", "64", option, value];
        var (code, _, stderr) = CliHarness.Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
