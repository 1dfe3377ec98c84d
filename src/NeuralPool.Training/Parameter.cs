using System.Numerics;

namespace NeuralPool.Training;

/// <summary>
/// A learnable tensor: its values and the gradient of the loss with respect to them, both flat arrays in
/// row-major order of <see cref="Shape"/>. Backward passes add into <see cref="Grad"/> (PyTorch's accumulation);
/// an optimizer step reads it and <see cref="ZeroGrad"/> clears it.
/// </summary>
public sealed class Parameter<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _shape;

    /// <summary>A zero-filled parameter of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public Parameter(params ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                ThrowHelper.Argument(nameof(shape), $"parameter shape {ThrowHelper.Format(shape)} has a negative dimension.");
            }

            count *= d;
        }

        _shape = shape.ToArray();
        Data = new T[count];
        Grad = new T[count];
    }

    /// <summary>The values.</summary>
    public T[] Data { get; }

    /// <summary>The accumulated gradient, as long as <see cref="Data"/>.</summary>
    public T[] Grad { get; }

    /// <summary>The shape (PyTorch's: a convolution weight is (out, in, kh, kw), a linear weight (out, in)).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Clears the gradient.</summary>
    public void ZeroGrad() => Array.Clear(Grad);

    /// <summary>Copies <paramref name="values"/> into <see cref="Data"/> (e.g. weights exported from PyTorch).</summary>
    /// <exception cref="ArgumentException">The length differs.</exception>
    public void Load(ReadOnlySpan<T> values)
    {
        if (values.Length != Data.Length)
        {
            ThrowHelper.Argument(nameof(values), $"parameter of shape {ThrowHelper.Format(_shape)} has {Data.Length} elements, got {values.Length}.");
        }

        values.CopyTo(Data);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Parameter<{typeof(T).Name}>{ThrowHelper.Format(_shape)}";
}
