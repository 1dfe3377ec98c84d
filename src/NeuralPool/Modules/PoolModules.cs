using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Modules;

/// <summary>
/// Base of the pooling modules: holds the parameters, and after <c>Forward</c> what <c>Backward</c> needs
/// (the geometry and, per module, the indices or the input). <c>Backward</c> returns a new gradient tensor
/// for the input of the most recent <c>Forward</c>.
/// </summary>
public abstract class PoolModule
{
    private protected PoolGeometry? Saved { get; set; }

    private protected object? SavedTensor { get; set; }

    private protected PoolGeometry Require()
    {
        if (Saved is not { } g)
        {
            throw new InvalidOperationException($"{GetType().Name}.Backward called before Forward.");
        }

        return g;
    }

    private protected TSaved RequireSaved<TSaved>()
        where TSaved : class =>
        SavedTensor as TSaved ?? throw new InvalidOperationException($"{GetType().Name}.Backward needs a Forward of the same element type first.");
}

/// <summary><c>nn.MaxPoolNd</c>: keeps the indices of the last forward for the backward.</summary>
public abstract class MaxPoolNd(int rank, Size kernelSize, Size stride, Size padding, Size dilation, bool ceilMode) : PoolModule
{
    /// <summary>Number of spatial axes.</summary>
    public int Rank { get; } = rank;

    /// <summary>Plane-local indices of the last <see cref="Forward{T}"/> (PyTorch's <c>return_indices</c>).</summary>
    public DenseTensor<long>? Indices { get; private set; }

    /// <summary>Max pooling of <paramref name="input"/>.</summary>
    public DenseTensor<T> Forward<T>(DenseTensor<T> input)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var g = Geometry(input);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        var idx = new DenseTensor<long>(g.OutputShape, input.Layout);
        MaxPool.Forward(g, input.Data, y.Data, idx.Data);
        (Saved, Indices) = (g, idx);
        return y;
    }

    /// <summary>Gradient with respect to the last forward's input.</summary>
    public DenseTensor<T> Backward<T>(DenseTensor<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Require();
        var gx = new DenseTensor<T>(g.InputShape, g.Layout);
        MaxPool.Backward(g, gradOutput.Data, Indices!.Data, gx.Data);
        return gx;
    }

    private protected virtual PoolGeometry Geometry<T>(DenseTensor<T> input)
        where T : unmanaged =>
        PoolGeometry.Torch(Functional.RankChecked(input, Rank).Shape, input.Layout, Rank, kernelSize.Values, stride.Values, padding.Values, dilation.Values, ceilMode, TorchPoolKind.Max);
}

