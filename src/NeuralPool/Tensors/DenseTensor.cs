using NeuralPool.Geometry;

namespace NeuralPool;

/// <summary>
/// A small dense tensor: a flat array, its shape in memory order, and the layout that says where the
/// channel axis is (second for <see cref="TensorLayout.ChannelsFirst"/>, last for
/// <see cref="TensorLayout.ChannelsLast"/>). The functional and module APIs take and return it.
/// </summary>
public sealed class DenseTensor<T>
    where T : unmanaged
{
    private readonly int[] _shape;

    /// <summary>Creates a zero-filled tensor.</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the element count exceeds the array limit.</exception>
    public DenseTensor(ReadOnlySpan<int> shape, TensorLayout layout = TensorLayout.ChannelsFirst)
        : this(new T[CountOf(shape)], shape, layout)
    {
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public DenseTensor(T[] data, ReadOnlySpan<int> shape, TensorLayout layout = TensorLayout.ChannelsFirst)
    {
        ArgumentNullException.ThrowIfNull(data);
        ThrowHelper.CheckLength(nameof(data), data.Length, CountOf(shape), "data", shape);
        Data = data;
        _shape = shape.ToArray();
        Layout = layout;
    }

    /// <summary>The elements in memory order.</summary>
    public T[] Data { get; }

    /// <summary>The shape in memory order.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Where the channel axis is.</summary>
    public TensorLayout Layout { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The elements as a span.</summary>
    public Span<T> Span => Data;

    /// <summary>The shape in channels-first order (N, C, spatial), whatever the layout.</summary>
    public int[] LogicalShape
    {
        get
        {
            if (Layout == TensorLayout.ChannelsFirst || Rank < 3)
            {
                return (int[])_shape.Clone();
            }

            var s = new int[Rank];
            s[0] = _shape[0];
            s[1] = _shape[^1];
            Array.Copy(_shape, 1, s, 2, Rank - 2);
            return s;
        }
    }

    /// <summary>The element at a memory-order index.</summary>
    public T this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    /// <summary>A copy in <paramref name="layout"/> (the same tensor when it already is).</summary>
    public DenseTensor<T> ToLayout(TensorLayout layout)
    {
        if (layout == Layout || Rank < 3)
        {
            return Layout == layout ? this : new DenseTensor<T>(Data, _shape, layout);
        }

        int n = _shape[0];
        int c = Layout == TensorLayout.ChannelsFirst ? _shape[1] : _shape[^1];
        long plane = Length / Math.Max(1L, (long)n * c);
        var result = new T[Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (long q = 0; q < plane; q++)
                {
                    long first = (((long)b * c) + ch) * plane + q;
                    long last = (((long)b * plane) + q) * c + ch;
                    if (layout == TensorLayout.ChannelsLast)
                    {
                        result[last] = Data[first];
                    }
                    else
                    {
                        result[first] = Data[last];
                    }
                }
            }
        }

        var logical = LogicalShape;
        var shape = new int[Rank];
        shape[0] = logical[0];
        if (layout == TensorLayout.ChannelsLast)
        {
            Array.Copy(logical, 2, shape, 1, Rank - 2);
            shape[^1] = logical[1];
        }
        else
        {
            logical.CopyTo(shape, 0);
        }

        return new DenseTensor<T>(result, shape, layout);
    }

    /// <inheritdoc/>
    public override string ToString() => $"DenseTensor<{typeof(T).Name}>{ThrowHelper.Format(_shape)} {Layout}";

    private int Offset(int[] index)
    {
        if (index.Length != Rank)
        {
            ThrowHelper.Argument(nameof(index), $"index of {index.Length} values for a tensor of rank {Rank}.");
        }

        long offset = 0;
        for (int i = 0; i < Rank; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i])
            {
                ThrowHelper.OutOfRange(nameof(index), $"index {ThrowHelper.Format(index)} is outside shape {ThrowHelper.Format(_shape)}.");
            }

            offset = (offset * _shape[i]) + index[i];
        }

        return (int)offset;
    }

    private static int CountOf(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                ThrowHelper.Argument(nameof(shape), $"shape {ThrowHelper.Format(shape)} has a negative dimension.");
            }

            count *= d;
            if (count > Array.MaxLength)
            {
                ThrowHelper.Argument(nameof(shape), $"shape {ThrowHelper.Format(shape)} holds more elements than an array can.");
            }
        }

        return (int)count;
    }
}
