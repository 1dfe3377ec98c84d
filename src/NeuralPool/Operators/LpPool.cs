using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using NeuralPool.Geometry;
using NeuralPool.Kernels;

namespace NeuralPool.Operators;

/// <summary>Which definition of power-average pooling to follow.</summary>
public enum LpFlavor
{
    /// <summary>
    /// PyTorch <c>lp_pool*</c>: <c>a = avg_pool(x^p)</c> (divided by the taps inside the input),
    /// <c>y = (sign(a)·relu(|a|)·K)^(1/p)</c> with K the kernel volume. No absolute value: an odd integer p
    /// keeps the sign, a fractional p gives NaN for negative inputs. Partial ceil-mode windows are scaled by K/n.
    /// </summary>
    Torch,

    /// <summary>ONNX LpPool and GlobalLpPool: <c>y = (Σ |x|^p)^(1/p)</c>, padding contributing 0.</summary>
    Onnx,
}

/// <summary>
/// Power-average (Lp) pooling. Gradient (PyTorch): <c>dx_i = p·x_i^(p-1) · Σ_o dy_o·K·(1/p)·z_o^(1/p-1) / n_o</c>
/// with <c>z = a·K</c>, and 0 for windows with <c>a = 0</c>. Gradient (ONNX):
/// <c>dx_i = sign(x_i)|x_i|^(p-1) · Σ_o dy_o·y_o^(1-p)</c>, 0 where <c>y_o = 0</c>. Backward overwrites <c>gradInput</c>.
/// </summary>
public static class LpPool
{
    /// <summary>Lp pooling over every window of <paramref name="geometry"/>.</summary>
    /// <exception cref="ArgumentException">A length does not match or <paramref name="normType"/> is zero or not finite.</exception>
    /// <exception cref="NotSupportedException">T is not float or double.</exception>
    public static void Forward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, double normType, Span<T> output, LpFlavor flavor = LpFlavor.Torch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate<T>(normType, flavor);
        Check.Lengths(geometry, input, output.Length);
        int n = (int)geometry.InputLength;
        T[] powered = ArrayPool<T>.Shared.Rent(n);
        try
        {
            PowerAverage(geometry, input, normType, flavor, powered.AsSpan(0, n), output);
            T k = T.CreateChecked(geometry.KernelVolume), inv = T.One / T.CreateChecked(normType);
            if (flavor == LpFlavor.Torch && normType == 2)
            {
                // p = 2: the averages of squares are never negative, and their square root is their power 1/2.
                TensorPrimitives.Multiply(output, k, output);
                TensorPrimitives.Sqrt(output, output);
                return;
            }

            for (int i = 0; i < output.Length; i++)
            {
                output[i] = flavor == LpFlavor.Torch ? T.Pow(output[i] * k, inv) : T.Pow(output[i], inv);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(powered);
        }
    }

