using System.Numerics;

namespace NeuralPool.Training;

/// <summary>How <see cref="Layers.Conv2d{T}"/> and <see cref="Layers.Linear{T}"/> initialise their weight and bias.</summary>
public enum InitScheme
{
    /// <summary>
    /// PyTorch's default (<c>reset_parameters</c> of <c>nn.Conv2d</c> and <c>nn.Linear</c>): the weight from
    /// <c>kaiming_uniform_(a = √5)</c>, i.e. U(−1/√fan_in, 1/√fan_in), and the bias from U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    TorchDefault,

    /// <summary>
    /// He et al.'s normal initialisation for ReLU networks (<c>kaiming_normal_(mode = "fan_in", nonlinearity = "relu")</c>):
    /// the weight from N(0, 2/fan_in), the bias zero.
    /// </summary>
    KaimingNormal,
}

/// <summary>Weight initialisation with PyTorch's formulas, drawing from a <see cref="SeededRandom"/> in element order.</summary>
public static class Init
{
    /// <summary>PyTorch's <c>kaiming_uniform_</c> with leaky-ReLU slope <paramref name="a"/>: U(−b, b), <c>b = √(2/(1 + a²))·√(3/fan_in)</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="fanIn"/> is not positive.</exception>
    public static void KaimingUniform<T>(Span<T> values, int fanIn, double a, SeededRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckFanIn(fanIn);
        double bound = Math.Sqrt(2.0 / (1 + (a * a))) * Math.Sqrt(3.0 / fanIn);
        Uniform(values, -bound, bound, random);
    }

    /// <summary>PyTorch's <c>kaiming_normal_</c> (fan-in mode) with leaky-ReLU slope <paramref name="a"/>: N(0, σ²), <c>σ = √(2/(1 + a²))/√fan_in</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="fanIn"/> is not positive.</exception>
    public static void KaimingNormal<T>(Span<T> values, int fanIn, SeededRandom random, double a = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckFanIn(fanIn);
        double std = Math.Sqrt(2.0 / (1 + (a * a))) / Math.Sqrt(fanIn);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateChecked(std * random.Normal());
        }
    }

    /// <summary>Each element from U(<paramref name="low"/>, <paramref name="high"/>), computed in double and rounded to T.</summary>
    public static void Uniform<T>(Span<T> values, double low, double high, SeededRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateChecked(random.Uniform(low, high));
        }
    }

    /// <summary>Initialises a weight (and bias) with <paramref name="scheme"/>; the weight is drawn first, then the bias.</summary>
    /// <exception cref="ArgumentException"><paramref name="fanIn"/> is not positive.</exception>
    public static void Apply<T>(InitScheme scheme, Parameter<T> weight, Parameter<T>? bias, int fanIn, SeededRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weight);
        switch (scheme)
        {
            case InitScheme.TorchDefault:
                KaimingUniform<T>(weight.Data, fanIn, Math.Sqrt(5), random);
                if (bias is not null)
                {
                    double bound = 1 / Math.Sqrt(fanIn);
                    Uniform<T>(bias.Data, -bound, bound, random);
                }

                break;
            case InitScheme.KaimingNormal:
                KaimingNormal<T>(weight.Data, fanIn, random);
                if (bias is not null)
                {
                    Array.Clear(bias.Data);
                }

                break;
            default:
                ThrowHelper.Argument(nameof(scheme), $"unknown initialisation scheme {(int)scheme}.");
                break;
        }
    }

    private static void CheckFanIn(int fanIn)
    {
        if (fanIn <= 0)
        {
            ThrowHelper.Argument(nameof(fanIn), $"fan-in must be positive, got {fanIn}.");
        }
    }
}
