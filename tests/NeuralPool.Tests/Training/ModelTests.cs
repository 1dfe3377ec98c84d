using NeuralPool.Training;
using NeuralPool.Training.Layers;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Tests.Training;

/// <summary>The model builders: shapes, parameter counts and names, every pooling method, determinism, and learning.</summary>
public class ModelTests
{
    private static (DenseTensor<float> X, int[] Labels) Batch(int n, int seed, int size = 28)
    {
        var rng = new Random(seed);
        var x = new DenseTensor<float>([n, 1, size, size]);
        for (int i = 0; i < x.Length; i++)
        {
            x.Data[i] = (float)((2 * rng.NextDouble()) - 1);
        }

        return (x, [.. Enumerable.Range(0, n).Select(_ => rng.Next(10))]);
    }

    private static double TrainStep(Layer<float> model, Optimizer<float> optimizer, CrossEntropyLoss<float> loss, DenseTensor<float> x, int[] labels)
    {
        optimizer.ZeroGrad();
        double value = loss.Forward(model.Forward(x), labels);
        model.Backward(loss.Backward());
        optimizer.Step();
        return value;
    }

    public static TheoryData<string> PoolingNames() => [.. ModelZoo.PoolingNames.Keys];

    [Fact]
    public void ParameterCounts_MatchPyTorch()
    {
        // torch: sum(p.numel()) of the same nn.Sequential models (tools/reference/torch_models.py).
        Assert.Equal(61706, ModelZoo.ParameterCount(ModelZoo.LeNet<float>(PoolingMethod.Max)));
        Assert.Equal(871018, ModelZoo.ParameterCount(ModelZoo.VggSmall<float>(PoolingMethod.Max)));
        Assert.Equal(61706, ModelZoo.ParameterCount(ModelZoo.LeNet<float>(PoolingMethod.None)));

        // Learnable pooling adds its parameters: GeM one p per pooling layer, LIP a 1x1 convolution per pooling layer.
        Assert.Equal(61706 + 2, ModelZoo.ParameterCount(ModelZoo.LeNet<float>(PoolingMethod.Gem)));
        Assert.Equal(61706 + (6 * 6) + 6 + (16 * 16) + 16, ModelZoo.ParameterCount(ModelZoo.LeNet<float>(PoolingMethod.Lip)));
    }

    [Fact]
    public void LeNet_NamesAndShapes_FollowPyTorchsSequential()
    {
        var model = ModelZoo.LeNet<float>(PoolingMethod.Max);
        Assert.Equal(
            ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight", "11.bias"],
            model.NamedParameters().Select(p => p.Name));
        Assert.Equal([6, 1, 5, 5], model.NamedParameters().First().Parameter.Shape.ToArray());
        Assert.Equal([4, 10], model.OutputShape([4, 1, 28, 28]));
        Assert.Equal([4, 16, 5, 5], new Sequential<float>(model.Layers.Take(6)).OutputShape([4, 1, 28, 28]));
        Assert.False(model.InputGradient);
    }

