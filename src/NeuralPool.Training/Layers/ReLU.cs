using System.Numerics;
using System.Runtime.Intrinsics;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Rectified linear unit (PyTorch <c>nn.ReLU</c>): <c>y = max(x, 0)</c> (NaN propagates). Backward as PyTorch's
/// <c>threshold_backward</c> on the output: <c>dx = dy</c> where <c>y &gt; 0</c>, else 0. Forward keeps its output.
/// Elementwise, so large tensors are split over threads without changing any result.
/// </summary>
public sealed class ReLU<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _output, _gradInput;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = Reuse(ref _output, input.Shape);
        T[] x = input.Data, y = output.Data;
        Chunks(x.Length, (begin, end) =>
        {
            ReadOnlySpan<T> src = x.AsSpan(begin, end - begin);
            Span<T> dst = y.AsSpan(begin, end - begin);
            int i = 0, v = Vector256<T>.Count;
            for (; i <= src.Length - v; i += v)
            {
                // Keep x where x > 0 or x is NaN (x != x), else 0.
                var a = Vector256.Create(src.Slice(i, v));
                var keep = Vector256.GreaterThan(a, Vector256<T>.Zero) | ~Vector256.Equals(a, a);
                (a & keep).CopyTo(dst.Slice(i, v));
            }

            for (; i < src.Length; i++)
            {
                dst[i] = src[i] > T.Zero || T.IsNaN(src[i]) ? src[i] : T.Zero;
            }
        });

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

        var gradInput = Reuse(ref _gradInput, output.Shape);
        T[] y = output.Data, gy = gradOutput.Data, gx = gradInput.Data;
        Chunks(y.Length, (begin, end) =>
        {
            ReadOnlySpan<T> ys = y.AsSpan(begin, end - begin), gys = gy.AsSpan(begin, end - begin);
            Span<T> gxs = gx.AsSpan(begin, end - begin);
            int i = 0, v = Vector256<T>.Count;
            for (; i <= ys.Length - v; i += v)
            {
                var keep = Vector256.GreaterThan(Vector256.Create(ys.Slice(i, v)), Vector256<T>.Zero);
                (Vector256.Create(gys.Slice(i, v)) & keep).CopyTo(gxs.Slice(i, v));
            }

            for (; i < ys.Length; i++)
            {
                gxs[i] = ys[i] > T.Zero ? gys[i] : T.Zero;
            }
        });

        return gradInput;
    }

    /// <inheritdoc/>
    public override string ToString() => "ReLU()";

    /// <summary>Runs an elementwise body over [0, length) in chunks of 16384 elements split over threads (large tensors only).</summary>
    private static void Chunks(int length, Action<int, int> body)
    {
        const int chunk = 16384;
        if (length <= 4 * chunk)
        {
            body(0, length);
            return;
        }

        int chunks = (length + chunk - 1) / chunk;
        Kernels.WorkerTeam.For(chunks, (c0, c1) => body(c0 * chunk, Math.Min(length, c1 * chunk)));
    }
}
