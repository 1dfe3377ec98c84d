using Microsoft.ML.OnnxRuntime;
using NeuralPool.Operators;
using NeuralPool.Training;
using NeuralPool.Training.Export;
using NeuralPool.Training.Layers;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;
using Xunit.Abstractions;

namespace NeuralPool.Tests.Training;

/// <summary>
/// ONNX export checked against ONNX Runtime: every model of the zoo with every exportable pooling method, trained a
/// few steps (so pooling parameters and BatchNorm running statistics are not their initial values), and single pooling
/// layers in the geometries the export handles specially (ceil mode, padding, overlapping and adaptive windows,
/// negative inputs), each run on a batch of random images by an <see cref="InferenceSession"/> and compared with the
/// model's evaluation-mode forward. Layers that cannot be exported throw the documented <see cref="NotSupportedException"/>.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    /// <summary>Per logit: |onnx − model| ≤ Tolerance·(1 + |model|).</summary>
    private const double Tolerance = 1e-4;

    public static TheoryData<string, PoolingMethod> ZooCases()
    {
        var cases = new TheoryData<string, PoolingMethod>();
        foreach (string model in ModelZoo.Names)
        {
            foreach (var method in OnnxExport.ExportablePooling)
            {
                cases.Add(model, method);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(ZooCases))]
    public void ZooModel_MatchesOnnxRuntime(string name, PoolingMethod pooling)
    {
        var model = ModelZoo.Create<float>(name, pooling, seed: 7);
        TrainALittle(model, steps: 2);
        foreach (var bn in model.Layers.OfType<BatchNorm2d<float>>())
        {
            Assert.DoesNotContain(0f, bn.RunningMean!);
            Assert.DoesNotContain(1f, bn.RunningVar!);
        }

        var (summary, worst) = Compare(model, new ModelOptions(), batch: 3);

        Assert.Equal(model.ParameterCount(), summary.Parameters);
        output.WriteLine($"{name} {ModelZoo.NameOf(pooling)}: {summary.Nodes} nodes, {summary.Bytes:N0} bytes, worst |Δ| {worst.Absolute:E2} (relative to the largest logit {worst.Relative:E2})");
    }

    [Fact]
    public void VggSmall_WithDropout_DoubleParameters_MatchesOnnxRuntime()
    {
        // Dropout is the identity in evaluation; double parameters are written as float32.
        var options = new ModelOptions { Dropout = 0.3 };
        var model = ModelZoo.VggSmall<double>(PoolingMethod.Max, seed: 3, options);
        var images = Images(2, options, seed: 11);
        byte[] bytes = Export(model, options, out _);
        float[] onnx = Run(bytes, images, [2, 1, 28, 28]);
        model.Training = false;
        var expected = model.Forward(new DenseTensor<double>([.. images.Select(v => (double)v)], [2, 1, 28, 28])).Data;
        var worst = Worst(onnx, [.. expected.Select(v => (float)v)]);
        output.WriteLine($"vgg-small (double, dropout) worst |Δ| {worst.Absolute:E2}");
    }

    public static TheoryData<string> LayerCases() => [.. LayerFactories.Keys];

    /// <summary>Single layers between a convolution and a linear classifier, on 2×13×13 inputs, with or without a ReLU before them.</summary>
    private static readonly Dictionary<string, Func<Layer<float>>> LayerFactories = new()
    {
        ["max k3 s2 p1 ceil"] = () => new MaxPool2d<float>(3, 2, 1, ceilMode: true),
        ["max k2 dilation 2"] = () => new MaxPool2d<float>(2, 1, 0, dilation: 2),
        ["avg k3 s2 p1 ceil count-pad"] = () => new AvgPool2d<float>(3, 2, 1, ceilMode: true, countIncludePad: true),
        ["avg k3 s2 p1 ceil no-count-pad"] = () => new AvgPool2d<float>(3, 2, 1, ceilMode: true, countIncludePad: false),
        ["avg k2 s2 ceil"] = () => new AvgPool2d<float>(2, ceilMode: true),
        ["adaptive avg 1x1"] = () => new AdaptiveAvgPool2d<float>(1, 1),
        ["adaptive max 1x1"] = () => new MaxPool2d<float>(PoolWindow.Global),
        ["lp p2 (negative input)"] = () => new LpPool2d<float>(2, 2),
        ["lp p3 k3 s2"] = () => new LpPool2d<float>(3, 3, 2),
        ["lp p1 (negative input)"] = () => new LpPool2d<float>(1, 2),
        ["lp p3 ceil"] = () => new LpPool2d<float>(3, 2, ceilMode: true),
        ["lp p1.5"] = () => new LpPool2d<float>(1.5, 2),
        ["gem k3 s2 p1"] = () => new GemPool2d<float>(PoolWindow.Sliding(3, 2, 1), p: 2.5),
        ["gem global"] = () => new GemPool2d<float>(PoolWindow.Global),
        ["softpool k3 s2 p1 (negative input)"] = () => new SoftPool2d<float>(3, 2, 1),
        ["softpool k2 ceil"] = () => new SoftPool2d<float>(PoolWindow.Sliding(2, ceilMode: true)),
        ["softpool global"] = () => new SoftPool2d<float>(PoolWindow.Global),
        ["mixed k3 s2 p1 no-count-pad"] = () => new MixedPool2d<float>(PoolWindow.Sliding(3, 2, 1), a: 0.3, countIncludePad: false),
        ["gated k3 s2 p1"] = () => Gated(new GatedPool2d<float>(3, 2, 1)),
        ["stochastic k3 s2"] = () => new StochasticPool2d<float>(3, 2, seed: 4),
        ["blur f2 s2"] = () => new BlurPool2d<float>(2, 2),
        ["blur f5 s1"] = () => new BlurPool2d<float>(5, 1),
        ["blur f1 s2"] = () => new BlurPool2d<float>(1, 2),
        ["maxblur k3 f4 s2"] = () => new MaxBlurPool2d<float>(3, 4, 2),
        ["lip without softgate"] = () => new LipPool2d<float>(4, new SeededRandom(3), softGate: false),
        ["dpp asymmetric k3 s2"] = () => new DetailPreservingPool2d<float>(4, PoolWindow.Sliding(3, 2), new SeededRandom(5), DppVariant.Asymmetric),
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_MatchesOnnxRuntime(string name)
    {
        bool relu = !name.Contains("negative", StringComparison.Ordinal);
        var (model, options) = Around(LayerFactories[name](), relu);
        var (summary, worst) = Compare(model, options, batch: 3);
        output.WriteLine($"{name}: {summary.Nodes} nodes, worst |Δ| {worst.Absolute:E2} (relative to the largest logit {worst.Relative:E2})");
    }

    [Fact]
    public void Fractional_IsNotSupported_NamingTheLayerAndTheExportableMethods()
    {
        var model = ModelZoo.LeNet<float>(PoolingMethod.Fractional, seed: 1);

        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.Write(new MemoryStream(), model));
        Assert.StartsWith("cannot export layer 2 (FractionalMaxPool2d(", ex.Message, StringComparison.Ordinal);
        Assert.Contains("new random window positions on every forward pass", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Exportable pooling methods: max, avg, lp,", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(PoolingMethod.Fractional, OnnxExport.ExportablePooling);
    }

    public static TheoryData<string, string> UnsupportedCases() => new()
    {
        { "adaptive 5x5 of 13", "adaptive bins of output (5, 5) over a 13×13 input differ in size" },
        { "avg divisor override", "divisor_override (3) has no ONNX AveragePool counterpart" },
        { "avg dilation", "ONNX AveragePool has dilations only from opset 19" },
        { "dpp padding", "windows that reach into the padding" },
        { "softpool 9x9", "a window of 81 taps is more than the 64" },
        { "max ceil, window in the padding on one axis", "in ceil mode PyTorch gives a 7×7 output here and ONNX's AveragePool/MaxPool 8×7" },
        { "unknown layer", "not Doubler" },
        { "batchnorm without running statistics", "a BatchNorm2d without running statistics" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedCases))]
    public void UnsupportedLayer_ThrowsNotSupported(string name, string reason)
    {
        Layer<float> layer = name switch
        {
            "adaptive 5x5 of 13" => new AdaptiveAvgPool2d<float>(5, 5),
            "avg divisor override" => new AvgPool2d<float>(2, divisorOverride: 3),
            "avg dilation" => new AvgPool2d<float>(PoolWindow.Sliding(2, 1, 0, dilation: 2)),
            "dpp padding" => new DetailPreservingPool2d<float>(4, PoolWindow.Sliding(3, 2, 1)),
            "softpool 9x9" => new SoftPool2d<float>(9, 1),
            "max ceil, window in the padding on one axis" => new MaxPool2d<float>(
                new PoolWindow { KernelSize = (2, 2), Stride = (2, 2), Padding = (1, 0), Dilation = (1, 1), CeilMode = true }),
            "unknown layer" => new Doubler(),
            "batchnorm without running statistics" => new BatchNorm2d<float>(4, trackRunningStats: false),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var (model, options) = Around(layer, relu: true);
        model.Training = false;

        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.Write(new MemoryStream(), model, options));
        Assert.StartsWith("cannot export layer 2 (", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("fractional is not.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsThatDoNotFitTheModel_ThrowArgumentException()
    {
        var model = ModelZoo.LeNet<float>(PoolingMethod.Max);

        var classes = Assert.Throws<ArgumentException>(() => OnnxExport.Write(new MemoryStream(), model, new ModelOptions { Classes = 5 }));
        Assert.Contains("needs (N, 5) logits", classes.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OnnxExport.Write(new MemoryStream(), model, new ModelOptions { InputChannels = 3 }));
    }

    [Fact]
    public void Save_WritesAtomically_AndKeepsAnExistingFileWithoutOverwrite()
    {
        string dir = Path.Combine(Path.GetTempPath(), "neuralpool-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "lenet.onnx");
            var model = ModelZoo.LeNet<float>(PoolingMethod.Avg, seed: 2);
            var metadata = new Dictionary<string, string> { ["normalization"] = "standard" };

            var summary = OnnxExport.Save(path, model, metadata: metadata);
            Assert.Equal(new FileInfo(path).Length, summary.Bytes);
            Assert.Equal(61_706, summary.Parameters);
            Assert.Equal(10, summary.Initializers);
            Assert.Single(Directory.GetFiles(dir));
            using (var session = new InferenceSession(path))
            {
                Assert.Equal("standard", session.ModelMetadata.CustomMetadataMap["normalization"]);
                Assert.Equal(["input"], session.InputMetadata.Keys);
                Assert.Equal(["logits"], session.OutputMetadata.Keys);
                Assert.Equal([-1, 1, 28, 28], session.InputMetadata["input"].Dimensions);
                Assert.Equal([-1, 10], session.OutputMetadata["logits"].Dimensions);
            }

            File.WriteAllText(path, "keep me");
            Assert.Throws<IOException>(() => OnnxExport.Save(path, model, overwrite: false));
            Assert.Equal("keep me", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));

            var replaced = OnnxExport.Save(path, model, overwrite: true);
            Assert.Equal(replaced.Bytes, new FileInfo(path).Length);
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Export_IsDeterministic_AndLeavesTheModelAsItWas()
    {
        var model = ModelZoo.VggSmall<float>(PoolingMethod.Gem, seed: 4);
        model.Training = true;
        byte[] first = Export(model, new ModelOptions(), out _);
        byte[] second = Export(model, new ModelOptions(), out _);

        Assert.Equal(first, second);
        Assert.True(model.Training);
    }

    /// <summary>Trains <paramref name="model"/> for a few SGD steps on random images with a non-zero mean (moving BatchNorm's running statistics), then sets evaluation mode.</summary>
    internal static void TrainALittle(Sequential<float> model, int steps, ModelOptions? options = null)
    {
        var o = options ?? new ModelOptions();
        var sgd = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
        var loss = new CrossEntropyLoss<float>();
        model.Training = true;
        for (int step = 0; step < steps; step++)
        {
            var images = Images(4, o, seed: 100 + step);
            sgd.ZeroGrad();
            loss.Forward(model.Forward(new DenseTensor<float>(images, [4, o.InputChannels, o.ImageSize, o.ImageSize])), [1, 3, 5, step % o.Classes]);
            model.Backward(loss.Backward());
            sgd.Step();
        }

        model.Training = false;
    }

    /// <summary>Random images, values in [−1, 2).</summary>
    internal static float[] Images(int n, ModelOptions o, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n * o.InputChannels * o.ImageSize * o.ImageSize];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((3 * rng.NextDouble()) - 1);
        }

        return data;
    }

    /// <summary>Runs an exported model on <paramref name="images"/> with ONNX Runtime (CPU, one thread) and returns the logits.</summary>
    internal static float[] Run(byte[] model, float[] images, long[] shape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var input = OrtValue.CreateTensorValueFromMemory(images, shape);
        using var run = new RunOptions();
        using var outputs = session.Run(run, [OnnxExport.InputName], [input], [OnnxExport.OutputName]);
        var logits = outputs[0];
        Assert.Equal([shape[0], 10], logits.GetTensorTypeAndShape().Shape);
        return logits.GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Exports <paramref name="model"/>, runs a batch through ONNX Runtime and through the model in evaluation mode, and asserts they agree.</summary>
    private static (OnnxExportSummary Summary, (double Absolute, double Relative) Worst) Compare(Sequential<float> model, ModelOptions options, int batch)
    {
        model.Training = false;
        byte[] bytes = Export(model, options, out var summary);
        float[] images = Images(batch, options, seed: 42);
        long[] shape = [batch, options.InputChannels, options.ImageSize, options.ImageSize];
        float[] onnx = Run(bytes, images, shape);
        float[] expected = model.Forward(new DenseTensor<float>(images, [.. shape.Select(d => (int)d)])).Data;
        return (summary, Worst(onnx, expected));
    }

    /// <summary>Asserts the tolerance per logit; returns the largest |Δ| and its ratio to the largest |logit|.</summary>
    private static (double Absolute, double Relative) Worst(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double absolute = 0, largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(expected[i]), $"logit {i} of the model is {expected[i]}");
            double d = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(d <= Tolerance * (1 + Math.Abs(expected[i])), $"logit {i}: ONNX Runtime {actual[i]}, model {expected[i]} (|Δ| {d:E2})");
            absolute = Math.Max(absolute, d);
            largest = Math.Max(largest, Math.Abs(expected[i]));
        }

        return (absolute, absolute / largest);
    }

    private static byte[] Export<T>(Sequential<T> model, ModelOptions options, out OnnxExportSummary summary)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>, System.Numerics.IMinMaxValue<T>
    {
        using var stream = new MemoryStream();
        summary = OnnxExport.Write(stream, model, options);
        Assert.Equal(stream.Length, summary.Bytes);
        return stream.ToArray();
    }

    /// <summary>
    /// Conv2d(2, 4, 3, padding 1) [ReLU] LAYER Flatten Linear(·, 10) on 2×13×13 inputs, trained a little (the ReLU
    /// makes the layer's input non-negative; without it the input has both signs).
    /// </summary>
    private static (Sequential<float> Model, ModelOptions Options) Around(Layer<float> layer, bool relu)
    {
        var options = new ModelOptions { InputChannels = 2, ImageSize = 13 };
        var random = new SeededRandom(9);
        var conv = new Conv2d<float>(2, 4, 3, padding: 1, random: random);
        int[] shape;
        try
        {
            shape = layer.OutputShape([1, 4, 13, 13]);
        }
        catch (ArgumentException)
        {
            shape = [1, 4, 1, 1];
        }

        int features = shape[1] * shape[2] * shape[3];
        var layers = new List<Layer<float>> { conv, relu ? new ReLU<float>() : new Dropout<float>(0.0), layer, new Flatten<float>(), new Linear<float>(features, 10, random: random) };
        var model = new Sequential<float>(layers) { InputGradient = false };
        if (layer is not Doubler && layer is not BatchNorm2d<float>)
        {
            TrainALittle(model, steps: 2, options);
        }

        return (model, options);
    }

    private static GatedPool2d<float> Gated(GatedPool2d<float> layer)
    {
        // A gate that is not the even mix from the start.
        for (int i = 0; i < layer.Gate.Length; i++)
        {
            layer.Gate.Data[i] = 0.1f * (i - 4);
        }

        return layer;
    }

    /// <summary>A layer type the exporter does not know.</summary>
    private sealed class Doubler : Layer<float>
    {
        public override DenseTensor<float> Forward(DenseTensor<float> input) => input;

        public override DenseTensor<float> Backward(DenseTensor<float> gradOutput) => gradOutput;

        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
    }
}
