using System.Numerics;

namespace NeuralPool.Training.Optimizers;

/// <summary>
/// An optimizer over a fixed list of parameters: <see cref="Step"/> updates every parameter from its accumulated
/// gradient, <see cref="ZeroGrad"/> clears the gradients. Parameters are updated one after another, each elementwise,
/// so results do not depend on threads.
/// </summary>
public abstract class Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>An optimizer over <paramref name="parameters"/> (in the order given; per-parameter state follows it).</summary>
    /// <exception cref="ArgumentException">The list is empty or holds the same parameter twice.</exception>
    protected Optimizer(IEnumerable<Parameter<T>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
        if (Parameters.Count == 0)
        {
            ThrowHelper.Argument(nameof(parameters), "an optimizer needs at least one parameter.");
        }

        if (Parameters.Distinct().Count() != Parameters.Count)
        {
            ThrowHelper.Argument(nameof(parameters), "a parameter appears more than once in the optimizer's list.");
        }

        LearningRate = learningRate;
    }

    /// <summary>The parameters, in order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters { get; }

    /// <summary>The learning rate (a schedule may change it between steps).</summary>
    public double LearningRate
    {
        get;
        set
        {
            if (!(value >= 0 && double.IsFinite(value)))
            {
                ThrowHelper.Argument(nameof(LearningRate), $"learning rate must be non-negative and finite, got {value}.");
            }

            field = value;
        }
    }

    /// <summary>Updates every parameter from its gradient.</summary>
    public abstract void Step();

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters)
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Checks a hyper-parameter is finite and within [low, high].</summary>
    protected static double Check(double value, double low, double high, string name)
    {
        if (!(value >= low && value <= high) || !double.IsFinite(value))
        {
            ThrowHelper.Argument(name, $"{name} must lie in [{low}, {high}], got {value}.");
        }

        return value;
    }
}
