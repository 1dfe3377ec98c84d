using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool;

/// <summary>
/// Pooling functions named after <c>torch.nn.functional</c>, with PyTorch's parameters, defaults and
/// results, on <see cref="DenseTensor{T}"/> (which carries its layout). Each call validates, allocates the
/// result and runs the span-based operator; use the operators directly to reuse buffers.
/// Stride defaults to the kernel size; padding to 0; dilation to 1.
/// </summary>
public static class Functional
{
    /// <summary><c>F.max_pool1d</c>.</summary>
    public static DenseTensor<T> MaxPool1d<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxPool(input, 1, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool2d</c>.</summary>
    public static DenseTensor<T> MaxPool2d<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxPool(input, 2, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool3d</c>.</summary>
    public static DenseTensor<T> MaxPool3d<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxPool(input, 3, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool1d(..., return_indices=True)</c>: indices are flat within each (n, c) plane.</summary>
    public static (DenseTensor<T> Output, DenseTensor<long> Indices) MaxPool1dWithIndices<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxPoolWithIndices(input, 1, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool2d(..., return_indices=True)</c>: indices are flat within each (n, c) plane.</summary>
    public static (DenseTensor<T> Output, DenseTensor<long> Indices) MaxPool2dWithIndices<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxPoolWithIndices(input, 2, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool3d(..., return_indices=True)</c>: indices are flat within each (n, c) plane.</summary>
    public static (DenseTensor<T> Output, DenseTensor<long> Indices) MaxPool3dWithIndices<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxPoolWithIndices(input, 3, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.avg_pool1d</c> (no divisor_override, as in PyTorch).</summary>
    public static DenseTensor<T> AvgPool1d<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T> => AvgPool(input, 1, kernelSize, stride, padding, ceilMode, countIncludePad, null);

    /// <summary><c>F.avg_pool2d</c>.</summary>
    public static DenseTensor<T> AvgPool2d<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T> => AvgPool(input, 2, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

    /// <summary><c>F.avg_pool3d</c>.</summary>
    public static DenseTensor<T> AvgPool3d<T>(DenseTensor<T> input, Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T> => AvgPool(input, 3, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

    /// <summary><c>F.lp_pool1d</c>: <c>(sign(a)·relu(|a|)·K)^(1/p)</c> with <c>a = avg_pool1d(x^p)</c>.</summary>
    public static DenseTensor<T> LpPool1d<T>(DenseTensor<T> input, double normType, Size kernelSize, Size stride = default, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T> => LpPool(input, 1, normType, kernelSize, stride, ceilMode);

    /// <summary><c>F.lp_pool2d</c>.</summary>
    public static DenseTensor<T> LpPool2d<T>(DenseTensor<T> input, double normType, Size kernelSize, Size stride = default, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T> => LpPool(input, 2, normType, kernelSize, stride, ceilMode);

    /// <summary><c>F.lp_pool3d</c>.</summary>
    public static DenseTensor<T> LpPool3d<T>(DenseTensor<T> input, double normType, Size kernelSize, Size stride = default, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T> => LpPool(input, 3, normType, kernelSize, stride, ceilMode);

    /// <summary><c>F.adaptive_max_pool1d</c>. A negative output size keeps that axis (PyTorch's None).</summary>
    public static DenseTensor<T> AdaptiveMaxPool1d<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => AdaptiveMax(input, 1, outputSize);

    /// <summary><c>F.adaptive_max_pool2d</c>.</summary>
    public static DenseTensor<T> AdaptiveMaxPool2d<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => AdaptiveMax(input, 2, outputSize);

    /// <summary><c>F.adaptive_max_pool3d</c>.</summary>
    public static DenseTensor<T> AdaptiveMaxPool3d<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => AdaptiveMax(input, 3, outputSize);

    /// <summary><c>F.adaptive_max_pool2d(..., return_indices=True)</c> for any rank 1..3 (from the input's rank).</summary>
    public static (DenseTensor<T> Output, DenseTensor<long> Indices) AdaptiveMaxPoolWithIndices<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = PoolGeometry.Adaptive(input.Shape, input.Layout, input.Rank - 2, outputSize.Values);
        return RunMaxWithIndices(input, g);
    }

    /// <summary><c>F.adaptive_avg_pool1d</c>.</summary>
    public static DenseTensor<T> AdaptiveAvgPool1d<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, IFloatingPointIeee754<T> => AdaptiveAvg(input, 1, outputSize);

    /// <summary><c>F.adaptive_avg_pool2d</c>.</summary>
    public static DenseTensor<T> AdaptiveAvgPool2d<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, IFloatingPointIeee754<T> => AdaptiveAvg(input, 2, outputSize);

    /// <summary><c>F.adaptive_avg_pool3d</c>.</summary>
    public static DenseTensor<T> AdaptiveAvgPool3d<T>(DenseTensor<T> input, Size outputSize)
        where T : unmanaged, IFloatingPointIeee754<T> => AdaptiveAvg(input, 3, outputSize);

    /// <summary>Global max pooling over all spatial axes (output spatial extent 1).</summary>
    public static DenseTensor<T> GlobalMaxPool<T>(DenseTensor<T> input)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = PoolGeometry.Global(input.Shape, input.Layout);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.MaxPool.Forward(g, input.Data, y.Data);
        return y;
    }

    /// <summary>Global average pooling over all spatial axes.</summary>
    public static DenseTensor<T> GlobalAvgPool<T>(DenseTensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = PoolGeometry.Global(input.Shape, input.Layout);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.AvgPool.Forward(g, input.Data, y.Data);
        return y;
    }

    /// <summary>Global Lp pooling: <c>(Σ |x|^p)^(1/p)</c> over all spatial axes (ONNX GlobalLpPool).</summary>
    public static DenseTensor<T> GlobalLpPool<T>(DenseTensor<T> input, int p = 2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = PoolGeometry.Global(input.Shape, input.Layout);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.LpPool.Forward(g, input.Data, p, y.Data, LpFlavor.Onnx);
        return y;
    }

    /// <summary><c>F.max_unpool1d/2d/3d</c> (rank from the input): zeros except <c>y[idx] = x</c>.</summary>
    public static DenseTensor<T> MaxUnpool<T>(DenseTensor<T> input, DenseTensor<long> indices, Size kernelSize, Size stride = default, Size padding = default, Size outputSize = default)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(indices);
        int rank = input.Rank - 2;
        if (rank < 1 || rank > 3)
        {
            ThrowHelper.Argument(nameof(input), $"input shape {ThrowHelper.Format(input.Shape)} must have 3 to 5 dimensions.");
        }

        if (!indices.Shape.SequenceEqual(input.Shape) || indices.Layout != input.Layout)
        {
            ThrowHelper.Argument(nameof(indices), $"indices of shape {ThrowHelper.Format(indices.Shape)} ({indices.Layout}) must have the input's shape {ThrowHelper.Format(input.Shape)} and layout ({input.Layout}).");
        }

        var spatial = SpatialOf(input);
        var outSpatial = Operators.MaxUnpool.TorchOutputSize(spatial, kernelSize.Values, stride.Values, padding.Values, outputSize.Values);
        var y = new DenseTensor<T>(WithSpatial(input, outSpatial), input.Layout);
        Operators.MaxUnpool.Forward(input.Layout, input.Shape, input.Data, indices.Data, outSpatial, y.Data);
        return y;
    }

    /// <summary><c>F.max_unpool1d</c>.</summary>
    public static DenseTensor<T> MaxUnpool1d<T>(DenseTensor<T> input, DenseTensor<long> indices, Size kernelSize, Size stride = default, Size padding = default, Size outputSize = default)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxUnpool(RankChecked(input, 1), indices, kernelSize, stride, padding, outputSize);

    /// <summary><c>F.max_unpool2d</c>.</summary>
    public static DenseTensor<T> MaxUnpool2d<T>(DenseTensor<T> input, DenseTensor<long> indices, Size kernelSize, Size stride = default, Size padding = default, Size outputSize = default)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxUnpool(RankChecked(input, 2), indices, kernelSize, stride, padding, outputSize);

    /// <summary><c>F.max_unpool3d</c>.</summary>
    public static DenseTensor<T> MaxUnpool3d<T>(DenseTensor<T> input, DenseTensor<long> indices, Size kernelSize, Size stride = default, Size padding = default, Size outputSize = default)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> => MaxUnpool(RankChecked(input, 3), indices, kernelSize, stride, padding, outputSize);

    internal static DenseTensor<T> RankChecked<T>(DenseTensor<T> input, int rank)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != rank + 2)
        {
            ThrowHelper.Argument(nameof(input), $"input shape {ThrowHelper.Format(input.Shape)} must have {rank + 2} dimensions for {rank}-d pooling.");
        }

        return input;
    }

    internal static int[] SpatialOf<T>(DenseTensor<T> t)
        where T : unmanaged => t.Layout == TensorLayout.ChannelsFirst ? t.Shape[2..].ToArray() : t.Shape[1..^1].ToArray();

    internal static int[] WithSpatial<T>(DenseTensor<T> t, int[] spatial)
        where T : unmanaged
    {
        var shape = t.Shape.ToArray();
        spatial.CopyTo(shape, t.Layout == TensorLayout.ChannelsFirst ? 2 : 1);
        return shape;
    }

    private static DenseTensor<T> MaxPool<T>(DenseTensor<T> input, int rank, Size kernelSize, Size stride, Size padding, Size dilation, bool ceilMode)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var g = PoolGeometry.Torch(RankChecked(input, rank).Shape, input.Layout, rank, kernelSize.Values, stride.Values, padding.Values, dilation.Values, ceilMode, TorchPoolKind.Max);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.MaxPool.Forward(g, input.Data, y.Data);
        return y;
    }

    private static (DenseTensor<T>, DenseTensor<long>) MaxPoolWithIndices<T>(DenseTensor<T> input, int rank, Size kernelSize, Size stride, Size padding, Size dilation, bool ceilMode)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var g = PoolGeometry.Torch(RankChecked(input, rank).Shape, input.Layout, rank, kernelSize.Values, stride.Values, padding.Values, dilation.Values, ceilMode, TorchPoolKind.Max);
        return RunMaxWithIndices(input, g);
    }

    private static (DenseTensor<T>, DenseTensor<long>) RunMaxWithIndices<T>(DenseTensor<T> input, PoolGeometry g)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        var idx = new DenseTensor<long>(g.OutputShape, input.Layout);
        Operators.MaxPool.Forward(g, input.Data, y.Data, idx.Data);
        return (y, idx);
    }

    private static DenseTensor<T> AvgPool<T>(DenseTensor<T> input, int rank, Size kernelSize, Size stride, Size padding, bool ceilMode, bool countIncludePad, int? divisorOverride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Torch(RankChecked(input, rank).Shape, input.Layout, rank, kernelSize.Values, stride.Values, padding.Values, default, ceilMode, TorchPoolKind.Average);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.AvgPool.Forward(g, input.Data, y.Data, countIncludePad, divisorOverride);
        return y;
    }

    private static DenseTensor<T> LpPool<T>(DenseTensor<T> input, int rank, double normType, Size kernelSize, Size stride, bool ceilMode)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Torch(RankChecked(input, rank).Shape, input.Layout, rank, kernelSize.Values, stride.Values, default, default, ceilMode, TorchPoolKind.Power);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.LpPool.Forward(g, input.Data, normType, y.Data);
        return y;
    }

    private static DenseTensor<T> AdaptiveMax<T>(DenseTensor<T> input, int rank, Size outputSize)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var g = PoolGeometry.Adaptive(RankChecked(input, rank).Shape, input.Layout, rank, outputSize.Values);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.MaxPool.Forward(g, input.Data, y.Data);
        return y;
    }

    private static DenseTensor<T> AdaptiveAvg<T>(DenseTensor<T> input, int rank, Size outputSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Adaptive(RankChecked(input, rank).Shape, input.Layout, rank, outputSize.Values);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        Operators.AvgPool.Forward(g, input.Data, y.Data);
        return y;
    }
}
