using System.Numerics;
using NeuralPool.Training.Kernels;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Fully connected layer (PyTorch <c>nn.Linear</c>) on (N, in) inputs: <c>y = x·Wᵀ + b</c>, weight (out, in), bias (out).
/// Forward keeps the input. Backward: <c>dx = dy·W</c>, <c>dW += dyᵀ·x</c>, <c>db += Σ_n dy[n]</c> (rows added in
/// order). The products split their output over threads; results do not depend on the thread count.
/// </summary>
public sealed class Linear<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _input, _output, _gradInput;

    /// <summary>A layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="init">Initialisation (PyTorch's default unless told).</param>
    /// <param name="random">Generator for the initial values (a generator seeded with 0 when null).</param>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, InitScheme init = InitScheme.TorchDefault, SeededRandom? random = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
        {
            ThrowHelper.Argument(inFeatures <= 0 ? nameof(inFeatures) : nameof(outFeatures), $"feature counts must be positive, got in {inFeatures}, out {outFeatures}.");
        }

        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter<T>(outFeatures, inFeatures);
        Bias = bias ? new Parameter<T>(outFeatures) : null;
        ResetParameters(init, random ?? new SeededRandom(0));
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, (out, in).</summary>
    public Parameter<T> Weight { get; }

    /// <summary>The bias, (out), or null.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>Re-initialises weight and bias (fan-in = in).</summary>
    public void ResetParameters(InitScheme init, SeededRandom random) => Init.Apply(init, Weight, Bias, InFeatures, random);

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        Check(inputShape);
        return [inputShape[0], OutFeatures];
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input.Shape);
        int n = input.Shape[0];
        var output = Reuse(ref _output, [n, OutFeatures]);
        _input = input;
        T[] y = output.Data;
        if (Bias is not null)
        {
            for (int i = 0; i < n; i++)
            {
                Bias.Data.CopyTo(y, i * OutFeatures);
            }
        }

        Gemm.Multiply<T>(false, true, n, OutFeatures, InFeatures, input.Data, InFeatures, Weight.Data, InFeatures, y, OutFeatures,
            accumulate: Bias is not null, parallel: true);
        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var input = Saved(_input);
        CheckGradient(gradOutput, _output!.Shape);
        int n = input.Shape[0];
        T[] gy = gradOutput.Data;
        Gemm.Multiply<T>(true, false, OutFeatures, InFeatures, n, gy, OutFeatures, input.Data, InFeatures, Weight.Grad, InFeatures,
            accumulate: true, parallel: true);
        if (Bias is not null)
        {
            for (int i = 0; i < n; i++)
            {
                Simd.Add<T>(gy.AsSpan(i * OutFeatures, OutFeatures), Bias.Grad);
            }
        }

        if (!InputGradient)
        {
            return NoGradient;
        }

        var gradInput = Reuse(ref _gradInput, input.Shape);
        Gemm.Multiply<T>(false, false, n, InFeatures, OutFeatures, gy, OutFeatures, Weight.Data, InFeatures, gradInput.Data, InFeatures, parallel: true);
        return gradInput;
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Linear(in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")})";

    private void Check(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 2 || shape[1] != InFeatures)
        {
            ThrowHelper.Argument("input", $"Linear({InFeatures}, {OutFeatures}) takes an (N, {InFeatures}) input, got shape {ThrowHelper.Format(shape)}.");
        }
    }
}
