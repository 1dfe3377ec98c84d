using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>
/// Local importance-based pooling (Gao, Wang, Wu, "LIP: Local Importance-based Pooling", ICCV 2019): each
/// window averages its values weighted by <c>e^{logit}</c>, with the importance logits given as a second
/// tensor of the input's shape (in the paper a small learned network computes them from the input):
/// <c>y = Σ e^{l_i} x_i / Σ e^{l_i}</c> over the window, which is the reference
/// <c>avg_pool(x·e^l) / avg_pool(e^l)</c> (the average's divisor cancels; padded taps add nothing). Backward gives
/// both gradients, overwriting them: <c>∂y/∂x_i = w_i</c> and <c>∂y/∂l_i = w_i (x_i − y)</c> with
/// <c>w = e^{l} / Σ e^{l}</c>. Like the reference, the exponentials are not guarded against overflow.
/// See docs/operators/lip.md.
/// </summary>
public static class LipPool
{
    /// <summary>Forward.</summary>
    /// <exception cref="ArgumentException">A length does not match; nothing is written then.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> logits, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("LIP pooling");
        CheckArguments(geometry, input.Length, logits.Length, output.Length, nameof(output));
        int n = input.Length, m = output.Length;
        T[] a = ArrayPool<T>.Shared.Rent(n), den = ArrayPool<T>.Shared.Rent(m);
        try
        {
            Sums(geometry, input, logits, a, output, den.AsSpan(0, m));
            TensorPrimitives.Divide(output, den.AsSpan(0, m), output);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(a);
            ArrayPool<T>.Shared.Return(den);
        }
    }

    /// <summary>Gradients with respect to the input and the logits, overwriting both.</summary>
    /// <exception cref="ArgumentException">A length does not match; nothing is written then.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> logits, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, Span<T> gradLogits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("LIP pooling backward");
        CheckArguments(geometry, input.Length, logits.Length, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        ThrowHelper.CheckLength(nameof(gradLogits), gradLogits.Length, input.Length, "gradLogits");
        int n = input.Length, m = gradOutput.Length;
        T[] a = ArrayPool<T>.Shared.Rent(n), num = ArrayPool<T>.Shared.Rent(m), den = ArrayPool<T>.Shared.Rent(m), g = ArrayPool<T>.Shared.Rent(m);
        try
        {
            Sums(geometry, input, logits, a, num.AsSpan(0, m), den.AsSpan(0, m));

            // y = N / D: dL/dN = g / D and dL/dD = -g·y / D, spread back through the averages.
            for (int o = 0; o < m; o++)
            {
                g[o] = gradOutput[o] / den[o];
                num[o] = -gradOutput[o] * (num[o] / den[o]) / den[o];
            }

            AvgPool.Backward(geometry, g.AsSpan(0, m), gradInput);
            AvgPool.Backward(geometry, num.AsSpan(0, m), gradLogits);
            // w = e^l again (a holds w·x after the sums): dL/dx = w·(through the numerator), dL/dl = w·(x·that + through the denominator).
            Span<T> w = a.AsSpan(0, n);
            TensorPrimitives.Exp(logits, w);
            TensorPrimitives.MultiplyAdd(input, gradInput, gradLogits, gradLogits);
            TensorPrimitives.Multiply(w, gradLogits, gradLogits);
            TensorPrimitives.Multiply(w, gradInput, gradInput);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(a);
            ArrayPool<T>.Shared.Return(num);
            ArrayPool<T>.Shared.Return(den);
            ArrayPool<T>.Shared.Return(g);
        }
    }

    /// <summary>The window averages of <c>x·e^l</c> into <paramref name="numerator"/> and of <c>e^l</c> into <paramref name="denominator"/>.</summary>
    private static void Sums<T>(in PoolGeometry geometry, ReadOnlySpan<T> x, ReadOnlySpan<T> logits, T[] scratch, Span<T> numerator, Span<T> denominator)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> a = scratch.AsSpan(0, x.Length);
        TensorPrimitives.Exp(logits, a);
        AvgPool.Forward(geometry, a, denominator);
        TensorPrimitives.Multiply(a, x, a);
        AvgPool.Forward(geometry, a, numerator);
    }

    private static void CheckArguments(in PoolGeometry geometry, int inputLength, int logitsLength, int outputLength, string outputName)
    {
        ThrowHelper.CheckLength("input", inputLength, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength("logits", logitsLength, geometry.InputLength, "logits", geometry, output: false);
        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);
    }
}
