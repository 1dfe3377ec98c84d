using NeuralPool.Cli.Operators;
using NeuralPool.Cli.Tensors;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Conformance;

internal enum CaseOutcome
{
    Pass,
    Fail,
    Skip,
}

/// <summary>The verdict on one case; <see cref="Message"/> is the why of a FAIL or SKIP.</summary>
internal sealed record CaseResult(CaseOutcome Outcome, string Message = "")
{
    public static CaseResult Passed { get; } = new(CaseOutcome.Pass);

    public static CaseResult Failed(string why) => new(CaseOutcome.Fail, CliApplication.OneLine(why));

    public static CaseResult Skipped(string why) => new(CaseOutcome.Skip, CliApplication.OneLine(why));
}

/// <summary>
/// Runs one conformance case in each requested layout: channels-first as stored, and channels-last by transposing
/// the activation inputs (N, C, spatial → N, spatial, C), running with <see cref="TensorLayout.ChannelsLast"/> and
/// transposing the outputs back. Index values are layout-independent. Any exception is a FAIL with its message.
/// </summary>
internal sealed class CaseRunner(IReadOnlyList<TensorLayout> layouts, string? actualDirectory)
{
    public static string LayoutName(TensorLayout layout) => layout == TensorLayout.ChannelsFirst ? "nchw" : "nhwc";

    public CaseResult Run(string directory, string path)
    {
        try
        {
            return RunCore(ConformanceCase.Load(directory, path));
        }
        catch (UnsupportedOperatorException ex)
        {
            return CaseResult.Skipped(ex.Message);
        }
        catch (Exception ex)
        {
            return CaseResult.Failed(CliApplication.Describe(ex));
        }
    }

    private CaseResult RunCore(ConformanceCase c)
    {
        var op = OperatorCatalog.Resolve(c.Domain, c.OpType, c.Attributes, c.Grad, c.Outputs.Count);
        if (c.Grad && (c.Inputs.Count == 0 || !c.GradInputs.SequenceEqual([c.Inputs[0]], StringComparer.Ordinal)))
        {
            throw new UnsupportedOperatorException($"{op.Name}: only the gradient with respect to the first input is supported, not ({string.Join(", ", c.GradInputs)}).");
        }

        if (op.OutputCount != c.Outputs.Count)
        {
            return CaseResult.Failed($"node.json lists {c.Outputs.Count} output(s) ({string.Join(", ", c.Outputs)}) but {op.Name} with these attributes produces {op.OutputCount} ({string.Join(", ", op.OutputNames)})");
        }

        var names = op.NamesFor(c.Inputs.Count);
        var inputs = Enumerable.Range(0, c.Inputs.Count).Select(i => Npy.Read(c.InputFile(i))).ToArray();
        var expected = Enumerable.Range(0, c.Outputs.Count).Select(i => Npy.Read(c.OutputFile(i))).ToArray();

        var failures = new List<string>();
        var actualByLayout = new List<NpyArray[]>();
        foreach (var layout in layouts)
        {
            NpyArray[] actual;
            try
            {
                actual = RunInLayout(op, names, inputs, layout);
            }
            catch (UnsupportedOperatorException)
            {
                throw;
            }
            catch (Exception ex)
            {
                failures.Add($"{LayoutName(layout)}: {CliApplication.Describe(ex)}");
                continue;
            }

            actualByLayout.Add(actual);
            for (int i = 0; i < expected.Length; i++)
            {
                if (OutputComparer.Compare(expected[i], actual[i], c.Rtol, c.Atol) is { } why)
                {
                    failures.Add($"{LayoutName(layout)}: output_{i} ({c.Outputs[i]}) {why}");
                }
            }
        }

        if (actualDirectory is not null && actualByLayout.Count > 0)
        {
            WriteActual(c, actualByLayout[0], expected);
        }

        if (failures.Count == 0)
        {
            return CaseResult.Passed;
        }

        if (KnownDisputes.Find(c.Name) is { } dispute && actualByLayout.Count == layouts.Count
            && dispute.LibraryReading(inputs) is { } reading && expected.Length == 1
            && actualByLayout.All(a => OutputComparer.Compare(reading, a[0], c.Rtol, c.Atol) is null))
        {
            return CaseResult.Skipped(dispute.Reason);
        }

        return CaseResult.Failed(string.Join("; ", failures));
    }

    /// <summary>Runs <paramref name="op"/> in <paramref name="layout"/>; inputs and outputs are channels-first.</summary>
    public static NpyArray[] RunInLayout(PoolOperator op, IReadOnlyList<string> names, IReadOnlyList<NpyArray> inputs, TensorLayout layout)
    {
        if (layout == TensorLayout.ChannelsFirst)
        {
            return op.Run(inputs, layout);
        }

        // Unbatched torch input (C, spatial): the channel axis is axis 0.
        int channelAxis = op.SpatialRank > 0 && inputs[0].Shape.Length == op.SpatialRank + 1 ? 0 : 1;
        var transposed = new NpyArray[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            bool activation = op.IsActivation(names[i]) && inputs[i].Shape.Length > channelAxis + 1;
            transposed[i] = activation ? LayoutTransform.ToChannelsLast(inputs[i], channelAxis) : inputs[i];
        }

        var outputs = op.Run(transposed, layout);
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i].Shape.Length > channelAxis + 1)
            {
                outputs[i] = LayoutTransform.ToChannelsFirst(outputs[i], channelAxis);
            }
        }

        return outputs;
    }

    private void WriteActual(ConformanceCase c, NpyArray[] actual, NpyArray[] expected)
    {
        string folder = Path.Combine(actualDirectory!, c.Path.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(folder);
        for (int i = 0; i < actual.Length; i++)
        {
            var array = i < expected.Length ? NpyConvert.To(actual[i], expected[i].DType) : actual[i];
            Npy.Write(Path.Combine(folder, $"output_{i}.npy"), array);
        }
    }
}
