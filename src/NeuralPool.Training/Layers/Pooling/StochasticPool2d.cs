using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Stochastic pooling (Zeiler, Fergus, ICLR 2013) through <see cref="StochasticPool"/>, for non-negative activations
/// (place it after a ReLU). Training: each window picks one tap with probability proportional to its value; pass s
/// draws with the operator seed <c>SeededRandom.At(Seed, s, 0)</c>, so a pass depends only on the seed and
/// <see cref="Step"/>; forward keeps the picked indices and backward sends the gradient to them. Evaluation: the
/// probability-weighted mean <c>Σ a² / Σ a</c>, differentiated exactly.
/// </summary>
public sealed class StochasticPool2d<T> : PoolLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private long[] _indices = [];
    private bool _sampled;

    /// <summary>Stochastic pooling over square windows; the stride defaults to the kernel size.</summary>
    /// <exception cref="ArgumentException">The kernel size is not positive.</exception>
    public StochasticPool2d(int kernelSize, int? stride = null, ulong seed = 0)
        : this(PoolWindow.Sliding(kernelSize, stride), seed)
    {
    }

    /// <summary>Stochastic pooling over <paramref name="window"/>.</summary>
    public StochasticPool2d(PoolWindow window, ulong seed = 0)
        : base(window, TorchPoolKind.Average) => Seed = seed;

    /// <summary>The seed of the draws.</summary>
    public ulong Seed { get; }

    /// <summary>Training passes drawn so far: the next training forward is pass <see cref="Step"/>, then it increments. Setting it replays a pass.</summary>
    public long Step { get; set; }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var output = BeginForward(input, out var g);
        _sampled = Training;
        if (Training)
        {
            if (_indices.Length != output.Length)
            {
                _indices = new long[output.Length];
            }

            StochasticPool.ForwardTrain<T>(g, input.Data, SeededRandom.At(Seed, (ulong)Step, 0), output.Data, _indices);
            Step++;
        }
        else
        {
            StochasticPool.ForwardEval<T>(g, input.Data, output.Data);
        }

        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        var gradInput = BeginBackward(gradOutput, out var input, out var g);
        if (!InputGradient)
        {
            return EndBackward(gradInput);
        }

        if (_sampled)
        {
            StochasticPool.BackwardTrain<T>(g, gradOutput.Data, _indices, gradInput.Data);
        }
        else
        {
            StochasticPool.BackwardEval<T>(g, input.Data, gradOutput.Data, gradInput.Data);
        }

        return EndBackward(gradInput);
    }

    /// <inheritdoc/>
    public override string ToString() => $"StochasticPool2d({Window})";
}
