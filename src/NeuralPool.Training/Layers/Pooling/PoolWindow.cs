using NeuralPool.Geometry;

namespace NeuralPool.Training.Layers;

/// <summary>
/// The windows of a 2-D pooling layer: sliding windows (PyTorch's kernel size, stride, padding, dilation and ceil
/// mode, with PyTorch's checks) or adaptive bins (PyTorch's <c>adaptive_*_pool2d</c> output size; global pooling is
/// adaptive to 1×1).
/// </summary>
public readonly record struct PoolWindow
{
    /// <summary>Kernel (height, width) of sliding windows.</summary>
    public (int H, int W) KernelSize { get; init; }

    /// <summary>Stride (height, width) of sliding windows.</summary>
    public (int H, int W) Stride { get; init; }

    /// <summary>Padding (height, width) of sliding windows.</summary>
    public (int H, int W) Padding { get; init; }

    /// <summary>Dilation (height, width) of sliding windows.</summary>
    public (int H, int W) Dilation { get; init; }

    /// <summary>Ceil mode of sliding windows.</summary>
    public bool CeilMode { get; init; }

    /// <summary>The output (height, width) of adaptive bins, or null for sliding windows.</summary>
    public (int H, int W)? OutputSize { get; init; }

    /// <summary>Whether the windows are adaptive bins.</summary>
    public bool IsAdaptive => OutputSize is not null;

    /// <summary>Square sliding windows; the stride defaults to the kernel size (PyTorch's default).</summary>
    /// <exception cref="ArgumentException">The kernel size is not positive.</exception>
    public static PoolWindow Sliding(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        if (kernelSize <= 0)
        {
            ThrowHelper.Argument(nameof(kernelSize), $"kernel size should be greater than zero, but got {kernelSize}.");
        }

        int s = stride ?? kernelSize;
        return new PoolWindow { KernelSize = (kernelSize, kernelSize), Stride = (s, s), Padding = (padding, padding), Dilation = (dilation, dilation), CeilMode = ceilMode };
    }

    /// <summary>Adaptive bins giving an output of (<paramref name="height"/>, <paramref name="width"/>).</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public static PoolWindow Adaptive(int height, int width)
    {
        if (height <= 0 || width <= 0)
        {
            ThrowHelper.Argument(nameof(height), $"adaptive output size ({height}, {width}) must be positive.");
        }

        return new PoolWindow { KernelSize = (1, 1), Stride = (1, 1), Dilation = (1, 1), OutputSize = (height, width) };
    }

    /// <summary>One window over each whole plane (adaptive to 1×1).</summary>
    public static PoolWindow Global => Adaptive(1, 1);

    /// <summary>The geometry for a channels-first (N, C, H, W) input, validated as PyTorch's <paramref name="kind"/> function validates it.</summary>
    /// <exception cref="ArgumentException">The shape is not 4-D or the windows do not fit it.</exception>
    public PoolGeometry Geometry(ReadOnlySpan<int> inputShape, TorchPoolKind kind)
    {
        if (inputShape.Length != 4)
        {
            ThrowHelper.Argument("input", $"2-D pooling takes a 4-D (N, C, H, W) input, got shape {ThrowHelper.Format(inputShape)}.");
        }

        if (OutputSize is { } o)
        {
            return PoolGeometry.Adaptive(inputShape, TensorLayout.ChannelsFirst, 2, [o.H, o.W]);
        }

        if (KernelSize.H <= 0 || KernelSize.W <= 0)
        {
            ThrowHelper.Argument(nameof(KernelSize), $"pooling window kernel size {KernelSize} must be positive (use PoolWindow.Sliding or PoolWindow.Adaptive).");
        }

        return PoolGeometry.Torch(inputShape, TensorLayout.ChannelsFirst, 2, [KernelSize.H, KernelSize.W], [Stride.H, Stride.W],
            [Padding.H, Padding.W], [Dilation.H, Dilation.W], CeilMode, kind);
    }

    /// <inheritdoc/>
    public override string ToString() => OutputSize is { } o
        ? $"output_size=({o.H}, {o.W})"
        : $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}{(Dilation == (1, 1) ? "" : $", dilation={Dilation}")}{(CeilMode ? ", ceil_mode=True" : "")}";
}
