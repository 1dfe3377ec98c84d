using System.Numerics;

namespace NeuralPool.Training;

/// <summary>
/// Softmax cross-entropy with integer class labels, averaged over the batch (PyTorch <c>nn.CrossEntropyLoss()</c> with
/// its defaults): for logits z (N, K) and labels t, <c>loss = (1/N) Σ_n (log Σ_k e^{z[n][k]} − z[n][t_n])</c>, the
/// log-sum-exp taken with the row maximum subtracted (<c>m + log Σ e^{z − m}</c>), so large logits do not overflow.
/// Forward keeps the softmax; backward gives <c>∂loss/∂z = (softmax(z) − onehot(t))/N</c>, times an upstream scale.
/// Sums run in double in row order.
/// </summary>
public sealed class CrossEntropyLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _softmax = [];
    private int[] _labels = [];
    private int[] _shape = [];

    /// <summary>The loss of the last forward.</summary>
    public double Value { get; private set; }

    /// <summary>The mean loss of <paramref name="logits"/> (N, K) against <paramref name="labels"/> (N values in [0, K)).</summary>
    /// <exception cref="ArgumentException">The logits are not 2-D, N is 0, the label count differs from N, or a label is out of range.</exception>
    public double Forward(DenseTensor<T> logits, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Shape[0] == 0 || logits.Shape[1] == 0)
        {
            ThrowHelper.Argument(nameof(logits), $"cross-entropy takes (N, classes) logits with N and classes positive, got shape {ThrowHelper.Format(logits.Shape)}.");
        }

        int n = logits.Shape[0], k = logits.Shape[1];
        if (labels.Length != n)
        {
            ThrowHelper.Argument(nameof(labels), $"cross-entropy got {labels.Length} labels for {n} rows of logits.");
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)k)
            {
                ThrowHelper.Argument(nameof(labels), $"label {labels[i]} at position {i} is outside [0, {k}).");
            }
        }

        if (_softmax.Length != n * k)
        {
            _softmax = new T[n * k];
        }

        _labels = labels.ToArray();
        _shape = [n, k];
        T[] z = logits.Data;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<T> row = z.AsSpan(i * k, k);
            Span<T> p = _softmax.AsSpan(i * k, k);
            T max = row[0];
            for (int j = 1; j < k; j++)
            {
                max = T.Max(max, row[j]);
            }

            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                T e = T.Exp(row[j] - max);
                p[j] = e;
                sum += double.CreateChecked(e);
            }

            T inverse = T.CreateChecked(1 / sum);
            for (int j = 0; j < k; j++)
            {
                p[j] *= inverse;
            }

            total += double.CreateChecked(max) + Math.Log(sum) - double.CreateChecked(row[labels[i]]);
        }

        Value = total / n;
        return Value;
    }

    /// <summary>The gradient of <c>scale·loss</c> with respect to the last forward's logits (a new tensor).</summary>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    public DenseTensor<T> Backward(double scale = 1)
    {
        if (_shape.Length == 0)
        {
            ThrowHelper.InvalidOperation("CrossEntropyLoss.Backward was called before Forward.");
        }

        var grad = new DenseTensor<T>(_shape);
        Backward(grad.Data, scale);
        return grad;
    }

    /// <summary>Writes the gradient of <c>scale·loss</c> with respect to the last forward's logits into <paramref name="gradLogits"/> (N·K elements).</summary>
    /// <exception cref="ArgumentException">The span length differs from N·K.</exception>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    public void Backward(Span<T> gradLogits, double scale = 1)
    {
        if (_shape.Length == 0)
        {
            ThrowHelper.InvalidOperation("CrossEntropyLoss.Backward was called before Forward.");
        }

        int n = _shape[0], k = _shape[1];
        if (gradLogits.Length != n * k)
        {
            ThrowHelper.Argument(nameof(gradLogits), $"the logits gradient needs {n * k} elements, got {gradLogits.Length}.");
        }

        T s = T.CreateChecked(scale / n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                T p = _softmax[(i * k) + j];
                gradLogits[(i * k) + j] = (j == _labels[i] ? p - T.One : p) * s;
            }
        }
    }
}
