using NeuralPool.Interop;

namespace NeuralPool.Cli.Operators;

/// <summary>Runs one tensor function on physical tensors of a given layout.</summary>
internal delegate NpyArray[] OperatorBody(IReadOnlyList<NpyArray> inputs, TensorLayout layout);

/// <summary>
/// An operator resolved from the catalog with all of its attributes parsed: ready to run on
/// <see cref="NpyArray"/> inputs in either layout. Inputs and outputs are physical arrays (N, C, spatial
/// for channels-first, N, spatial, C for channels-last); index values never depend on the layout.
/// </summary>
internal sealed class PoolOperator
{
    /// <summary>The operator's name as requested, with " backward" for gradient operators.</summary>
    public required string Name { get; init; }

    /// <summary>Names of the inputs in order (the required ones, then the optional ones).</summary>
    public required IReadOnlyList<string> InputNames { get; init; }

    /// <summary>How many trailing entries of <see cref="InputNames"/> before a gradient input are optional.</summary>
    public int OptionalInputs { get; init; }

    /// <summary>Inputs that are activation tensors (transposed between layouts); others, like ONNX <c>output_shape</c>, are not.</summary>
    public IReadOnlySet<string> NonActivationInputs { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Names of the outputs in order.</summary>
    public required IReadOnlyList<string> OutputNames { get; init; }

    /// <summary>Spatial rank fixed by the operator (torch), or 0 when it follows the input (ONNX).</summary>
    public int SpatialRank { get; init; }

    /// <summary>The computation.</summary>
    public required OperatorBody Body { get; init; }

    public int OutputCount => OutputNames.Count;

    /// <summary>True when the input <paramref name="name"/> is an activation tensor.</summary>
    public bool IsActivation(string name) => !NonActivationInputs.Contains(name);

    /// <summary>The names of <paramref name="count"/> given inputs (optional ones left out when fewer are given).</summary>
    public IReadOnlyList<string> NamesFor(int count)
    {
        int max = InputNames.Count, min = max - OptionalInputs;
        if (count < min || count > max)
        {
            string expected = min == max ? $"{max}" : $"{min} to {max}";
            throw new OperatorException($"{Name} takes {expected} inputs ({string.Join(", ", InputNames)}), got {count}.");
        }

        if (count == max || !InputNames[^1].Equals("grad_output", StringComparison.Ordinal))
        {
            return InputNames.Take(count).ToArray();
        }

        // A gradient operator with an omitted optional input: the gradient is still the last input.
        return [.. InputNames.Take(count - 1), InputNames[^1]];
    }

    /// <summary>Runs the operator. Unbatched inputs of a torch operator (C, spatial) get a unit batch axis for the call.</summary>
    public NpyArray[] Run(IReadOnlyList<NpyArray> inputs, TensorLayout layout)
    {
        var names = NamesFor(inputs.Count);
        int rank = inputs[0].Shape.Length;
        bool unbatched = SpatialRank > 0 && rank == SpatialRank + 1;
        if (SpatialRank > 0 && !unbatched && rank != SpatialRank + 2)
        {
            throw new OperatorException($"{Name} expects a {SpatialRank + 1}-D or {SpatialRank + 2}-D input, got shape {AttributeReader.Format(inputs[0].Shape)}.");
        }

        if (!unbatched)
        {
            return Body(inputs, layout);
        }

        var batched = new NpyArray[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            batched[i] = IsActivation(names[i]) ? Reshape(inputs[i], [1, .. inputs[i].Shape]) : inputs[i];
        }

        var outputs = Body(batched, layout);
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i] = Reshape(outputs[i], outputs[i].Shape[1..]);
        }

        return outputs;
    }

    private static NpyArray Reshape(NpyArray a, int[] shape) => new(a.DType, shape, a.Data);
}
