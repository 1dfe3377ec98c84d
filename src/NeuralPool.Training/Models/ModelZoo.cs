using System.Numerics;
using NeuralPool.Training.Layers;

namespace NeuralPool.Training.Models;

/// <summary>
/// Builders of the lab's models, as <see cref="Sequential{T}"/> so parameter names follow PyTorch's <c>nn.Sequential</c>
/// (index.weight). Every convolution is followed by ReLU (vgg-small: BatchNorm2d, then ReLU), and the pooling layer,
/// when there is one, comes after the ReLU. Layers are created in order from one <see cref="SeededRandom"/> of the
/// seed, so a seed gives the same weights every time; the random layers (dropout, stochastic and fractional pooling)
/// get their seeds from the same generator.
/// <list type="bullet">
/// <item>lenet (LeNet-5 style): Conv2d(c, 6, 5, padding 2) ReLU pool, Conv2d(6, 16, 5) ReLU pool, Flatten,
/// Linear(16·5·5, 120) ReLU, Linear(120, 84) ReLU, [Dropout], Linear(84, classes). For 28×28 inputs: 28 → 14 → 10 → 5.</item>
/// <item>vgg-small: [Conv2d(c, 32, 3, padding 1) BatchNorm2d ReLU] ×2 pool, [Conv2d(32, 64, 3, padding 1) BatchNorm2d
/// ReLU] ×2 pool, Flatten, Linear(64·7·7, 256) ReLU, [Dropout], Linear(256, classes). For 28×28: 28 → 14 → 7.</item>
/// </list>
/// With <see cref="PoolingMethod.None"/> the convolution before each pooling point gets stride 2 instead (same sizes
/// for 28×28 inputs). The flattened size is computed from the layers, so other image sizes work where the layers fit.
/// </summary>
public static class ModelZoo
{
    /// <summary>The model names <see cref="Create{T}"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lenet", "vgg-small"];

    /// <summary>The pooling names <see cref="ParsePooling"/> accepts, one per <see cref="PoolingMethod"/>.</summary>
    public static IReadOnlyDictionary<string, PoolingMethod> PoolingNames { get; } = new Dictionary<string, PoolingMethod>(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = PoolingMethod.None,
        ["max"] = PoolingMethod.Max,
        ["avg"] = PoolingMethod.Avg,
        ["lp"] = PoolingMethod.Lp,
        ["adaptive-max"] = PoolingMethod.AdaptiveMax,
        ["adaptive-avg"] = PoolingMethod.AdaptiveAvg,
        ["gem"] = PoolingMethod.Gem,
        ["softpool"] = PoolingMethod.Soft,
        ["mixed"] = PoolingMethod.Mixed,
        ["gated"] = PoolingMethod.Gated,
        ["stochastic"] = PoolingMethod.Stochastic,
        ["blur"] = PoolingMethod.Blur,
        ["maxblur"] = PoolingMethod.MaxBlur,
        ["lip"] = PoolingMethod.Lip,
        ["dpp"] = PoolingMethod.DetailPreserving,
        ["fractional"] = PoolingMethod.Fractional,
    };

    /// <summary>The pooling method of a name in <see cref="PoolingNames"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known ones.</exception>
    public static PoolingMethod ParsePooling(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!PoolingNames.TryGetValue(name, out var method))
        {
            ThrowHelper.Argument(nameof(name), $"unknown pooling method '{name}'; use one of {string.Join(", ", PoolingNames.Keys)}.");
        }