/// <summary><c>nn.MaxPool1d</c>.</summary>
public sealed class MaxPool1d(Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
    : MaxPoolNd(1, kernelSize, stride, padding, dilation, ceilMode);

/// <summary><c>nn.MaxPool2d</c>.</summary>
public sealed class MaxPool2d(Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
    : MaxPoolNd(2, kernelSize, stride, padding, dilation, ceilMode);

/// <summary><c>nn.MaxPool3d</c>.</summary>
public sealed class MaxPool3d(Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
    : MaxPoolNd(3, kernelSize, stride, padding, dilation, ceilMode);

/// <summary><c>nn.AdaptiveMaxPoolNd</c>.</summary>
public sealed class AdaptiveMaxPool(int rank, Size outputSize) : MaxPoolNd(rank, 1, default, default, default, false)
{
    private protected override PoolGeometry Geometry<T>(DenseTensor<T> input) =>
        PoolGeometry.Adaptive(Functional.RankChecked(input, Rank).Shape, input.Layout, Rank, outputSize.Values);
}

/// <summary><c>nn.AvgPoolNd</c>.</summary>
public abstract class AvgPoolNd(int rank, Size kernelSize, Size stride, Size padding, bool ceilMode, bool countIncludePad, int? divisorOverride) : PoolModule
{
    /// <summary>Number of spatial axes.</summary>
    public int Rank { get; } = rank;

    /// <summary>Average pooling of <paramref name="input"/>.</summary>
    public DenseTensor<T> Forward<T>(DenseTensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Geometry(input);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        AvgPool.Forward(g, input.Data, y.Data, countIncludePad, divisorOverride);
        Saved = g;
        return y;
    }

    /// <summary>Gradient with respect to the last forward's input.</summary>
    public DenseTensor<T> Backward<T>(DenseTensor<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Require();
        var gx = new DenseTensor<T>(g.InputShape, g.Layout);
        AvgPool.Backward(g, gradOutput.Data, gx.Data, countIncludePad, divisorOverride);
        return gx;
    }

    private protected virtual PoolGeometry Geometry<T>(DenseTensor<T> input)
        where T : unmanaged =>
        PoolGeometry.Torch(Functional.RankChecked(input, Rank).Shape, input.Layout, Rank, kernelSize.Values, stride.Values, padding.Values, default, ceilMode, TorchPoolKind.Average);
}

/// <summary><c>nn.AvgPool1d</c>.</summary>
public sealed class AvgPool1d(Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true)
    : AvgPoolNd(1, kernelSize, stride, padding, ceilMode, countIncludePad, null);

/// <summary><c>nn.AvgPool2d</c>.</summary>
public sealed class AvgPool2d(Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    : AvgPoolNd(2, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

/// <summary><c>nn.AvgPool3d</c>.</summary>
public sealed class AvgPool3d(Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    : AvgPoolNd(3, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

/// <summary><c>nn.AdaptiveAvgPoolNd</c>.</summary>
public sealed class AdaptiveAvgPool(int rank, Size outputSize) : AvgPoolNd(rank, 1, default, default, false, true, null)
{
    private protected override PoolGeometry Geometry<T>(DenseTensor<T> input) =>
        PoolGeometry.Adaptive(Functional.RankChecked(input, Rank).Shape, input.Layout, Rank, outputSize.Values);
}

/// <summary><c>nn.LPPoolNd</c> (PyTorch's formula); keeps the input for the backward.</summary>
public abstract class LPPoolNd(int rank, double normType, Size kernelSize, Size stride, bool ceilMode) : PoolModule
{
    /// <summary>Power-average pooling of <paramref name="input"/>.</summary>
    public DenseTensor<T> Forward<T>(DenseTensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Torch(Functional.RankChecked(input, rank).Shape, input.Layout, rank, kernelSize.Values, stride.Values, default, default, ceilMode, TorchPoolKind.Power);
        var y = new DenseTensor<T>(g.OutputShape, input.Layout);
        LpPool.Forward(g, input.Data, normType, y.Data);
        (Saved, SavedTensor) = (g, input);
        return y;
    }

    /// <summary>Gradient with respect to the last forward's input.</summary>
    public DenseTensor<T> Backward<T>(DenseTensor<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Require();
        var x = RequireSaved<DenseTensor<T>>();
        var gx = new DenseTensor<T>(g.InputShape, g.Layout);
        LpPool.Backward(g, x.Data, normType, gradOutput.Data, gx.Data);
        return gx;
    }
}

/// <summary><c>nn.LPPool1d</c>.</summary>
public sealed class LPPool1d(double normType, Size kernelSize, Size stride = default, bool ceilMode = false) : LPPoolNd(1, normType, kernelSize, stride, ceilMode);

/// <summary><c>nn.LPPool2d</c>.</summary>
public sealed class LPPool2d(double normType, Size kernelSize, Size stride = default, bool ceilMode = false) : LPPoolNd(2, normType, kernelSize, stride, ceilMode);

/// <summary><c>nn.LPPool3d</c>.</summary>
public sealed class LPPool3d(double normType, Size kernelSize, Size stride = default, bool ceilMode = false) : LPPoolNd(3, normType, kernelSize, stride, ceilMode);

/// <summary><c>nn.MaxUnpoolNd</c>; keeps the indices and shapes for the backward.</summary>
public abstract class MaxUnpoolNd(int rank, Size kernelSize, Size stride, Size padding) : PoolModule
{
    private (int[] InputShape, int[] OutputSpatial, TensorLayout Layout, DenseTensor<long> Indices)? _last;

    /// <summary>Unpools <paramref name="input"/> to the positions <paramref name="indices"/>, optionally to <paramref name="outputSize"/>.</summary>
    public DenseTensor<T> Forward<T>(DenseTensor<T> input, DenseTensor<long> indices, Size outputSize = default)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var y = Functional.MaxUnpool(Functional.RankChecked(input, rank), indices, kernelSize, stride, padding, outputSize);
        _last = (input.Shape.ToArray(), Functional.SpatialOf(y), input.Layout, indices);
        return y;
    }

    /// <summary>Gradient with respect to the last forward's input (a gather).</summary>
    public DenseTensor<T> Backward<T>(DenseTensor<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var last = _last ?? throw new InvalidOperationException($"{GetType().Name}.Backward called before Forward.");
        var gx = new DenseTensor<T>(last.InputShape, last.Layout);
        MaxUnpool.Backward(last.Layout, last.InputShape, last.Indices.Data, last.OutputSpatial, gradOutput.Data, gx.Data);
        return gx;
    }
}

/// <summary><c>nn.MaxUnpool1d</c>.</summary>
public sealed class MaxUnpool1d(Size kernelSize, Size stride = default, Size padding = default) : MaxUnpoolNd(1, kernelSize, stride, padding);

/// <summary><c>nn.MaxUnpool2d</c>.</summary>
public sealed class MaxUnpool2d(Size kernelSize, Size stride = default, Size padding = default) : MaxUnpoolNd(2, kernelSize, stride, padding);

/// <summary><c>nn.MaxUnpool3d</c>.</summary>
public sealed class MaxUnpool3d(Size kernelSize, Size stride = default, Size padding = default) : MaxUnpoolNd(3, kernelSize, stride, padding);
