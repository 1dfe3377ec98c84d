using Microsoft.ML.OnnxRuntime;
using NeuralPool.Tests.Training;
using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Tests.Cli;

/// <summary><c>neuralpool export</c>: a checkpoint written through the trainer API to an ONNX model ONNX Runtime agrees with, and its errors.</summary>
public class ExportCommandTests
{
    /// <summary>A model of the zoo trained one epoch by <see cref="Trainer"/> on 32 random images, saved as the CLI saves it.</summary>
    private static string TrainedCheckpoint(TempFolder temp, string name, PoolingMethod pooling)
    {
        var options = new ModelOptions();
        var images = OnnxExportTests.Images(32, options, seed: 5);
        var labels = Enumerable.Range(0, 32).Select(i => i % 10).ToArray();
        var data = new ImageDataset(images, labels, 1, 28, 28, [.. Enumerable.Range(0, 10).Select(i => $"class {i}")]);
        var model = ModelZoo.Create<float>(name, pooling, seed: 2);
        var trainer = new Trainer(model, new Adam<float>(model.Parameters(), 1e-2), batchSize: 16, shuffleSeed: 1);
        trainer.TrainEpoch(data);

        string path = temp[$"{name}-{ModelZoo.NameOf(pooling)}.bin"];
        Checkpoint.Save(path, model, name, pooling, seed: 2, metadata: new Dictionary<string, string> { ["dataset"] = "fashion-mnist", ["normalization"] = "standard" });
        return path;
    }

    [Theory]
    [InlineData("lenet", PoolingMethod.Max, 12)]
    [InlineData("vgg-small", PoolingMethod.Gem, 26)]
    public void Export_RoundTrip_OnnxRuntimeGivesTheCheckpointsLogits(string name, PoolingMethod pooling, int nodes)
    {
        using var temp = new TempFolder();
        string checkpoint = TrainedCheckpoint(temp, name, pooling);
        string onnx = temp["model.onnx"];

        var (code, stdout, stderr) = CliHarness.Run("export", checkpoint, "-o", onnx);

        Assert.True(code == 0, stderr);
        var loaded = Checkpoint.Load<float>(checkpoint);
        long bytes = new FileInfo(onnx).Length;
        Assert.Equal(
            $"wrote {onnx}: {nodes} nodes, {loaded.Model.ParameterCount():N0} parameters, {bytes:N0} bytes ({name}, {ModelZoo.NameOf(pooling)} pooling, ONNX opset 17)\n",
            stdout);
        Assert.Equal(
            new[] { Path.GetFileName(checkpoint), "model.onnx" }.Order(StringComparer.Ordinal),
            Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var images = OnnxExportTests.Images(4, loaded.Options, seed: 8);
        float[] actual = OnnxExportTests.Run(File.ReadAllBytes(onnx), images, [4, 1, 28, 28]);
        float[] expected = loaded.Model.Forward(new DenseTensor<float>(images, [4, 1, 28, 28])).Data;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"logit {i}: {actual[i]} vs {expected[i]}");
        }

        using var session = new InferenceSession(onnx);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(name, metadata["model"]);
        Assert.Equal(ModelZoo.NameOf(pooling), metadata["pooling"]);
        Assert.Equal("standard", metadata["normalization"]);
        Assert.Equal("fashion-mnist", metadata["dataset"]);
    }

    [Fact]
    public void Export_ExistingOutput_NeedsOverwrite()
    {
        using var temp = new TempFolder();
        string checkpoint = TrainedCheckpoint(temp, "lenet", PoolingMethod.Avg);
        string onnx = temp["model.onnx"];
        File.WriteAllText(onnx, "keep");

        var (code, stdout, stderr) = CliHarness.Run("export", checkpoint, "-o", onnx);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: '{onnx}' already exists; give --overwrite to replace it.\n", Normalize(stderr));
        Assert.Equal("keep", File.ReadAllText(onnx));

        var replaced = CliHarness.Run("export", checkpoint, "-o", onnx, "--overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.StartsWith($"wrote {onnx}: 12 nodes, 61,706 parameters, ", replaced.Stdout, StringComparison.Ordinal);
        Assert.NotEqual("keep", File.ReadAllText(onnx));
    }

    [Fact]
    public void Export_UnsupportedPooling_IsOneErrorLine_AndWritesNothing()
    {
        using var temp = new TempFolder();
        string checkpoint = TrainedCheckpoint(temp, "lenet", PoolingMethod.Fractional);
        string onnx = temp["model.onnx"];

        var (code, stdout, stderr) = CliHarness.Run("export", checkpoint, "-o", onnx);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(CliHarness.Lines(Normalize(stderr)));
        Assert.StartsWith("error: cannot export layer 2 (FractionalMaxPool2d(", line, StringComparison.Ordinal);
        Assert.Contains("Exportable pooling methods: max, avg, lp,", line, StringComparison.Ordinal);
        Assert.False(File.Exists(onnx));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Export_MissingOrDamagedCheckpoint_IsOneErrorLine()
    {
        using var temp = new TempFolder();
        string bad = temp["bad.bin"];
        File.WriteAllText(bad, "not a model");

        var damaged = CliHarness.Run("export", bad, "-o", temp["model.onnx"]);
        Assert.Equal(2, damaged.ExitCode);
        Assert.Equal($"error: '{bad}' is not a NeuralPool checkpoint (no NPCKPT signature).\n", Normalize(damaged.Stderr));

        string checkpoint = TrainedCheckpoint(temp, "lenet", PoolingMethod.Max);
        byte[] bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..^100]);
        var truncated = CliHarness.Run("export", checkpoint, "-o", temp["model.onnx"]);
        Assert.Equal(2, truncated.ExitCode);
        Assert.StartsWith($"error: checkpoint '{checkpoint}' is damaged", Normalize(truncated.Stderr), StringComparison.Ordinal);

        var missing = CliHarness.Run("export", temp["none.bin"], "-o", temp["model.onnx"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith($"error: checkpoint '{temp["none.bin"]}' cannot be read", Normalize(missing.Stderr), StringComparison.Ordinal);
        Assert.False(File.Exists(temp["model.onnx"]));
    }

    [Fact]
    public void Export_BadOutput_IsOneErrorLine()
    {
        using var temp = new TempFolder();
        string checkpoint = TrainedCheckpoint(temp, "lenet", PoolingMethod.Max);

        var noFolder = CliHarness.Run("export", checkpoint, "-o", Path.Combine(temp.Path, "missing", "model.onnx"));
        Assert.Equal(2, noFolder.ExitCode);
        Assert.Contains("folder '" + Path.Combine(temp.Path, "missing") + "' does not exist", noFolder.Stderr, StringComparison.Ordinal);

        var folder = CliHarness.Run("export", checkpoint, "-o", temp.Path);
        Assert.Equal(2, folder.ExitCode);
        Assert.Equal($"error: --output: cannot write '{temp.Path}': it is a folder.\n", Normalize(folder.Stderr));

        var noOutput = CliHarness.Run("export", checkpoint);
        Assert.Equal(2, noOutput.ExitCode);
        Assert.StartsWith("error: ", noOutput.Stderr, StringComparison.Ordinal);
        Assert.Contains("--output", noOutput.Stderr, StringComparison.Ordinal);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
