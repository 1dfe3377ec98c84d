using System.Numerics;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Dropout (PyTorch <c>nn.Dropout</c>): in training each element is kept with probability 1 − p and scaled by
/// 1/(1 − p), else zeroed (p = 1 zeroes everything); in evaluation it is the identity (the input itself is returned,
/// and the output gradient as the input gradient). Element i of training pass s is kept when
/// <c>SeededRandom.UniformAt(Seed, s, i) ≥ p</c>, so a pass depends only on the seed and
/// <see cref="Step"/>, never on threads. Forward keeps the mask (0 or the scale per element).
/// </summary>
public sealed class Dropout<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _output, _gradInput, _mask;
    private bool _maskUsed;

    /// <summary>Dropout with drop probability <paramref name="p"/>.</summary>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="seed">Seed of the masks.</param>
    /// <exception cref="ArgumentException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5, ulong seed = 0)
    {
        if (!(p >= 0 && p <= 1))
        {
            ThrowHelper.Argument(nameof(p), $"dropout probability has to be between 0 and 1, but got {p}.");
        }

        P = p;
        Seed = seed;
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <summary>The seed of the masks.</summary>
    public ulong Seed { get; }

    /// <summary>Training passes drawn so far: the next training forward uses mask number <see cref="Step"/>, then increments it. Setting it replays a pass.</summary>
    public long Step { get; set; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _maskUsed = Training;
        if (!Training)
        {
            _output = input;
            return input;
        }

        var output = Reuse(ref _output, input.Shape);
        var mask = Reuse(ref _mask, input.Shape);
        T scale = P >= 1 ? T.Zero : T.One / (T.One - T.CreateChecked(P));
        ulong pass = (ulong)Step++;
        T[] x = input.Data, y = output.Data, m = mask.Data;
        for (int i = 0; i < x.Length; i++)
        {
            m[i] = P >= 1 || SeededRandom.UniformAt(Seed, pass, (ulong)i) < P ? T.Zero : scale;
            y[i] = x[i] * m[i];
        }

        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var output = Saved(_output);
        CheckGradient(gradOutput, output.Shape);
        if (!InputGradient)
        {
            return NoGradient;
        }

        if (!_maskUsed)
        {
            return gradOutput;
        }

        var gradInput = Reuse(ref _gradInput, output.Shape);
        T[] gy = gradOutput.Data, gx = gradInput.Data, m = _mask!.Data;
        for (int i = 0; i < gy.Length; i++)
        {
            gx[i] = gy[i] * m[i];
        }

        return gradInput;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Dropout(p={P})";
}
