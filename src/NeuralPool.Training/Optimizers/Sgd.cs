using System.Numerics;

namespace NeuralPool.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, as PyTorch 1.13's <c>torch.optim.SGD</c> computes it, per element in T:
/// <code>
/// g = grad + weight_decay·p                 (when weight_decay ≠ 0)
/// v = g                                     (first step with momentum: the buffer starts as a copy of g)
/// v = momentum·v + (1 − dampening)·g        (later steps)
/// d = g + momentum·v (nesterov), else v     (momentum ≠ 0; without momentum d = g)
/// p = p − lr·d
/// </code>
/// </summary>
public sealed class Sgd<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _buffers;

    /// <summary>SGD over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="momentum">Momentum μ (0 for plain SGD).</param>
    /// <param name="dampening">Dampening of the gradient in the momentum buffer.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum &gt; 0 and no dampening).</param>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range.</exception>
    public Sgd(IEnumerable<Parameter<T>> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        Momentum = Check(momentum, 0, double.MaxValue, nameof(momentum));
        Dampening = Check(dampening, double.MinValue, double.MaxValue, nameof(dampening));
        WeightDecay = Check(weightDecay, 0, double.MaxValue, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            ThrowHelper.Argument(nameof(nesterov), "Nesterov momentum requires a momentum and zero dampening.");
        }

        Nesterov = nesterov;
        _buffers = new T[]?[Parameters.Count];
    }

    /// <summary>Momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Dampening.</summary>
    public double Dampening { get; }

    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>The momentum buffer of parameter <paramref name="index"/>, or null before the first step (or without momentum).</summary>
    public ReadOnlySpan<T> MomentumBuffer(int index) => _buffers[index];

    /// <inheritdoc/>
    public override void Step()
    {
        T lr = T.CreateChecked(-LearningRate), mu = T.CreateChecked(Momentum), keep = T.CreateChecked(1 - Dampening), wd = T.CreateChecked(WeightDecay);
        for (int k = 0; k < Parameters.Count; k++)
        {
            var param = Parameters[k];
            T[] p = param.Data, grad = param.Grad;
            T[]? v = _buffers[k];
            bool first = v is null && Momentum != 0;
            if (first)
            {
                v = _buffers[k] = new T[p.Length];
            }

            for (int i = 0; i < p.Length; i++)
            {
                T g = WeightDecay != 0 ? grad[i] + (wd * p[i]) : grad[i];
                if (v is not null)
                {
                    v[i] = first ? g : (mu * v[i]) + (keep * g);
                    g = Nesterov ? g + (mu * v[i]) : v[i];
                }

                p[i] += lr * g;
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"SGD(lr={LearningRate}, momentum={Momentum}, dampening={Dampening}, weight_decay={WeightDecay}, nesterov={Nesterov})";
}
