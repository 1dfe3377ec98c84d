using System.Numerics;
using System.Text.Json;
using NeuralPool.Interop;
using NeuralPool.Tests.Cli;
using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;
using Xunit.Abstractions;

namespace NeuralPool.Tests.Training;

/// <summary>
/// Ten training steps against PyTorch 1.13, from the committed fixture tests/fixtures/training
/// (tools/reference/gen_training_parity.py): the same initial weights (PyTorch's default initialisation rounded to a
/// power-of-two grid, loaded by <c>state_dict</c> name), the same ten Fashion-MNIST batches of 8 (stored as float32)
/// and the loss of every step of SGD (lr 0.01, momentum 0.9) and of Adam (lr 1e-3), for lenet and vgg-small (BatchNorm
/// in training mode) with max pooling, in float32 (within 1e-4 relative) and in float64 (far closer). The batches are
/// ten different ones, so float32 rounding stays small (PyTorch on 1 and on 2 threads differs from itself by at most
/// 5.1e-7); on one batch repeated the loss would fall towards zero and its relative rounding differences would grow
/// with every step.
/// </summary>
public class TorchParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// The relative tolerance of every loss, per case. The worst deviations measured (SGD, Adam), over runs with the
    /// default instruction sets and with AVX-512, AVX2 or all hardware intrinsics switched off: lenet float32 5.8e-8,
    /// 5.5e-8 and vgg-small float32 1.9e-7, 9.6e-7 against the required 1e-4; lenet float64 2.0e-16, 3.8e-16;
    /// vgg-small float64 2.0e-15, 1.4e-14 (Adam divides by √v, so small gradients take full-size steps and their
    /// rounding differences reach the weights).
    /// </summary>
    private static readonly Dictionary<string, double> Tolerances = new()
    {
        ["lenet-float32"] = 1e-4,
        ["lenet-float64"] = 1e-14,
        ["vgg-small-float32"] = 1e-4,
        ["vgg-small-float64"] = 1e-13,
    };

    private static string Folder => Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", "training");

    public static TheoryData<string> Cases => [.. Tolerances.Keys];

    public static TheoryData<string, string> Runs
    {
        get
        {
            var runs = new TheoryData<string, string>();
            foreach (string name in Tolerances.Keys)
            {
                runs.Add(name, "sgd");
                runs.Add(name, "adam");
            }

            return runs;
        }
    }

    /// <summary>Every step's loss of <paramref name="optimizer"/> agrees with PyTorch's.</summary>
    [Theory]
    [MemberData(nameof(Runs))]
    public void TenStepsGiveTorchLosses(string name, string optimizer)
    {
        var fixture = new Fixture(name);
        double[] expected = fixture.Losses(optimizer);
        double[] actual = fixture.Float64 ? Train<double>(fixture, optimizer) : Train<float>(fixture, optimizer);
        AssertLosses(expected, actual, fixture.Tolerance, $"{name} {optimizer}");
    }

    /// <summary>The loaded model's loss on the first batch, before any step, is PyTorch's (a loading mistake shows here alone).</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadedWeightsGiveTheFirstLoss(string name)
    {
        var fixture = new Fixture(name);
        double expected = fixture.Losses("sgd")[0];
        Assert.Equal(expected, fixture.Losses("adam")[0]);
        double actual = fixture.Float64 ? FirstLoss<double>(fixture) : FirstLoss<float>(fixture);
        AssertLosses([expected], [actual], fixture.Tolerance, $"{name} initial");
    }

    /// <summary>The stored images are FashionMnist's normalisation of bytes, bit for bit, so the fixture tests the loader's pipeline.</summary>
    [Fact]
    public void BatchesAreFashionMnistNormalisation()
    {
        var pixels = new byte[256];
        for (int b = 0; b < 256; b++)
        {
            pixels[b] = (byte)b;
        }

        var normalised = FashionMnist.ToFloats(pixels, Normalization.Standard).Select(BitConverter.SingleToInt32Bits).ToHashSet();
        var images = Npy.Read(Path.Combine(Folder, "batches", "images.npy"));
        Assert.Equal([10, 8, 1, 28, 28], images.Shape);
        float[] values = images.GetData<float>();
        Assert.All(values, v => Assert.Contains(BitConverter.SingleToInt32Bits(v), normalised));
        Assert.True(values.Distinct().Count() > 100, "the batches hold real images, not a constant");
    }

    private void AssertLosses(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Abs(expected[i]));
        }

        output.WriteLine($"{what}: worst relative deviation {worst:E2} over {expected.Length} losses");
        for (int i = 0; i < expected.Length; i++)
        {
            double relative = Math.Abs(actual[i] - expected[i]) / Math.Abs(expected[i]);
            Assert.True(relative <= tolerance, $"{what}, step {i}: loss {actual[i]:R}, PyTorch {expected[i]:R}, relative deviation {relative:E2} > {tolerance:E0}");
        }
    }

    /// <summary>The training loop of <see cref="Trainer"/>: zero the gradients, forward, loss, backward, step; returns each step's loss.</summary>
    private static double[] Train<T>(Fixture fixture, string optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var model = fixture.Model<T>();
        Optimizer<T> opt = fixture.Optimizer(optimizer, model.Parameters());
        var loss = new CrossEntropyLoss<T>();
        var (images, labels) = fixture.Batches<T>();
        var losses = new double[images.Length];
        for (int b = 0; b < images.Length; b++)
        {
            opt.ZeroGrad();
            losses[b] = loss.Forward(model.Forward(images[b]), labels[b]);
            model.Backward(loss.Backward());
            opt.Step();
        }

        return losses;
    }

    private static double FirstLoss<T>(Fixture fixture)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var model = fixture.Model<T>();
        var (images, labels) = fixture.Batches<T>();
        return new CrossEntropyLoss<T>().Forward(model.Forward(images[0]), labels[0]);
    }

    /// <summary>One case of the fixture: its meta.json and losses.json, and the shared weights and batches.</summary>
    private sealed class Fixture
    {
        private readonly JsonElement _meta;
        private readonly JsonElement _losses;

        public Fixture(string name)
        {
            string dir = Path.Combine(Folder, name);
            _meta = ReadJson(Path.Combine(dir, "meta.json"));
            _losses = ReadJson(Path.Combine(dir, "losses.json"));
            Assert.Equal(name, _meta.GetProperty("case").GetString());
            Assert.Equal("max", _meta.GetProperty("pooling").GetString());
            string dtype = _meta.GetProperty("dtype").GetString()!;
            Assert.True(dtype is "float32" or "float64", $"unexpected dtype {dtype}");
            Float64 = dtype == "float64";
            Tolerance = Tolerances[name];
        }

        public bool Float64 { get; }

        public double Tolerance { get; }

        public double[] Losses(string optimizer) => [.. _losses.GetProperty(optimizer).EnumerateArray().Select(e => e.GetDouble())];

        /// <summary>The optimizer with the fixture's settings.</summary>
        public Optimizer<T> Optimizer<T>(string optimizer, IEnumerable<Parameter<T>> parameters)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var s = _meta.GetProperty(optimizer);
            double lr = s.GetProperty("lr").GetDouble(), wd = s.GetProperty("weight_decay").GetDouble();
            if (optimizer == "sgd")
            {
                return new Sgd<T>(parameters, lr, s.GetProperty("momentum").GetDouble(), s.GetProperty("dampening").GetDouble(), wd,
                    s.GetProperty("nesterov").GetBoolean());
            }

            var betas = s.GetProperty("betas");
            return new Adam<T>(parameters, lr, betas[0].GetDouble(), betas[1].GetDouble(), s.GetProperty("eps").GetDouble(), wd,
                s.GetProperty("amsgrad").GetBoolean());
        }

        /// <summary>
        /// The zoo's model with the stored weights: every parameter and buffer by name, each the int8 code times
        /// 2^-exponent (exact in float and double). The stored names must be exactly the model's.
        /// </summary>
        public Sequential<T> Model<T>()
            where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
        {
            string model = _meta.GetProperty("model").GetString()!;
            var net = ModelZoo.Create<T>(model, PoolingMethod.Max);
            string dir = Path.Combine(Folder, _meta.GetProperty("weights").GetString()!);
            var stored = new Dictionary<string, (int[] Shape, T[] Values)>();
            foreach (var entry in ReadJson(Path.Combine(dir, "index.json")).EnumerateArray())
            {
                string name = entry.GetProperty("name").GetString()!;
                double scale = Math.ScaleB(1.0, -entry.GetProperty("exponent").GetInt32());
                var array = Npy.Read(Path.Combine(dir, name + ".npy"));
                Assert.Equal(entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), array.Shape);
                stored.Add(name, (array.Shape, [.. array.GetData<sbyte>().Select(c => T.CreateChecked(c * scale))]));
            }

            var parameters = net.NamedParameters().ToList();
            var buffers = net.NamedBuffers().ToList();
            Assert.Equal(stored.Keys.Order(StringComparer.Ordinal), parameters.Select(p => p.Name).Concat(buffers.Select(b => b.Name)).Order(StringComparer.Ordinal));
            foreach (var (name, p) in parameters)
            {
                Assert.Equal(stored[name].Shape, p.Shape.ToArray());
                p.Load(stored[name].Values);
            }

            foreach (var (name, values) in buffers)
            {
                Assert.Equal(values.Length, stored[name].Values.Length);
                stored[name].Values.CopyTo(values, 0);
            }

            net.Training = true;
            return net;
        }

        /// <summary>The batches as (8, 1, 28, 28) tensors (float32 values, cast exactly for double) and their labels.</summary>
        public (DenseTensor<T>[] Images, int[][] Labels) Batches<T>()
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            string dir = Path.Combine(Folder, _meta.GetProperty("batches").GetString()!);
            var images = Npy.Read(Path.Combine(dir, "images.npy"));
            var labels = Npy.Read(Path.Combine(dir, "labels.npy"));
            int[] shape = images.Shape;
            int count = _meta.GetProperty("batch_count").GetInt32(), size = _meta.GetProperty("batch_size").GetInt32();
            Assert.Equal([count, size, 1, 28, 28], shape);
            Assert.Equal([count, size], labels.Shape);
            float[] pixels = images.GetData<float>();
            long[] classes = labels.GetData<long>();
            int per = size * 28 * 28;
            var x = new DenseTensor<T>[count];
            var y = new int[count][];
            for (int b = 0; b < count; b++)
            {
                x[b] = new DenseTensor<T>([.. pixels.AsSpan(b * per, per).ToArray().Select(T.CreateChecked)], [size, 1, 28, 28]);
                y[b] = [.. classes.AsSpan(b * size, size).ToArray().Select(c => (int)c)];
            }

            return (x, y);
        }

        private static JsonElement ReadJson(string path)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
    }
}