    /// <summary>Gradient with respect to the input; <paramref name="gradInput"/> is overwritten.</summary>
    /// <exception cref="ArgumentException">A length does not match or <paramref name="normType"/> is invalid.</exception>
    public static void Backward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, double normType, ReadOnlySpan<T> gradOutput, Span<T> gradInput, LpFlavor flavor = LpFlavor.Torch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate<T>(normType, flavor);
        Check.Lengths(geometry, input, gradOutput.Length, nameof(input), nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, geometry.InputLength, "gradInput", geometry, output: false);
        int n = (int)geometry.InputLength, m = (int)geometry.OutputLength;
        T[] powered = ArrayPool<T>.Shared.Rent(Math.Max(n, m));
        T[] weights = ArrayPool<T>.Shared.Rent(m);
        try
        {
            Span<T> u = weights.AsSpan(0, m);
            PowerAverage(geometry, input, normType, flavor, powered.AsSpan(0, n), u);
            T p = T.CreateChecked(normType), inv = T.One / p, k = T.CreateChecked(geometry.KernelVolume);
            if (flavor == LpFlavor.Torch && normType == 2)
            {
                TorchSquareBackward(geometry, input, gradOutput, u, powered.AsSpan(0, Math.Max(n, m)), gradInput);
                return;
            }

            for (int o = 0; o < m; o++)
            {
                T a = u[o];
                u[o] = flavor == LpFlavor.Torch
                    ? (a == T.Zero ? T.Zero : gradOutput[o] * (inv * T.Pow(a * k, inv - T.One)) * k)
                    : (a == T.Zero ? T.Zero : gradOutput[o] * T.Pow(T.Pow(a, inv), T.One - p));
            }

            var divisor = flavor == LpFlavor.Torch ? new Divisor(DivisorMode.ValidCount) : Divisor.None;
            Scatter.WindowSum<T>(geometry, u, divisor, gradInput);
            for (int i = 0; i < n; i++)
            {
                T x = input[i];
                gradInput[i] = flavor == LpFlavor.Torch
                    ? (p == T.Zero ? T.Zero : gradInput[i] * (p * T.Pow(x, p - T.One)))
                    : gradInput[i] * (T.CreateChecked(T.Sign(x)) * T.Pow(T.Abs(x), p - T.One));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(powered);
            ArrayPool<T>.Shared.Return(weights);
        }
    }

    /// <summary>
    /// The Torch gradient for p = 2 with vectors: <c>u_o = dy_o·(1/2)·(a_o·K)^(−1/2)·K</c> (0 where <c>a_o = 0</c>), spread
    /// over the windows divided by their valid counts, then times <c>2·x_i</c> (x^(p−1) is x itself). <paramref name="scratch"/>
    /// holds at least as many elements as the input and the output.
    /// </summary>
    private static void TorchSquareBackward<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> u, Span<T> scratch, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T k = T.CreateChecked(geometry.KernelVolume), half = T.CreateChecked(0.5);
        Span<T> root = scratch[..u.Length];
        TensorPrimitives.Multiply(u, k, root);
        TensorPrimitives.Sqrt(root, root);
        for (int o = 0; o < u.Length; o++)
        {
            u[o] = u[o] == T.Zero ? T.Zero : gradOutput[o] * (half / root[o]) * k;
        }

        Scatter.WindowSum<T>(geometry, u, new Divisor(DivisorMode.ValidCount), gradInput);
        Span<T> twice = scratch[..input.Length];
        TensorPrimitives.Add(input, input, twice);
        TensorPrimitives.Multiply(gradInput, twice, gradInput);
    }

    /// <summary><paramref name="into"/> receives the window averages (Torch) or sums (ONNX) of x^p (|x|^p).</summary>
    private static void PowerAverage<T>(in PoolGeometry geometry, ReadOnlySpan<T> input, double normType, LpFlavor flavor, Span<T> powered, Span<T> into)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T p = T.CreateChecked(normType);
        if (flavor == LpFlavor.Onnx)
        {
            TensorPrimitives.Abs(input, powered);
            input = powered;
        }

        if (normType == 2)
        {
            TensorPrimitives.Multiply(input, input, powered);
        }
        else if (normType == 1)
        {
            input.CopyTo(powered);
        }
        else
        {
            for (int i = 0; i < powered.Length; i++)
            {
                powered[i] = T.Pow(input[i], p);
            }
        }

        var divisor = flavor == LpFlavor.Torch ? new Divisor(DivisorMode.ValidCount) : Divisor.None;
        WindowReduce.Forward<T, SumReducer<T>>(geometry, powered, into, divisor);
    }

    private static void Validate<T>(double normType, LpFlavor flavor)
    {
        Check.FloatType<T>("Lp pooling");
        if (normType == 0 || !double.IsFinite(normType))
        {
            ThrowHelper.Argument(nameof(normType), $"norm type {normType} must be finite and non-zero.");
        }

        if (flavor == LpFlavor.Onnx && (normType != Math.Floor(normType) || normType < 1))
        {
            ThrowHelper.Argument(nameof(normType), $"ONNX LpPool p {normType} must be a positive integer.");
        }
    }
}
