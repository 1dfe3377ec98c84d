using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Tests.Training;

/// <summary>Checkpoints: round trips that give identical predictions, and clear errors for damaged or mismatched files.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "neuralpool-ckpt-" + Guid.NewGuid().ToString("N"));

    public CheckpointTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DenseTensor<float> RandomBatch(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new DenseTensor<float>([n, 1, 28, 28]);
        for (int i = 0; i < x.Length; i++)
        {
            x.Data[i] = (float)((2 * rng.NextDouble()) - 1);
        }

        return x;
    }

    /// <summary>A model trained for a few Adam steps, so weights and BatchNorm statistics differ from any initialisation.</summary>
    private static Sequential<float> Trained(string name, PoolingMethod pooling, ulong seed)
    {
        var model = ModelZoo.Create<float>(name, pooling, seed);
        var adam = new Adam<float>(model.Parameters(), 1e-2);
        var loss = new CrossEntropyLoss<float>();
        for (int step = 0; step < 3; step++)
        {
            adam.ZeroGrad();
            loss.Forward(model.Forward(RandomBatch(8, step)), [0, 1, 2, 3, 4, 5, 6, 7]);
            model.Backward(loss.Backward());
            adam.Step();
        }

        model.Training = false;
        return model;
    }

    private string Saved(string name, PoolingMethod pooling, string file = "model.bin", ulong seed = 5)
    {
        string path = Path.Combine(_dir, file);
        Checkpoint.Save(path, Trained(name, pooling, seed), name, pooling, seed: seed);
        return path;
    }

    [Theory]
    [InlineData("lenet", PoolingMethod.Max)]
    [InlineData("lenet", PoolingMethod.Gated)]       // learnable pooling parameters
    [InlineData("lenet", PoolingMethod.Fractional)]  // seeded pooling: the seed travels with the checkpoint
    [InlineData("vgg-small", PoolingMethod.Avg)]     // BatchNorm buffers
    public void RoundTrip_GivesIdenticalPredictions(string name, PoolingMethod pooling)
    {
        var model = Trained(name, pooling, seed: 11);
        string path = Path.Combine(_dir, "m.bin");
        Checkpoint.Save(path, model, name, pooling, seed: 11, metadata: new Dictionary<string, string> { ["dataset"] = "fashion-mnist" });

        var loaded = Checkpoint.Load<float>(path);

        Assert.Equal(name, loaded.ModelName);
        Assert.Equal(pooling, loaded.Pooling);
        Assert.Equal(11UL, loaded.Seed);
        Assert.Equal("fashion-mnist", loaded.Metadata["dataset"]);
        Assert.False(loaded.Model.Training);
        Assert.Equal(model.NamedParameters().Select(p => p.Name), loaded.Model.NamedParameters().Select(p => p.Name));
        foreach (var ((_, a), (_, b)) in model.NamedParameters().Zip(loaded.Model.NamedParameters()))
        {
            Assert.Equal(a.Data, b.Data);
        }

        foreach (var ((_, a), (_, b)) in model.NamedBuffers().Zip(loaded.Model.NamedBuffers()))
        {
            Assert.Equal(a, b);
        }

        var x = RandomBatch(6, 99);
        float[] expected = [.. model.Forward(x).Data];
        Assert.Equal(expected, loaded.Model.Forward(x).Data);
    }

    [Fact]
    public void Save_ReplacesAtomically_LeavingNoTemporaryFiles()
    {
        string path = Saved("lenet", PoolingMethod.Max);
        long first = new FileInfo(path).Length;
        Saved("lenet", PoolingMethod.Avg);

        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal(first, new FileInfo(path).Length);
        Assert.Equal(PoolingMethod.Avg, Checkpoint.Load<float>(path).Pooling);
    }

    [Fact]
    public void Truncated_Or_AlteredFile_IsDamaged()
    {
        string path = Saved("lenet", PoolingMethod.Max);
        byte[] good = File.ReadAllBytes(path);

        foreach (int keep in new[] { 0, 5, 12, 40, good.Length / 2, good.Length - 1 })
        {
            File.WriteAllBytes(path, good[..keep]);
            var ex = Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }

        byte[] flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, flipped);
        Assert.Contains("checksum", Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongSignature_Version_OrElementType_AreNamed()
    {
        string path = Saved("lenet", PoolingMethod.Max);
        byte[] good = File.ReadAllBytes(path);

        File.WriteAllText(path, "this is a text file, not a checkpoint");
        Assert.Contains("not a NeuralPool checkpoint", Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path)).Message, StringComparison.Ordinal);

        byte[] version = (byte[])good.Clone();
        version[8] = 2;
        File.WriteAllBytes(path, version);
        Assert.Contains("format version 2", Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, good);
        Assert.Contains("32-bit values; 64-bit were asked for", Assert.Throws<CheckpointException>(() => Checkpoint.Load<double>(path)).Message, StringComparison.Ordinal);

        string missing = Path.Combine(_dir, "none.bin");
        Assert.Contains(missing, Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(missing)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MismatchedModel_IsNamed()
    {
        // A lenet's tensors under the name vgg-small: the first convolution has the wrong shape.
        string path = Path.Combine(_dir, "wrong-model.bin");
        Checkpoint.Save(path, ModelZoo.LeNet<float>(PoolingMethod.Max), "vgg-small", PoolingMethod.Max);
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path));
        Assert.Contains("'0.weight' has shape (6, 1, 5, 5), the vgg-small model needs (32, 1, 3, 3)", ex.Message, StringComparison.Ordinal);

        // A max-pooling lenet saved as gated pooling: the gates are missing.
        Checkpoint.Save(path, ModelZoo.LeNet<float>(PoolingMethod.Max), "lenet", PoolingMethod.Gated);
        Assert.Contains("lacks '2.gate'", Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path)).Message, StringComparison.Ordinal);

        // A gated lenet saved as max pooling: the gates are extra.
        Checkpoint.Save(path, ModelZoo.LeNet<float>(PoolingMethod.Gated), "lenet", PoolingMethod.Max);
        Assert.Contains("parameter '2.gate', which a lenet with max pooling does not have", Assert.Throws<CheckpointException>(() => Checkpoint.Load<float>(path)).Message, StringComparison.Ordinal);
    }
}

