using System.Numerics;

namespace NeuralPool.Training.Optimizers;

/// <summary>
/// Adam (Kingma, Ba 2015) as PyTorch 1.13's <c>torch.optim.Adam</c> computes it (single-tensor path), per element in T,
/// with a step count t per parameter and the bias corrections in double:
/// <code>
/// g = grad + weight_decay·p                        (when weight_decay ≠ 0: L2, not AdamW)
/// m = β1·m + (1 − β1)·g
/// v = β2·v + (1 − β2)·g²
/// c1 = 1 − β1^t,  c2 = 1 − β2^t
/// vmax = max(vmax, v), used instead of v           (amsgrad)
/// p = p − (lr/c1) · m / (√v/√c2 + eps)             (eps added after the square root)
/// </code>
/// </summary>
public sealed class Adam<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _m, _v;
    private readonly T[]?[] _vMax;
    private readonly long[] _steps;

    /// <summary>Adam over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="learningRate">lr (PyTorch's default 1e-3).</param>
    /// <param name="beta1">β1, in [0, 1).</param>
    /// <param name="beta2">β2, in [0, 1).</param>
    /// <param name="eps">ε added to the denominator, non-negative.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="amsgrad">Use the running maximum of v.</param>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range.</exception>
    public Adam(IEnumerable<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : base(parameters, learningRate)
    {
        Beta1 = Check(beta1, 0, Math.BitDecrement(1.0), nameof(beta1));
        Beta2 = Check(beta2, 0, Math.BitDecrement(1.0), nameof(beta2));
        Eps = Check(eps, 0, double.MaxValue, nameof(eps));
        WeightDecay = Check(weightDecay, 0, double.MaxValue, nameof(weightDecay));
        Amsgrad = amsgrad;
        int count = Parameters.Count;
        _m = new T[count][];
        _v = new T[count][];
        _vMax = new T[]?[count];
        _steps = new long[count];
        for (int k = 0; k < count; k++)
        {
            _m[k] = new T[Parameters[k].Length];
            _v[k] = new T[Parameters[k].Length];
            _vMax[k] = amsgrad ? new T[Parameters[k].Length] : null;
        }
    }

    /// <summary>β1.</summary>
    public double Beta1 { get; }

    /// <summary>β2.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>AMSGrad.</summary>
    public bool Amsgrad { get; }

    /// <summary>Steps taken for parameter <paramref name="index"/>.</summary>
    public long StepCount(int index) => _steps[index];

    /// <summary>The first-moment estimate m of parameter <paramref name="index"/>.</summary>
    public ReadOnlySpan<T> FirstMoment(int index) => _m[index];

    /// <summary>The second-moment estimate v of parameter <paramref name="index"/>.</summary>
    public ReadOnlySpan<T> SecondMoment(int index) => _v[index];

    /// <inheritdoc/>
    public override void Step()
    {
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2), wd = T.CreateChecked(WeightDecay), eps = T.CreateChecked(Eps);
        T oneMinusB1 = T.CreateChecked(1 - Beta1), oneMinusB2 = T.CreateChecked(1 - Beta2);
        for (int k = 0; k < Parameters.Count; k++)
        {
            long t = ++_steps[k];
            double c1 = 1 - Math.Pow(Beta1, t), c2 = 1 - Math.Pow(Beta2, t);
            T stepSize = T.CreateChecked(-(LearningRate / c1)), c2Sqrt = T.CreateChecked(Math.Sqrt(c2));
            var param = Parameters[k];
            T[] p = param.Data, grad = param.Grad, m = _m[k], v = _v[k];
            T[]? vMax = _vMax[k];
            for (int i = 0; i < p.Length; i++)
            {
                T g = WeightDecay != 0 ? grad[i] + (wd * p[i]) : grad[i];
                m[i] = (m[i] * b1) + (g * oneMinusB1);
                v[i] = (v[i] * b2) + (g * g * oneMinusB2);
                T second = v[i];
                if (vMax is not null)
                {
                    vMax[i] = T.Max(vMax[i], v[i]);
                    second = vMax[i];
                }

                T denominator = (T.Sqrt(second) / c2Sqrt) + eps;
                p[i] += stepSize * (m[i] / denominator);
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Adam(lr={LearningRate}, betas=({Beta1}, {Beta2}), eps={Eps}, weight_decay={WeightDecay}, amsgrad={Amsgrad})";
}
