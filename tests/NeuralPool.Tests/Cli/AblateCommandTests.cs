using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using NeuralPool.Cli.Ablation;
using NeuralPool.Cli.Commands;
using NeuralPool.Tests.Training;
using NeuralPool.Training.Models;

namespace NeuralPool.Tests.Cli;

/// <summary><c>neuralpool ablate</c> end to end on a small Fashion-MNIST subset: the table, the files, overwriting, divergence and errors.</summary>
public class AblateCommandTests
{
    private static readonly string[] Small = ["--limit", "256", "--epochs", "1", "--threads", "2", "--seed", "1"];

    [Fact]
    public void ThreeMethods_TableCsvJsonAndChartAgree()
    {
        FashionMnistTests.RequireInstalled();
        using var temp = new TempFolder();
        string output = temp["results"];

        var (code, stdout, stderr) = CliHarness.Run(["ablate", "--pools", "max,avg,none", "-o", output, .. Small]);

        Assert.True(code == 0, stderr);
        Assert.Empty(stderr);
        var lines = CliHarness.Lines(stdout);
        Assert.StartsWith("ablation of lenet: 3 pooling methods (max, avg, none), 1 epoch each, adam lr 0.001", lines[0], StringComparison.Ordinal);
        Assert.Equal("Fashion-MNIST: 256 training, 256 test images; batch 64, 2 threads, seed 1", lines[1]);
        Assert.Single(lines, l => l.StartsWith("[3/3] none: epoch 1/1: train loss ", StringComparison.Ordinal));

        var csv = ReadCsv(Path.Combine(output, "ablation.csv"));
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "ablation.json")));
        var methods = json.RootElement.GetProperty("methods").EnumerateArray().ToList();
        var table = TableRows(stdout);
        Assert.Equal(["max", "avg", "none"], csv.Select(r => r["method"]));
        Assert.Equal(["max", "avg", "none"], methods.Select(m => m.GetProperty("method").GetString()));
        Assert.Equal(["max", "avg", "none"], table.Select(r => r[0]));
        Assert.Equal("lenet", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal(256, json.RootElement.GetProperty("test_images").GetInt32());

        double bestAccuracy = csv.Max(r => Number(r["test_accuracy"]));
        for (int i = 0; i < 3; i++)
        {
            var row = csv[i];
            var obj = methods[i];
            var cells = table[i];
            var method = ModelZoo.ParsePooling(row["method"]);
            long parameters = ModelZoo.LeNet<float>(method, seed: 1).ParameterCount();
            Assert.Equal(61_706, parameters);
            Assert.Equal(parameters, long.Parse(row["parameters"], CultureInfo.InvariantCulture));
            Assert.Equal(parameters, obj.GetProperty("parameters").GetInt64());
            Assert.Equal("61,706", cells[6]);

            Assert.Equal(("400", "16", "5", "5"), (row["features"], row["channels"], row["height"], row["width"]));
            Assert.Equal(400, obj.GetProperty("features").GetInt32());
            Assert.Equal([16, 5, 5], obj.GetProperty("feature_shape").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal("400 = 16×5×5", cells[7]);

            int correct = int.Parse(row["test_correct"], CultureInfo.InvariantCulture);
            double accuracy = Number(row["test_accuracy"]);
            Assert.Equal("256", row["test_total"]);
            Assert.Equal(correct / 256.0, accuracy);
            Assert.Equal(accuracy, obj.GetProperty("test_accuracy").GetDouble());
            Assert.Equal(correct, obj.GetProperty("test_correct").GetInt32());
            Assert.Equal([accuracy], obj.GetProperty("epoch_test_accuracies").EnumerateArray().Select(e => e.GetDouble()));
            Assert.Equal(row["epoch_test_accuracies"], row["test_accuracy"]);
            Assert.StartsWith((100 * accuracy).ToString("F2", CultureInfo.InvariantCulture), cells[1], StringComparison.Ordinal);
            Assert.Equal((100 * accuracy).ToString("F1", CultureInfo.InvariantCulture), cells[8]);

            double loss = Number(row["train_loss"]);
            Assert.InRange(loss, 0.5, 3);
            Assert.Equal(loss, obj.GetProperty("train_loss").GetDouble());
            Assert.Equal(loss.ToString("F4", CultureInfo.InvariantCulture), cells[2]);

            double train = Number(row["train_seconds"]), eval = Number(row["eval_seconds"]);
            Assert.True(train > 0 && eval > 0, $"times {train} s, {eval} s");
            Assert.Equal(train, Number(row["seconds_per_epoch"]));
            Assert.Equal(train, Number(row["epoch_train_seconds"]));
            Assert.Equal(train, obj.GetProperty("train_seconds").GetDouble());
            Assert.Equal(eval, obj.GetProperty("eval_seconds").GetDouble());

            bool best = accuracy == bestAccuracy;
            Assert.Equal(best ? "true" : "false", row["best"]);
            Assert.Equal(best, obj.GetProperty("best").GetBoolean());
            Assert.Equal(best, cells[1].EndsWith('*'));
            Assert.Equal(("ok", "1", ""), (row["status"], row["epochs_run"], row["divergence"]));
            Assert.False(obj.GetProperty("diverged").GetBoolean());
            Assert.Equal("ok", cells[9]);
        }

        byte[] png = File.ReadAllBytes(Path.Combine(output, "ablation.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(AblationChart.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(AblationChart.Height(3), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(1000, AblationChart.Width);
        Assert.Empty(Directory.GetFiles(output, ".*"));

        // Every method starts from the same weights and sees the same batches: its results do not depend on the others.
        var again = CliHarness.Run(["ablate", "--pools", "none,max", "-o", temp["again"], .. Small]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        var rerun = ReadCsv(Path.Combine(temp["again"], "ablation.csv"));
        Assert.Equal(["none", "max"], rerun.Select(r => r["method"]));
        foreach (var row in rerun)
        {
            var first = csv.Single(r => r["method"] == row["method"]);
            Assert.Equal((first["test_correct"], first["train_loss"]), (row["test_correct"], row["train_loss"]));
        }
    }

    [Fact]
    public void ExistingFiles_AreRefusedBeforeTraining_AndReplacedWithOverwrite()
    {
        FashionMnistTests.RequireInstalled();
        using var temp = new TempFolder();
        string json = temp["ablation.json"];
        File.WriteAllText(json, "old");

        var (code, stdout, stderr) = CliHarness.Run(["ablate", "--pools", "none", "--out", temp.Path, .. Small]);

        Assert.NotEqual(0, code);
        Assert.Empty(stdout);
        Assert.Equal($"error: '{json}' already exists; give --overwrite to replace it.", stderr.TrimEnd());
        Assert.Equal("old", File.ReadAllText(json));
        Assert.False(File.Exists(temp["ablation.csv"]));

        var replaced = CliHarness.Run(["ablate", "--pools", "none", "--out", temp.Path, "--overwrite", .. Small]);
        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.Equal("none", JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("methods")[0].GetProperty("method").GetString());
        Assert.True(File.Exists(temp["ablation.csv"]) && File.Exists(temp["ablation.png"]));
        Assert.Equal(3, Directory.GetFiles(temp.Path).Length);
    }

    [Fact]
    public void DivergingMethods_AreReportedNotFatal()
    {
        FashionMnistTests.RequireInstalled();
        using var temp = new TempFolder();

        var (code, stdout, stderr) = CliHarness.Run(["ablate", "--pools", "max,stochastic", "--optimizer", "sgd", "--lr", "1e30",
            "-o", temp.Path, "--limit", "256", "--epochs", "2", "--threads", "2"]);

        Assert.True(code == 0, stderr);
        var csv = ReadCsv(temp["ablation.csv"]);
        Assert.All(csv, r => Assert.Equal(("diverged", "1", "false"), (r["status"], r["epochs_run"], r["best"])));
        Assert.All(csv, r => Assert.NotEmpty(r["divergence"]));
        // Max pooling still predicts (badly); stochastic pooling refuses the non-finite activations: not measured.
        Assert.Equal("256", csv[0]["test_total"]);
        Assert.Equal(string.Empty, csv[1]["test_accuracy"]);
        using var json = JsonDocument.Parse(File.ReadAllBytes(temp["ablation.json"]));
        Assert.All(json.RootElement.GetProperty("methods").EnumerateArray(), m => Assert.True(m.GetProperty("diverged").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("methods")[1].GetProperty("test_accuracy").ValueKind);
        Assert.All(TableRows(stdout), cells => Assert.Equal("diverged in epoch 1", cells[9]));
    }

    [Fact]
    public void DefaultPools_AreEveryMethodOfTheZoo_InItsOrder()
    {
        Assert.Equal(ModelZoo.PoolingNames.Values, AblateCommand.ParsePools(null));
        Assert.Equal(PoolingMethod.None, AblateCommand.ParsePools(null)[0]);
        Assert.Equal(16, AblateCommand.ParsePools(null).Count);
        Assert.Equal([PoolingMethod.Gem, PoolingMethod.None], AblateCommand.ParsePools(" GeM , none"));
    }

    [Theory]
    [InlineData("--pools", "max,median", "--pools: unknown pooling method 'median'; use one of none, max, avg, lp, adaptive-max, adaptive-avg, gem, softpool, mixed, gated, stochastic, blur, maxblur, lip, dpp, fractional.")]
    [InlineData("--pools", "max,avg,MAX", "--pools: 'max' is given more than once.")]
    [InlineData("--pools", "max,,avg", "--pools: 'max,,avg' has an empty name")]
    [InlineData("--epochs", "0", "--epochs: 0 is not a positive number.")]
    [InlineData("--batch-size", "-3", "--batch-size: -3 is not a positive number.")]
    [InlineData("--threads", "0", "--threads: 0 is not a positive number.")]
    [InlineData("--limit", "0", "--limit: 0 is not a positive number of examples.")]
    [InlineData("--lr", "0", "--lr: 0 is not a positive finite learning rate.")]
    [InlineData("--model", "resnet", "--model: unknown model 'resnet'; use one of lenet, vgg-small.")]
    [InlineData("--optimizer", "rmsprop", "--optimizer: unknown optimizer 'rmsprop'; use adam or sgd.")]
    public void BadOptions_OneErrorLine_BeforeTraining(string option, string value, string message)
    {
        using var temp = new TempFolder();
        string output = temp["out"];
        string[] args = option == "--limit" ? ["ablate", "-o", output, option, value] : ["ablate", "--limit", "64", "-o", output, option, value];
        var (code, stdout, stderr) = CliHarness.Run(args);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        string line = Assert.Single(CliHarness.Lines(stderr.Replace("\r\n", "\n", StringComparison.Ordinal)));
        Assert.StartsWith("error: " + message, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void MissingDataFolder_OneErrorLine_NothingWritten()
    {
        using var temp = new TempFolder();
        string output = temp["out"];
        var (code, stdout, stderr) = CliHarness.Run("ablate", "--data", temp["no-data"], "-o", output, "--epochs", "1");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        string line = Assert.Single(CliHarness.Lines(stderr.Replace("\r\n", "\n", StringComparison.Ordinal)));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(temp["no-data"], "train-images-idx3-ubyte.gz"), line, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void OutputFolderThatIsAFile_IsAnError()
    {
        using var temp = new TempFolder();
        string file = temp["taken"];
        File.WriteAllText(file, "x");

        var (code, stdout, stderr) = CliHarness.Run("ablate", "-o", file, "--limit", "64");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"error: --out: '{file}' is a file, not a folder.", stderr.TrimEnd());
    }

    /// <summary>The CSV's rows as column → value maps (the test's own minimal reader: quoted fields may hold commas).</summary>
    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        string[] header = Fields(lines[0]);
        Assert.Equal(AblationReport.CsvColumns, header);
        return [.. lines.Skip(1).Select(l =>
        {
            string[] fields = Fields(l);
            Assert.Equal(header.Length, fields.Length);
            return header.Zip(fields).ToDictionary(p => p.First, p => p.Second);
        })];
    }

    private static string[] Fields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
            {
                field.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }

    /// <summary>The data rows of the printed table, as trimmed cells.</summary>
    private static List<string[]> TableRows(string stdout) =>
    [
        .. CliHarness.Lines(stdout)
            .Where(l => l.StartsWith('│'))
            .Select(l => l.Trim('│').Split('│').Select(c => c.Trim()).ToArray())
            .Where(cells => cells[0] != "method"),
    ];

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
