using System.Numerics;

namespace NeuralPool.Training;

/// <summary>
/// A layer of a network on NCHW tensors (or (N, features) after flattening), with its forward and backward pass
/// side by side. The contract, the same for every layer:
/// <list type="bullet">
/// <item><see cref="Forward"/> computes the output and keeps what the backward needs (the input, indices, statistics).
/// The returned tensor belongs to the layer and is overwritten by its next forward; the layer keeps a reference
/// to the input, which the caller must leave unchanged until the backward.</item>
/// <item><see cref="Backward"/> takes the gradient of the loss with respect to the last forward's output, adds the
/// gradients of the parameters into their <see cref="Parameter{T}.Grad"/> (accumulating, as PyTorch does) and
/// returns the gradient with respect to the input (a layer-owned tensor, overwritten on each backward), or an
/// empty tensor when <see cref="InputGradient"/> is false.</item>
/// <item><see cref="Training"/> selects training or evaluation behaviour (batch statistics, dropout, stochastic draws).</item>
/// </list>
/// T is float (training) or double (gradient checks).
/// </summary>
public abstract class Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private bool _training = true;

    /// <summary>An empty tensor, returned by <see cref="Backward"/> when no input gradient is wanted.</summary>
    protected static DenseTensor<T> NoGradient { get; } = new DenseTensor<T>([], [0]);

    /// <summary>Training mode (true, the default) or evaluation mode. Setting it on a container sets it on every child.</summary>
    public bool Training
    {
        get => _training;
        set
        {
            _training = value;
            OnTrainingChanged(value);
        }
    }

    /// <summary>Whether <see cref="Backward"/> computes the gradient with respect to the input (default true). A network's first layer needs none.</summary>
    public bool InputGradient { get; set; } = true;

    /// <summary>The output for <paramref name="input"/>; see the class remarks for buffer ownership.</summary>
    /// <exception cref="ArgumentException">The input's shape does not fit the layer.</exception>
    public abstract DenseTensor<T> Forward(DenseTensor<T> input);

    /// <summary>Accumulates parameter gradients and returns the input gradient, from the gradient with respect to the last output.</summary>
    /// <exception cref="ArgumentException"><paramref name="gradOutput"/> does not have the last output's shape.</exception>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    public abstract DenseTensor<T> Backward(DenseTensor<T> gradOutput);

    /// <summary>The output shape for an input of <paramref name="inputShape"/>.</summary>
    /// <exception cref="ArgumentException">The shape does not fit the layer.</exception>
    public abstract int[] OutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>The learnable parameters with PyTorch <c>state_dict</c> style names (<c>weight</c>, <c>bias</c>; containers prefix the child's index).</summary>
    public virtual IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters() => [];

    /// <summary>State that is not learned but saved with the model (BatchNorm's running statistics), with PyTorch names.</summary>
    public virtual IEnumerable<(string Name, T[] Values)> NamedBuffers() => [];

    /// <summary>The learnable parameters.</summary>
    public IEnumerable<Parameter<T>> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>The number of learnable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Length);

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Called after <see cref="Training"/> is set.</summary>
    protected virtual void OnTrainingChanged(bool training)
    {
    }

    /// <summary>A tensor of <paramref name="shape"/> backed by <paramref name="cache"/>'s array when the shape is unchanged, else a new one.</summary>
    protected static DenseTensor<T> Reuse(ref DenseTensor<T>? cache, ReadOnlySpan<int> shape)
    {
        if (cache is null || !cache.Shape.SequenceEqual(shape))
        {
            cache = new DenseTensor<T>(shape);
        }

        return cache;
    }

    /// <summary>The input kept by the last forward; throws when there is none.</summary>
    protected DenseTensor<T> Saved(DenseTensor<T>? input)
    {
        if (input is null)
        {
            ThrowHelper.InvalidOperation($"{GetType().Name}.Backward was called before Forward.");
        }

        return input;
    }

    /// <summary>Checks that <paramref name="gradOutput"/> has the shape of the last output.</summary>
    protected void CheckGradient(DenseTensor<T> gradOutput, ReadOnlySpan<int> outputShape) =>
        ThrowHelper.CheckSameShape(nameof(gradOutput), gradOutput.Shape, outputShape, GetType().Name);
}
