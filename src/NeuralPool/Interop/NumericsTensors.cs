using System.Numerics;
using System.Numerics.Tensors;
using NeuralPool.Geometry;

namespace NeuralPool.Interop;

/// <summary>
/// Interop with <see cref="System.Numerics.Tensors.Tensor{T}"/>: conversions to and from
/// <see cref="DenseTensor{T}"/> (a copy in row-major order, so strided or broadcast tensors come out dense)
/// and pooling overloads that take and return <see cref="Tensor{T}"/> in channels-first layout.
/// </summary>
public static class NumericsTensors
{
    /// <summary>A dense copy of <paramref name="tensor"/> with the given layout tag.</summary>
    /// <exception cref="ArgumentException">A dimension exceeds the array limit.</exception>
    public static DenseTensor<T> ToDense<T>(this Tensor<T> tensor, TensorLayout layout = TensorLayout.ChannelsFirst)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = new int[tensor.Rank];
        for (int i = 0; i < shape.Length; i++)
        {
            nint len = tensor.Lengths[i];
            if (len > int.MaxValue)
            {
                ThrowHelper.Argument(nameof(tensor), $"dimension {i} of length {len} exceeds the supported size.");
            }

            shape[i] = (int)len;
        }

        var result = new DenseTensor<T>(shape, layout);
        tensor.FlattenTo(result.Data);
        return result;
    }

    /// <summary>A <see cref="Tensor{T}"/> over a copy of <paramref name="tensor"/>'s elements, same shape.</summary>
    public static Tensor<T> ToTensor<T>(this DenseTensor<T> tensor)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Span<nint> lengths = stackalloc nint[tensor.Rank];
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = tensor.Shape[i];
        }

        return Tensor.Create((T[])tensor.Data.Clone(), lengths);
    }

    /// <summary><c>F.max_pool2d</c> on a channels-first <see cref="Tensor{T}"/>.</summary>
    public static Tensor<T> MaxPool2d<T>(Tensor<T> input, Size kernelSize, Size stride = default, Size padding = default, Size dilation = default, bool ceilMode = false)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        Functional.MaxPool2d(input.ToDense(), kernelSize, stride, padding, dilation, ceilMode).ToTensor();

    /// <summary><c>F.avg_pool2d</c> on a channels-first <see cref="Tensor{T}"/>.</summary>
    public static Tensor<T> AvgPool2d<T>(Tensor<T> input, Size kernelSize, Size stride = default, Size padding = default, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Functional.AvgPool2d(input.ToDense(), kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride).ToTensor();

    /// <summary><c>F.adaptive_avg_pool2d</c> on a channels-first <see cref="Tensor{T}"/>.</summary>
    public static Tensor<T> AdaptiveAvgPool2d<T>(Tensor<T> input, Size outputSize)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Functional.AdaptiveAvgPool2d(input.ToDense(), outputSize).ToTensor();

    /// <summary><c>F.adaptive_max_pool2d</c> on a channels-first <see cref="Tensor{T}"/>.</summary>
    public static Tensor<T> AdaptiveMaxPool2d<T>(Tensor<T> input, Size outputSize)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        Functional.AdaptiveMaxPool2d(input.ToDense(), outputSize).ToTensor();
}
