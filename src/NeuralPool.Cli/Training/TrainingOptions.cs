using System.CommandLine;
using System.Globalization;
using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Cli.Training;

/// <summary>
/// The options of the commands that train models of the zoo on Fashion-MNIST (<c>train</c>, <c>ablate</c>):
/// <c>--model --epochs --batch-size --threads --seed --lr --optimizer --limit --data</c>, and how they become a checked
/// <see cref="TrainingSetup"/>. Also the pieces <c>eval</c> shares: the <c>--data</c> option, the thread setting and
/// the checks of counts.
/// </summary>
internal sealed class TrainingOptions
{
    /// <summary>The data set name recorded in checkpoints and reports.</summary>
    public const string DatasetName = "fashion-mnist";

    /// <summary><c>--model</c>: a name of <see cref="ModelZoo.Names"/>.</summary>
    public Option<string> Model { get; } = new("--model") { Description = $"Model: {string.Join(", ", ModelZoo.Names)}.", DefaultValueFactory = _ => "lenet" };

    /// <summary><c>--epochs</c>: passes over the training set.</summary>
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 5 };

    /// <summary><c>--batch-size</c>: images per step.</summary>
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => 64 };

    /// <summary><c>--threads</c>: threads of the training layers and the pooling operators.</summary>
    public Option<int> Threads { get; } = ThreadsOption("Threads of the training layers and the pooling operators (default: all cores).");

    /// <summary><c>--seed</c>: the initial weights, the random layers and the shuffling.</summary>
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of the initial weights, the random layers and the shuffling.", DefaultValueFactory = _ => 1 };

    /// <summary><c>--lr</c>: the learning rate (the optimizer's default when absent).</summary>
    public Option<double?> LearningRate { get; } = new("--lr") { Description = "Learning rate (default: 0.001 for adam, 0.01 for sgd)." };

    /// <summary><c>--optimizer</c>: adam or sgd.</summary>
    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "adam (PyTorch's defaults) or sgd (momentum 0.9).", DefaultValueFactory = _ => "adam" };

    /// <summary><c>--limit</c>: the first N training and test examples only.</summary>
    public Option<int?> Limit { get; } = new("--limit") { Description = "Use only the first N training and the first N test examples." };

    /// <summary><c>--data</c>: the folder of the IDX files.</summary>
    public Option<string> Data { get; } = DataOption();

    /// <summary>Adds the options to <paramref name="command"/>: <c>--model</c>, then <paramref name="afterModel"/>, then the others.</summary>
    public void AddTo(Command command, params IEnumerable<Option> afterModel)
    {
        command.Add(Model);
        foreach (var option in afterModel)
        {
            command.Add(option);
        }

        foreach (Option option in new Option[] { Epochs, BatchSize, Threads, Seed, LearningRate, Optimizer, Limit, Data })
        {
            command.Add(option);
        }
    }

    /// <summary>The checked values of the options.</summary>
    /// <exception cref="CliException">A count is not positive, or the model, optimizer or learning rate is unknown or invalid.</exception>
    public TrainingSetup Read(ParseResult parse)
    {
        string model = CanonicalModel(parse.GetValue(Model)!);
        int epochs = Positive(parse.GetValue(Epochs), "--epochs");
        int batchSize = Positive(parse.GetValue(BatchSize), "--batch-size");
        int threads = Positive(parse.GetValue(Threads), "--threads");
        int? limit = CheckLimit(parse.GetValue(Limit));
        string optimizer = parse.GetValue(Optimizer)!.ToLowerInvariant() switch
        {
            "adam" => "adam",
            "sgd" => "sgd",
            _ => throw new CliException($"--optimizer: unknown optimizer '{parse.GetValue(Optimizer)}'; use adam or sgd."),
        };
        double lr = parse.GetValue(LearningRate) switch
        {
            null => optimizer == "adam" ? 1e-3 : 0.01,
            > 0 and var v when double.IsFinite(v) => v,
            var v => throw new CliException($"--lr: {v?.ToString(CultureInfo.InvariantCulture)} is not a positive finite learning rate."),
        };
        return new TrainingSetup(model, epochs, batchSize, threads, parse.GetValue(Seed), optimizer, lr, limit, parse.GetValue(Data)!);
    }

    /// <summary>A <c>--data</c> option: the folder of the Fashion-MNIST IDX files.</summary>
    public static Option<string> DataOption() => new("--data")
    {
        Description = $"Folder of the Fashion-MNIST IDX files (default: {FashionMnist.DefaultDirectory}, from `{FashionMnist.InstallHint}`).",
        DefaultValueFactory = _ => FashionMnist.DefaultDirectory,
    };

    /// <summary>A <c>--threads</c> option (default: all cores) with <paramref name="description"/>.</summary>
    public static Option<int> ThreadsOption(string description) => new("--threads") { Description = description, DefaultValueFactory = _ => Environment.ProcessorCount };

    /// <summary>Runs <paramref name="action"/> with <see cref="TrainingSettings.Threads"/> and <see cref="PoolSettings.MaxDegreeOfParallelism"/> both set to <paramref name="threads"/>, restoring them afterwards.</summary>
    public static int WithThreads(int threads, Func<int> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        int training = TrainingSettings.Threads, pooling = PoolSettings.MaxDegreeOfParallelism;
        TrainingSettings.Threads = threads;
        PoolSettings.MaxDegreeOfParallelism = threads;
        try
        {
            return action();
        }
        finally
        {
            TrainingSettings.Threads = training;
            PoolSettings.MaxDegreeOfParallelism = pooling;
        }
    }

    /// <summary><paramref name="value"/> when it is at least 1.</summary>
    /// <exception cref="CliException">It is not; the message names the option <paramref name="name"/>.</exception>
    public static int Positive(int value, string name) =>
        value >= 1 ? value : throw new CliException($"{name}: {value} is not a positive number.");

    /// <summary>A <c>--limit</c> value: absent, or at least 1.</summary>
    /// <exception cref="CliException">It is less than 1.</exception>
    public static int? CheckLimit(int? value) =>
        value is < 1 and var bad ? throw new CliException($"--limit: {bad} is not a positive number of examples.") : value;

    /// <summary>The test accuracy line of <c>train</c> and <c>eval</c>: percentage, correct and total.</summary>
    public static string AccuracyLine(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return string.Create(CultureInfo.InvariantCulture, $"test accuracy {100 * matrix.Accuracy:F2}% ({matrix.Correct}/{matrix.Total})");
    }

    /// <summary>The zoo's spelling of a model name (case-insensitive; <c>vgg</c> is <c>vgg-small</c>).</summary>
    private static string CanonicalModel(string name) =>
        ModelZoo.Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)
            || (n == "vgg-small" && name.Equals("vgg", StringComparison.OrdinalIgnoreCase)))
        ?? throw new CliException($"--model: unknown model '{name}'; use one of {string.Join(", ", ModelZoo.Names)}.");
}

