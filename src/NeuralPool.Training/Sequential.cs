using System.Numerics;

namespace NeuralPool.Training;

/// <summary>
/// Layers applied in order (PyTorch's <c>nn.Sequential</c>): the forward feeds each layer's output to the next, the
/// backward runs the layers in reverse. Parameter and buffer names are prefixed with the layer's index, as in
/// PyTorch's <c>state_dict</c> (<c>0.weight</c>, <c>0.bias</c>, <c>3.weight</c>, ...). When
/// <see cref="Layer{T}.InputGradient"/> is false, the first layer is told not to compute its input gradient.
/// </summary>
public sealed class Sequential<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private readonly Layer<T>[] _layers;

    /// <summary>A container of <paramref name="layers"/>, in order.</summary>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public Sequential(params IEnumerable<Layer<T>> layers)
    {
        _layers = [.. layers];
        if (_layers.Length == 0)
        {
            ThrowHelper.Argument(nameof(layers), "a sequential container needs at least one layer.");
        }
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Layer<T>> Layers => _layers;

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        var x = input;
        foreach (var layer in _layers)
        {
            x = layer.Forward(x);
        }

        return x;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        _layers[0].InputGradient = InputGradient;
        var g = gradOutput;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            g = _layers[i].Backward(g);
        }

        return g;
    }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        int[] shape = inputShape.ToArray();
        foreach (var layer in _layers)
        {
            shape = layer.OutputShape(shape);
        }

        return shape;
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            foreach (var (name, p) in _layers[i].NamedParameters())
            {
                yield return ($"{i}.{name}", p);
            }
        }
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, T[] Values)> NamedBuffers()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            foreach (var (name, b) in _layers[i].NamedBuffers())
            {
                yield return ($"{i}.{name}", b);
            }
        }
    }

    /// <inheritdoc/>
    protected override void OnTrainingChanged(bool training)
    {
        foreach (var layer in _layers)
        {
            layer.Training = training;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "Sequential(\n" + string.Join("\n", _layers.Select((l, i) => $"  ({i}) {l}")) + "\n)";
}
