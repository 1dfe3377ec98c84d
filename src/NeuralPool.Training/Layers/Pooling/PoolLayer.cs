using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Training.Layers;

/// <summary>
/// What the pooling layers over a <see cref="PoolWindow"/> share: the geometry (computed once per input shape),
/// the saved input, and the output and input-gradient buffers. Each derived layer calls one NeuralPool operator
/// (<c>NeuralPool.Operators</c>) in its forward and the matching backward.
/// </summary>
public abstract class PoolLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private int[] _geometryShape = [];
    private PoolGeometry _geometry;
    private DenseTensor<T>? _output, _gradInput;

    /// <summary>A pooling layer over <paramref name="window"/>, validated as PyTorch's <paramref name="kind"/> function.</summary>
    protected PoolLayer(PoolWindow window, TorchPoolKind kind)
    {
        Window = window;
        Kind = kind;
    }

    /// <summary>The windows.</summary>
    public PoolWindow Window { get; }

    /// <summary>Which PyTorch function's parameter checks apply.</summary>
    protected TorchPoolKind Kind { get; }

    /// <summary>The input of the last forward.</summary>
    protected DenseTensor<T>? Input { get; private set; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => GeometryFor(inputShape).OutputShape;

    /// <summary>The geometry for <paramref name="shape"/> (cached for the last shape).</summary>
    protected PoolGeometry GeometryFor(ReadOnlySpan<int> shape)
    {
        if (!_geometryShape.AsSpan().SequenceEqual(shape))
        {
            _geometry = Window.Geometry(shape, Kind);
            _geometryShape = shape.ToArray();
        }

        return _geometry;
    }

    /// <summary>Validates the input, saves it, and returns the geometry and the output buffer.</summary>
    protected DenseTensor<T> BeginForward(DenseTensor<T> input, out PoolGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(input);
        geometry = GeometryFor(input.Shape);
        var output = Reuse(ref _output, geometry.OutputShape);
        Input = input;
        return output;
    }

    /// <summary>Checks the output gradient and returns the saved input, the geometry and the input-gradient buffer (always allocated: the operators need one).</summary>
    protected DenseTensor<T> BeginBackward(DenseTensor<T> gradOutput, out DenseTensor<T> input, out PoolGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        input = Saved(Input);
        CheckGradient(gradOutput, _output!.Shape);
        geometry = GeometryFor(input.Shape);
        return Reuse(ref _gradInput, input.Shape);
    }

    /// <summary>The input gradient to return: <paramref name="gradInput"/>, or the empty tensor when none is wanted.</summary>
    protected DenseTensor<T> EndBackward(DenseTensor<T> gradInput) => InputGradient ? gradInput : NoGradient;
}