/// <summary>A checked training configuration: the model, the optimisation and the data every run of a command shares.</summary>
/// <param name="Model">The zoo's model name.</param>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="Threads">Threads of the layers and the pooling operators.</param>
/// <param name="Seed">Seed of the weights, the random layers and (through <see cref="ShuffleSeed"/>) the shuffling.</param>
/// <param name="Optimizer"><c>adam</c> or <c>sgd</c>.</param>
/// <param name="LearningRate">The learning rate.</param>
/// <param name="Limit">The first N training and test examples only, or all.</param>
/// <param name="DataDirectory">The folder of the IDX files.</param>
internal sealed record TrainingSetup(string Model, int Epochs, int BatchSize, int Threads, ulong Seed, string Optimizer,
    double LearningRate, int? Limit, string DataDirectory)
{
    /// <summary>The seed of the shuffling: its own generator, derived from <see cref="Seed"/>, so it does not shift the weights' draws.</summary>
    public ulong ShuffleSeed => Seed ^ 0x9E3779B97F4A7C15UL;

    /// <summary>The training and test splits (standardised; the first <see cref="Limit"/> examples of each).</summary>
    /// <exception cref="DatasetException">A file is missing or damaged.</exception>
    public (ImageDataset Train, ImageDataset Test) LoadData() =>
        (FashionMnist.Load(DatasetSplit.Train, Limit, DataDirectory), FashionMnist.Load(DatasetSplit.Test, Limit, DataDirectory));

    /// <summary>The optimizer over <paramref name="model"/>'s parameters: Adam with PyTorch's defaults, or SGD with momentum 0.9.</summary>
    public Optimizer<float> CreateOptimizer(Layer<float> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Optimizer == "adam"
            ? new Adam<float>(model.Parameters(), LearningRate)
            : new Sgd<float>(model.Parameters(), LearningRate, momentum: 0.9);
    }

    /// <summary>The line that describes the data and the run: image counts, batch size, threads, seed.</summary>
    public string DataLine(ImageDataset train, ImageDataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        return string.Create(CultureInfo.InvariantCulture,
            $"Fashion-MNIST: {train.Count} training, {test.Count} test images; batch {BatchSize}, {Threads} thread{(Threads == 1 ? "" : "s")}, seed {Seed}");
    }
}
