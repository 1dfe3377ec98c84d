using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>
/// Mixed max-average pooling (Lee, Gallagher, Tu, "Generalizing Pooling Functions in Convolutional Neural
/// Networks: Mixed, Gated, and Tree", AISTATS 2016): <c>y = a·max(window) + (1 − a)·avg(window)</c> with a learned
/// scalar a (the paper keeps it in [0, 1]; any value is accepted here). Max and average follow PyTorch's
/// max_pool and avg_pool (count_include_pad as given) over the same geometry. Backward gives the input gradient
/// (overwriting) and returns <c>∂L/∂a = Σ g·(max − avg)</c>. See docs/operators/mixed-gated.md.
/// </summary>
public static class MixedPool
{
    /// <summary>Forward.</summary>
    /// <exception cref="ArgumentException">A length or a is invalid; nothing is written then.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T a, Span<T> output, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        CheckArguments(geometry, input.Length, output.Length, nameof(output), a);
        T[] avg = ArrayPool<T>.Shared.Rent(output.Length);
        try
        {
            MaxPool.Forward(geometry, input, output);
            AvgPool.Forward(geometry, input, avg.AsSpan(0, output.Length), countIncludePad);
            for (int o = 0; o < output.Length; o++)
            {
                output[o] = (a * output[o]) + ((T.One - a) * avg[o]);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(avg);
        }
    }

    /// <summary>Gradient with respect to the input (overwriting <paramref name="gradInput"/>); returns the gradient with respect to a.</summary>
    /// <exception cref="ArgumentException">A length or a is invalid; nothing is written then.</exception>
    public static T Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, T a, ReadOnlySpan<T> gradOutput, Span<T> gradInput, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        CheckArguments(geometry, input.Length, gradOutput.Length, nameof(gradOutput), a);
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        int m = gradOutput.Length, n = input.Length;
        T[] max = ArrayPool<T>.Shared.Rent(m), avg = ArrayPool<T>.Shared.Rent(m), scaled = ArrayPool<T>.Shared.Rent(m), part = ArrayPool<T>.Shared.Rent(n);
        try
        {
            MaxPool.Forward(geometry, input, max.AsSpan(0, m));
            AvgPool.Forward(geometry, input, avg.AsSpan(0, m), countIncludePad);
            T gradA = T.Zero;
            for (int o = 0; o < m; o++)
            {
                gradA += gradOutput[o] * (max[o] - avg[o]);
                scaled[o] = a * gradOutput[o];
            }

            MaxPool.Backward(geometry, input, scaled.AsSpan(0, m), gradInput);
            for (int o = 0; o < m; o++)
            {
                scaled[o] = (T.One - a) * gradOutput[o];
            }

            AvgPool.Backward(geometry, scaled.AsSpan(0, m), part.AsSpan(0, n), countIncludePad);
            for (int i = 0; i < n; i++)
            {
                gradInput[i] += part[i];
            }

            return gradA;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(max);
            ArrayPool<T>.Shared.Return(avg);
            ArrayPool<T>.Shared.Return(scaled);
            ArrayPool<T>.Shared.Return(part);
        }
    }

    private static void CheckArguments<T>(in PoolGeometry geometry, int inputLength, int outputLength, string outputName, T a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("mixed pooling");
        if (!T.IsFinite(a))
        {
            ThrowHelper.Argument(nameof(a), $"the mixing weight a must be finite, got {a}.");
        }

        ThrowHelper.CheckLength("input", inputLength, geometry.InputLength, "input", geometry, output: false);
        ThrowHelper.CheckLength(outputName, outputLength, geometry.OutputLength, outputName, geometry, output: true);
    }
}