/// <summary>The trainer's seeded shuffling and the evaluation's confusion matrix.</summary>
public class TrainerTests
{
    private static ImageDataset Synthetic(int n)
    {
        var rng = new Random(3);
        var labels = Enumerable.Range(0, n).Select(i => i % 10).ToArray();
        var images = new float[n * 28 * 28];
        for (int i = 0; i < images.Length; i++)
        {
            // Class c lights up row 2c more: learnable, but not trivially.
            int image = i / 784, row = i % 784 / 28;
            images[i] = (float)(rng.NextDouble() - 0.5 + (row == 2 * labels[image] ? 1.5 : 0));
        }

        return new ImageDataset(images, labels, 1, 28, 28, FashionMnist.ClassNames);
    }

    private static (EpochResult First, EpochResult Second, float[] Weights) Run(ImageDataset data, ulong shuffleSeed)
    {
        var model = ModelZoo.LeNet<float>(PoolingMethod.Max, seed: 2);
        var trainer = new Trainer(model, new Adam<float>(model.Parameters(), 3e-3), batchSize: 16, shuffleSeed);
        var first = trainer.TrainEpoch(data);
        var second = trainer.TrainEpoch(data);
        return (first, second, model.Parameters().First().Data);
    }

    [Fact]
    public void Training_IsReproducible_AndTheShuffleSeedMatters()
    {
        var data = Synthetic(100);
        var a = Run(data, 7);
        var b = Run(data, 7);
        var c = Run(data, 8);

        Assert.Equal(a.First.Loss, b.First.Loss);
        Assert.Equal(a.Second.Loss, b.Second.Loss);
        Assert.Equal(a.Weights, b.Weights);
        Assert.NotEqual(a.First.Loss, c.First.Loss);
        Assert.Equal(100, a.First.Images);
        Assert.True(a.Second.Loss < a.First.Loss, $"loss {a.First.Loss} then {a.Second.Loss}");
    }

    [Fact]
    public void Progress_IsReportedPerStep_IncludingTheLastPartialBatch()
    {
        var data = Synthetic(40);
        var model = ModelZoo.LeNet<float>(PoolingMethod.Avg, seed: 1);
        var trainer = new Trainer(model, new Sgd<float>(model.Parameters(), 0.01), batchSize: 16, shuffleSeed: 1);
        var seen = new List<TrainingProgress>();

        trainer.TrainEpoch(data, seen.Add);

        Assert.Equal([16, 32, 40], seen.Select(p => p.Images));
        Assert.All(seen, p => Assert.Equal(40, p.Total));
    }

    [Fact]
    public void Evaluate_CountsArgMaxAgainstLabels_AndRestoresTheMode()
    {
        var data = Synthetic(30);
        var model = ModelZoo.LeNet<float>(PoolingMethod.Max, seed: 4);
        model.Training = true;

        var matrix = Trainer.Evaluate(model, data, batchSize: 7);

        Assert.True(model.Training);
        Assert.Equal(30, matrix.Total);
        long diagonal = Enumerable.Range(0, 10).Sum(c => matrix[c, c]);
        Assert.Equal(matrix.Correct, diagonal);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(3, Enumerable.Range(0, 10).Sum(p => matrix[c, p])));
        Assert.Contains("9 Ankle boot", matrix.Format(data.ClassNames), StringComparison.Ordinal);
    }

    [Fact]
    public void ConfusionMatrix_Accuracy()
    {
        var m = new ConfusionMatrix(3);
        m.Add(0, 0);
        m.Add(1, 2);
        m.Add(2, 2);
        m.Add(2, 2);

        Assert.Equal(0.75, m.Accuracy);
        Assert.Equal(2, m[2, 2]);
        Assert.Equal(1, m[1, 2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Add(3, 0));
    }
}