        return method;
    }

    /// <summary>The canonical name of a pooling method.</summary>
    public static string NameOf(PoolingMethod method) => PoolingNames.First(p => p.Value == method).Key;

    /// <summary>Builds the model called <paramref name="name"/> (<c>lenet</c> or <c>vgg-small</c>).</summary>
    /// <exception cref="ArgumentException">The name is unknown or the options do not fit the model.</exception>
    public static Sequential<T> Create<T>(string name, PoolingMethod pooling, ulong seed = 0, ModelOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "lenet" => LeNet<T>(pooling, seed, options),
            "vgg-small" or "vgg" => VggSmall<T>(pooling, seed, options),
            _ => throw new ArgumentException($"unknown model '{name}'; use one of {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>The LeNet-5 style model (see the class remarks).</summary>
    /// <exception cref="ArgumentException">The options do not fit the model (e.g. an image too small for the layers).</exception>
    public static Sequential<T> LeNet<T>(PoolingMethod pooling, ulong seed = 0, ModelOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var o = Check(options);
        var b = new Builder<T>(o, seed);
        b.Conv(o.InputChannels, 6, 5, 2, downsample: pooling == PoolingMethod.None);
        b.Add(new ReLU<T>());
        b.Pool(pooling, 6);
        b.Conv(6, 16, 5, 0, downsample: pooling == PoolingMethod.None);
        b.Add(new ReLU<T>());
        b.Pool(pooling, 16);
        b.Head(120, 84);
        return b.Build(first: true);
    }

    /// <summary>The vgg-small model (see the class remarks).</summary>
    /// <exception cref="ArgumentException">The options do not fit the model.</exception>
    public static Sequential<T> VggSmall<T>(PoolingMethod pooling, ulong seed = 0, ModelOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var o = Check(options);
        var b = new Builder<T>(o, seed);
        int channels = o.InputChannels;
        foreach (int width in new[] { 32, 64 })
        {
            for (int j = 0; j < 2; j++)
            {
                b.Conv(channels, width, 3, 1, downsample: pooling == PoolingMethod.None && j == 1);
                if (o.BatchNorm)
                {
                    b.Add(new BatchNorm2d<T>(width));
                }

                b.Add(new ReLU<T>());
                channels = width;
            }

            b.Pool(pooling, width);
        }

        b.Head(256);
        return b.Build(first: true);
    }

    /// <summary>The number of learnable scalars of a model.</summary>
    public static long ParameterCount<T>(Layer<T> model)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ParameterCount();
    }

    private static ModelOptions Check(ModelOptions? options)
    {
        var o = options ?? new ModelOptions();
        if (o.InputChannels <= 0 || o.ImageSize <= 0 || o.Classes <= 0)
        {
            ThrowHelper.Argument(nameof(options), $"input channels {o.InputChannels}, image size {o.ImageSize} and classes {o.Classes} must be positive.");
        }

        if (!(o.Dropout >= 0 && o.Dropout < 1))
        {
            ThrowHelper.Argument(nameof(options), $"dropout {o.Dropout} must lie in [0, 1).");
        }

        return o;
    }

    /// <summary>Appends layers while tracking the activation shape, so each layer's size follows from the previous ones.</summary>
    private sealed class Builder<T>(ModelOptions options, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        private readonly List<Layer<T>> _layers = [];
        private readonly SeededRandom _random = new(seed);
        private int[] _shape = [1, options.InputChannels, options.ImageSize, options.ImageSize];

        public void Add(Layer<T> layer)
        {
            _shape = layer.OutputShape(_shape);
            _layers.Add(layer);
        }

        public void Conv(int cin, int cout, int kernel, int padding, bool downsample) =>
            Add(new Conv2d<T>(cin, cout, kernel, stride: downsample ? 2 : 1, padding: padding, init: options.Init, random: _random));

        public void Pool(PoolingMethod method, int channels)
        {
            var window = PoolWindow.Sliding(2);
            Layer<T>? layer = method switch
            {
                PoolingMethod.None => null,
                PoolingMethod.Max => new MaxPool2d<T>(2),
                PoolingMethod.Avg => new AvgPool2d<T>(2),
                PoolingMethod.Lp => new LpPool2d<T>(2, 2),
                PoolingMethod.AdaptiveMax => new MaxPool2d<T>(PoolWindow.Adaptive(Half(_shape[2]), Half(_shape[3]))),
                PoolingMethod.AdaptiveAvg => new AdaptiveAvgPool2d<T>(Half(_shape[2]), Half(_shape[3])),
                PoolingMethod.Gem => new GemPool2d<T>(window),
                PoolingMethod.Soft => new SoftPool2d<T>(window),
                PoolingMethod.Mixed => new MixedPool2d<T>(window),
                PoolingMethod.Gated => new GatedPool2d<T>(2),
                PoolingMethod.Stochastic => new StochasticPool2d<T>(window, _random.NextUInt64()),
                PoolingMethod.Blur => new BlurPool2d<T>(3, 2),
                PoolingMethod.MaxBlur => new MaxBlurPool2d<T>(2, 3, 2),
                PoolingMethod.Lip => new LipPool2d<T>(channels, _random),
                PoolingMethod.DetailPreserving => new DetailPreservingPool2d<T>(channels, _random),
                PoolingMethod.Fractional => new FractionalMaxPool2d<T>(2, 0.5, _random.NextUInt64()),
                _ => throw new ArgumentException($"unknown pooling method {(int)method}.", nameof(method)),
            };
            if (layer is not null)
            {
                Add(layer);
            }
        }

        /// <summary>Flatten, the hidden linear layers with ReLU, optional dropout, and the classifier.</summary>
        public void Head(params int[] hidden)
        {
            Add(new Flatten<T>());
            foreach (int width in hidden)
            {
                Add(new Linear<T>(_shape[1], width, init: options.Init, random: _random));
                Add(new ReLU<T>());
            }

            if (options.Dropout > 0)
            {
                Add(new Dropout<T>(options.Dropout, _random.NextUInt64()));
            }

            Add(new Linear<T>(_shape[1], options.Classes, init: options.Init, random: _random));
        }

        public Sequential<T> Build(bool first)
        {
            // The input images need no gradient.
            return new Sequential<T>(_layers) { InputGradient = !first };
        }

        private static int Half(int size) => Math.Max(1, size / 2);
    }
}
