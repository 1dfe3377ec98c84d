using System.Text.Json;
using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Operators;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Pictures;

/// <summary>
/// A catalog operator run on pictures: the image tensor (1, C, H, W), channels first, float32 values in [0, 1], is the
/// operator's input, so every channel (colour and alpha alike) is pooled on its own and the result is again an image
/// of C channels. Operators whose only input is the tensor qualify, with any spatial rank that fits a picture (torch
/// 2-D operators, ONNX operators); fractional max pooling also takes its random samples, which come from a seeded
/// generator and are shared by all channels so that their windows stay aligned. Region pooling and unpooling, which
/// need boxes or indices, do not qualify.
/// </summary>
internal sealed class ImageOperator
{
    private readonly PoolOperator _operator;
    private readonly int _seed;

    private ImageOperator(PoolOperator op, int seed)
    {
        _operator = op;
        _seed = seed;
    }

    /// <summary>The operator's name.</summary>
    public string Name => _operator.Name;

    /// <summary>Resolves a forward operator from the catalog and checks that it can run on a picture.</summary>
    /// <param name="domain">The catalog domain.</param>
    /// <param name="opName">The operator name.</param>
    /// <param name="attributes">Its attributes (torch or ONNX names).</param>
    /// <param name="seed">Seed of fractional max pooling's random samples.</param>
    /// <exception cref="CliException">The operator needs an input a picture cannot give, or works on another spatial rank.</exception>
    /// <exception cref="OperatorException">An attribute value is invalid.</exception>
    /// <exception cref="UnsupportedOperatorException">The operator or an attribute is not supported.</exception>
    public static ImageOperator Resolve(string domain, string opName, IReadOnlyDictionary<string, JsonElement> attributes, int seed)
    {
        var op = OperatorCatalog.Resolve(domain, opName, attributes);
        if (op.SpatialRank is not (0 or 2))
        {
            throw new CliException($"--op {opName} pools {op.SpatialRank}-D data; pictures take 2-D operators such as max_pool2d.");
        }

        string[] others = [.. op.InputNames.Where(n => n is not ("input" or "X" or "_random_samples"))];
        if (others.Length > 0)
        {
            throw new CliException($"--op {opName} cannot run on a picture alone: it also takes {string.Join(" and ", others)}.");
        }

        return new ImageOperator(op, seed);
    }

    /// <summary>Pools every channel of <paramref name="image"/>; the result is an image tensor with the same channels.</summary>
    /// <exception cref="ArgumentException">The operator's parameters do not fit the picture's size (e.g. a kernel larger than the picture).</exception>
    /// <exception cref="OperatorException">The operator refuses the input.</exception>
    public DenseTensor<float> Apply(DenseTensor<float> image)
    {
        var (c, h, w) = ImageTensor.Size(image);
        var inputs = _operator.InputNames.Select(name => name == "_random_samples" ? Samples(c) : new NpyArray(NpyDType.Float32, [1, c, h, w], image.Data)).ToArray();
        var output = _operator.Run(inputs, TensorLayout.ChannelsFirst)[0];
        int[] shape = output.Shape;
        if (shape.Length != 4 || shape[0] != 1 || shape[1] != c || shape[2] < 1 || shape[3] < 1)
        {
            throw new OperatorException($"{Name} turned a {w}x{h} picture of {c} channels into a tensor of shape {AttributeReader.Format(shape)}, which is not a picture.");
        }

        return new DenseTensor<float>(output.GetData<float>(), shape);
    }

    /// <summary>Fractional max pooling's samples, (1, C, 2): one pair in [0, 1) from the seed, repeated for every channel.</summary>
    private NpyArray Samples(int channels)
    {
        var random = new Random(_seed);
        float u = random.NextSingle(), v = random.NextSingle();
        var samples = new float[2 * channels];
        for (int c = 0; c < channels; c++)
        {
            samples[2 * c] = u;
            samples[(2 * c) + 1] = v;
        }

        return new NpyArray(NpyDType.Float32, [1, channels, 2], samples);
    }
}
