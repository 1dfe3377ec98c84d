using NeuralPool.Training;
using NeuralPool.Training.Layers;

namespace NeuralPool.Tests.Training;

/// <summary>Wrong shapes and call orders fail with messages that name the problem.</summary>
public class BadInputTests
{
    [Fact]
    public void Conv2d_WrongShapes()
    {
        var conv = new Conv2d<float>(3, 4, 3);
        var e = Assert.Throws<ArgumentException>(() => conv.Forward(new DenseTensor<float>([2, 2, 8, 8])));
        Assert.Contains("3 input channels", e.Message);
        Assert.Throws<ArgumentException>(() => conv.Forward(new DenseTensor<float>([3, 8, 8])));
        e = Assert.Throws<ArgumentException>(() => conv.Forward(new DenseTensor<float>([1, 3, 2, 8])));
        Assert.Contains("smaller than the kernel", e.Message);
        Assert.Throws<ArgumentException>(() => new Conv2d<float>(0, 4, 3));
        Assert.Throws<ArgumentException>(() => new Conv2d<float>(3, 4, 3, stride: 0));
        Assert.Throws<ArgumentException>(() => new Conv2d<float>(3, 4, 3, padding: -1));
    }

    [Fact]
    public void Linear_WrongShapes()
    {
        var linear = new Linear<float>(10, 3);
        var e = Assert.Throws<ArgumentException>(() => linear.Forward(new DenseTensor<float>([2, 9])));
        Assert.Contains("(N, 10)", e.Message);
        Assert.Throws<ArgumentException>(() => linear.Forward(new DenseTensor<float>([2, 10, 1])));
    }

    [Fact]
    public void Backward_BeforeForward_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new Conv2d<float>(1, 1, 1).Backward(new DenseTensor<float>([1, 1, 1, 1])));
        Assert.Throws<InvalidOperationException>(() => new ReLU<float>().Backward(new DenseTensor<float>([1])));
        Assert.Throws<InvalidOperationException>(() => new MaxPool2d<float>(2).Backward(new DenseTensor<float>([1, 1, 1, 1])));
    }

    [Fact]
    public void Backward_WithTheWrongGradientShape_Throws()
    {
        var layers = new Layer<float>[]
        {
            new Conv2d<float>(2, 3, 3), new Linear<float>(2 * 6 * 6, 4), new ReLU<float>(), new BatchNorm2d<float>(2),
            new MaxPool2d<float>(2), new AvgPool2d<float>(2), new SoftPool2d<float>(2), new BlurPool2d<float>(),
            new FractionalMaxPool2d<float>(2, 0.5), new Flatten<float>(), new Dropout<float>(),
        };
        foreach (var layer in layers)
        {
            var input = new DenseTensor<float>(layer is Linear<float> ? [2, 72] : [2, 2, 6, 6]);
            var output = layer.Forward(input);
            var wrong = new DenseTensor<float>([output.Length + 1]);
            var e = Assert.Throws<ArgumentException>(() => layer.Backward(wrong));
            Assert.Contains("gradOutput", e.Message);
        }
    }

    [Fact]
    public void Pooling_WrongShapes()
    {
        Assert.Throws<ArgumentException>(() => new MaxPool2d<float>(2).Forward(new DenseTensor<float>([2, 6, 6])));
        Assert.Throws<ArgumentException>(() => new MaxPool2d<float>(0));
        Assert.Throws<ArgumentException>(() => new MaxPool2d<float>(2, padding: 2).Forward(new DenseTensor<float>([1, 1, 6, 6])));
        Assert.Throws<ArgumentException>(() => new DetailPreservingPool2d<float>(3).Forward(new DenseTensor<float>([1, 2, 6, 6])));
        Assert.Throws<ArgumentException>(() => new LipPool2d<float>(3).Forward(new DenseTensor<float>([1, 2, 6, 6])));
        Assert.Throws<ArgumentException>(() => new StochasticPool2d<float>(2).Forward(new DenseTensor<float>([-1f, 0, 0, 0], [1, 1, 2, 2])));
        Assert.Throws<ArgumentException>(() => new FractionalMaxPool2d<float>(2, 0.5) { RandomSamples = [0.5f] }.Forward(new DenseTensor<float>([1, 2, 6, 6])));
        Assert.Throws<ArgumentException>(() => new GemPool2d<float>(PoolWindow.Global, p: -1));
        Assert.Throws<ArgumentException>(() => new LpPool2d<float>(0, 2));
    }

    [Fact]
    public void Sequential_NeedsLayers_AndParametersLoadByLength()
    {
        Assert.Throws<ArgumentException>(() => new Sequential<float>());
        var p = new Parameter<float>(2, 3);
        Assert.Throws<ArgumentException>(() => p.Load(new float[5]));
        Assert.Throws<ArgumentException>(() => new Parameter<float>(2, -1));
    }
}