    [Fact]
    public void VggSmall_NamesAndShapes_FollowPyTorchsSequential()
    {
        var model = ModelZoo.VggSmall<float>(PoolingMethod.Max);
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "3.weight"], names[..5]);
        Assert.Equal(["15.weight", "15.bias", "17.weight", "17.bias"], names[^4..]);
        Assert.Equal(["1.running_mean", "1.running_var"], model.NamedBuffers().Select(b => b.Name).Take(2));
        Assert.Equal([2, 64, 7, 7], new Sequential<float>(model.Layers.Take(14)).OutputShape([2, 1, 28, 28]));
        Assert.Equal([2, 10], model.OutputShape([2, 1, 28, 28]));
    }

    [Fact]
    public void None_ReplacesPoolingByStride2()
    {
        var model = ModelZoo.LeNet<float>(PoolingMethod.None);
        Assert.Equal(10, model.Layers.Count);
        Assert.Equal((2, 2), ((Conv2d<float>)model.Layers[0]).Stride);
        Assert.Equal([3, 16, 5, 5], new Sequential<float>(model.Layers.Take(4)).OutputShape([3, 1, 28, 28]));
        var vgg = ModelZoo.VggSmall<float>(PoolingMethod.None, options: new ModelOptions { BatchNorm = false });
        Assert.Equal([3, 64, 7, 7], new Sequential<float>(vgg.Layers.Take(8)).OutputShape([3, 1, 28, 28]));
    }

    [Theory]
    [MemberData(nameof(PoolingNames))]
    public void EveryPoolingMethod_BuildsBothModels_AndTrains(string pooling)
    {
        var method = ModelZoo.ParsePooling(pooling);
        Assert.Equal(pooling, ModelZoo.NameOf(method));
        var (x, labels) = Batch(4, 1);
        foreach (string name in ModelZoo.Names)
        {
            var model = ModelZoo.Create<float>(name, method, seed: 3, new ModelOptions { Dropout = 0.25 });
            Assert.Equal([4, 10], model.OutputShape(x.Shape));
            var sgd = new Sgd<float>(model.Parameters(), 0.01, momentum: 0.9);
            var loss = new CrossEntropyLoss<float>();
            for (int s = 0; s < 2; s++)
            {
                Assert.True(double.IsFinite(TrainStep(model, sgd, loss, x, labels)), $"{name} with {pooling}");
            }

            Assert.All(model.Parameters(), p => Assert.All(p.Data, v => Assert.True(float.IsFinite(v))));
            model.Training = false;
            var y = model.Forward(x);
            Assert.All(y.Data, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Theory]
    [InlineData("max")]
    [InlineData("stochastic")]
    [InlineData("fractional")]
    [InlineData("lip")]
    [InlineData("gated")]
    public void SameSeed_GivesIdenticalWeights_AfterAFewSteps_ForEveryThreadCount(string pooling)
    {
        int savedThreads = TrainingSettings.Threads, savedPool = PoolSettings.MaxDegreeOfParallelism;
        try
        {
            float[]? reference = null;
            foreach (int threads in new[] { 2, 1, 2, 3 })
            {
                TrainingSettings.Threads = threads;
                PoolSettings.MaxDegreeOfParallelism = threads;
                var model = ModelZoo.LeNet<float>(ModelZoo.ParsePooling(pooling), seed: 42, new ModelOptions { Dropout = 0.5 });
                var adam = new Adam<float>(model.Parameters(), 1e-3);
                var loss = new CrossEntropyLoss<float>();
                for (int s = 0; s < 3; s++)
                {
                    var (x, labels) = Batch(16, 100 + s);
                    TrainStep(model, adam, loss, x, labels);
                }

                float[] weights = [.. model.Parameters().SelectMany(p => p.Data)];
                reference ??= weights;
                Assert.Equal(reference, weights);
            }

            // A different seed gives different weights.
            var other = ModelZoo.LeNet<float>(ModelZoo.ParsePooling(pooling), seed: 43);
            Assert.NotEqual(reference, other.Parameters().SelectMany(p => p.Data).ToArray());
        }
        finally
        {
            TrainingSettings.Threads = savedThreads;
            PoolSettings.MaxDegreeOfParallelism = savedPool;
        }
    }

    [Fact]
    public void SameSeed_GivesIdenticalInitialWeights()
    {
        var a = ModelZoo.VggSmall<float>(PoolingMethod.Max, seed: 5).Parameters().SelectMany(p => p.Data).ToArray();
        var b = ModelZoo.VggSmall<float>(PoolingMethod.Max, seed: 5).Parameters().SelectMany(p => p.Data).ToArray();
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void LeNet_OverfitsASmallRandomBatch(string optimizer)
    {
        var model = ModelZoo.LeNet<float>(PoolingMethod.Max, seed: 1);
        Optimizer<float> opt = optimizer == "sgd" ? new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9) : new Adam<float>(model.Parameters(), 2e-3);
        var loss = new CrossEntropyLoss<float>();
        var (x, labels) = Batch(16, 7);
        double first = TrainStep(model, opt, loss, x, labels), last = first;
        for (int s = 0; s < 100; s++)
        {
            last = TrainStep(model, opt, loss, x, labels);
        }

        Assert.InRange(first, 1.9, 2.7);
        Assert.True(last < 0.1 * first, $"loss went from {first} to {last}");
        model.Training = false;
        var logits = model.Forward(x);
        for (int i = 0; i < 16; i++)
        {
            var row = logits.Data.AsSpan(i * 10, 10);
            Assert.Equal(labels[i], row.IndexOf(row.ToArray().Max()));
        }
    }

    [Fact]
    public void LeNet_WholeModelGradient_MatchesFiniteDifferences()
    {
        var model = ModelZoo.LeNet<double>(PoolingMethod.Avg, seed: 2, new ModelOptions { ImageSize = 16 });
        var x = GradientCheck.Tensor([2, 1, 16, 16], new Random(3));
        int[] labels = [3, 7];
        var loss = new CrossEntropyLoss<double>();
        model.ZeroGrad();
        loss.Forward(model.Forward(x), labels);
        model.Backward(loss.Backward());
        foreach (var (name, p) in model.NamedParameters())
        {
            GradientCheck.Probe(p.Data, p.Grad.ToArray(), name, () => new CrossEntropyLoss<double>().Forward(model.Forward(x), labels), 1e-6, 1e-6, 37);
        }
    }

    [Fact]
    public void UnknownNames_Throw()
    {
        Assert.Throws<ArgumentException>(() => ModelZoo.ParsePooling("median"));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create<float>("resnet", PoolingMethod.Max));
        Assert.Throws<ArgumentException>(() => ModelZoo.LeNet<float>(PoolingMethod.Max, options: new ModelOptions { Dropout = 1 }));
        Assert.Throws<ArgumentException>(() => ModelZoo.LeNet<float>(PoolingMethod.Max, options: new ModelOptions { ImageSize = 8 }));
    }
}
