using System.Buffers;
using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>How <see cref="SpatialPyramidPool"/> reduces each bin.</summary>
public enum PyramidMode
{
    /// <summary>Maximum (PyTorch's adaptive max pooling bins).</summary>
    Max,

    /// <summary>Average (PyTorch's adaptive average pooling bins).</summary>
    Average,
}

/// <summary>
/// Spatial pyramid pooling (He, Zhang, Ren, Sun, "Spatial Pyramid Pooling in Deep Convolutional Networks for
/// Visual Recognition", ECCV 2014): a fixed-length vector from an input of any spatial size. Each level n pools
/// the (N, C, H, W) input into n × n bins with PyTorch's adaptive bins (<c>start = floor(i·in/n)</c>,
/// <c>end = ceil((i + 1)·in/n)</c>), and the levels are concatenated per sample:
/// <c>torch.cat([adaptive_pool2d(x, n).flatten(1) for n in levels], 1)</c>. The output is (N, C·Σ n²) in that
/// order (channel-major within a level) whatever the input layout, so a classifier on top does not depend on it.
/// Gradient: the sum of the levels' adaptive pooling gradients; Backward overwrites <c>gradInput</c>.
/// </summary>
public static class SpatialPyramidPool
{
    /// <summary>Features per sample: <c>C · Σ n²</c>.</summary>
    /// <exception cref="ArgumentException">A level is not positive.</exception>
    public static int FeatureLength(int channels, ReadOnlySpan<int> levels)
    {
        long bins = 0;
        foreach (int n in levels)
        {
            if (n <= 0)
            {
                ThrowHelper.Argument(nameof(levels), $"pyramid level {n} must be positive.");
            }

            bins += (long)n * n;
        }

        if (levels.IsEmpty)
        {
            ThrowHelper.Argument(nameof(levels), "the pyramid needs at least one level.");
        }

        return checked((int)(bins * channels));
    }

    /// <summary>Forward.</summary>
    /// <param name="layout">Layout of the input.</param>
    /// <param name="inputShape">(N, C, H, W) or (N, H, W, C).</param>
    /// <param name="levels">Bins per side of each level, e.g. 1, 2, 4.</param>
    /// <param name="mode">Max or average.</param>
    /// <param name="input">The input.</param>
    /// <param name="output">Receives N × <see cref="FeatureLength"/> values.</param>
    /// <exception cref="ArgumentException">A shape, level or length is invalid; nothing is written then.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> levels, PyramidMode mode,
        ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var (n, c, features) = Check(layout, inputShape, levels, input.Length, output.Length, nameof(output));
        int offset = 0;
        foreach (int level in levels)
        {
            var g = PoolGeometry.Adaptive(inputShape, layout, 2, [level, level]);
            T[] pooled = ArrayPool<T>.Shared.Rent((int)g.OutputLength);
            try
            {
                Span<T> y = pooled.AsSpan(0, (int)g.OutputLength);
                if (mode == PyramidMode.Max)
                {
                    MaxPool.Forward(g, input, y);
                }
                else
                {
                    AvgPool.Forward(g, input, y);
                }

                for (int b = 0; b < n; b++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        for (int bin = 0; bin < level * level; bin++)
                        {
                            output[(b * features) + offset + (ch * level * level) + bin] = y[Pooled(layout, c, level, b, ch, bin)];
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(pooled);
            }

            offset += c * level * level;
        }
    }

    /// <summary>Gradient with respect to the input (max recomputes where each bin's maximum came from); overwrites <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A shape, level or length is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> levels, PyramidMode mode,
        ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var (n, c, features) = Check(layout, inputShape, levels, input.Length, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        T[] part = ArrayPool<T>.Shared.Rent(input.Length);
        try
        {
            gradInput.Clear();
            int offset = 0;
            foreach (int level in levels)
            {
                var g = PoolGeometry.Adaptive(inputShape, layout, 2, [level, level]);
                T[] gy = ArrayPool<T>.Shared.Rent((int)g.OutputLength);
                try
                {
                    for (int b = 0; b < n; b++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            for (int bin = 0; bin < level * level; bin++)
                            {
                                gy[Pooled(layout, c, level, b, ch, bin)] = gradOutput[(b * features) + offset + (ch * level * level) + bin];
                            }
                        }
                    }

                    Span<T> levelGrad = part.AsSpan(0, input.Length);
                    if (mode == PyramidMode.Max)
                    {
                        MaxPool.Backward(g, input, gy.AsSpan(0, (int)g.OutputLength), levelGrad);
                    }
                    else
                    {
                        AvgPool.Backward(g, gy.AsSpan(0, (int)g.OutputLength), levelGrad);
                    }

                    for (int i = 0; i < gradInput.Length; i++)
                    {
                        gradInput[i] += levelGrad[i];
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(gy);
                }

                offset += c * level * level;
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(part);
        }
    }

    /// <summary>Position of bin <paramref name="bin"/> (row-major over the level's n × n) of (b, ch) in a pooled level tensor.</summary>
    private static int Pooled(TensorLayout layout, int c, int level, int b, int ch, int bin) =>
        layout == TensorLayout.ChannelsFirst ? (((b * c) + ch) * level * level) + bin : (((b * level * level) + bin) * c) + ch;

    private static (int N, int C, int Features) Check(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<int> levels, int inputLength, int outputLength, string outputName)
    {
        var (n, c, sizes) = PoolGeometry.SplitShape(inputShape, layout, 2);
        int features = FeatureLength(c, levels);
        ThrowHelper.CheckLength("input", inputLength, (long)n * c * sizes[0] * sizes[1], "input", inputShape);
        ThrowHelper.CheckLength(outputName, outputLength, (long)n * features, outputName);
        return (n, c, features);
    }
}
