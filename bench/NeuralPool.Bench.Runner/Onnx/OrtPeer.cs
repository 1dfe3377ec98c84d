using Microsoft.ML.OnnxRuntime;
using NeuralPool.Bench.Runner;
using NeuralPool.Training.Export;

namespace NeuralPool.Bench.Onnx;

/// <summary>
/// ONNX Runtime running a suite case in the same process: a one-node model with static shapes built in C#
/// (<see cref="OnnxGraph"/>), channels-first, input and outputs in pinned preallocated arrays bound
/// with <c>OrtValue.CreateTensorValueFromMemory</c>, <c>IntraOpNumThreads</c> set, spinning off.
/// </summary>
internal sealed class OrtPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;
    private readonly string[] _inputNames = ["X"];
    private readonly string[] _outputNames;
    private readonly SuiteCase _case;

    /// <summary>The model's op, e.g. "MaxPool" or "GlobalAveragePool".</summary>
    public string OpType { get; }

    public float[] Output { get; }

    /// <summary>ONNX's whole-tensor indices (row-major over N, C, spatial), when the case returns indices.</summary>
    public long[]? RawIndices { get; }

    /// <summary>Why ONNX Runtime cannot run <paramref name="c"/> as one standard operator, or null when it can.</summary>
    public static string? Unsupported(SuiteCase c)
    {
        if (c.Backward)
        {
            return "ONNX Runtime has no pooling gradient in inference builds";
        }

        if (c.DivisorOverride is not null)
        {
            return "ONNX AveragePool has no divisor_override";
        }

        if (c.Kind == PoolKind.Avg && c.Dilation.Any(d => d != 1))
        {
            return "torch avg_pool has no dilation";
        }

        if (c.IsAdaptive)
        {
            bool global = c.OutputSize.All(o => o == 1);
            if (global && c.ReturnIndices)
            {
                return "GlobalMaxPool has no Indices output";
            }

            if (!global && Enumerable.Range(0, c.SpatialRank).Any(i => c.Shape[2 + i] % c.OutputSize[i] != 0))
            {
                return $"adaptive bins of {string.Join("x", c.Shape[2..])} -> {string.Join("x", c.OutputSize)} are not a uniform window";
            }
        }

        return null;
    }

    public OrtPeer(SuiteCase c, int threads, float[] inputChannelsFirst, int[] outputSpatial)
    {
        _case = c;
        long[] inShape = [.. c.Shape.Select(v => (long)v)];
        long[] outShape = [c.N, c.C, .. outputSpatial.Select(v => (long)v)];
        long outLength = outShape.Aggregate(1L, (a, b) => a * b);
        var (op, attributes) = Node(c);
        OpType = op;

        byte[] model = Model(op, attributes, inShape, outShape, c.ReturnIndices);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(model, options);

        Output = new float[outLength];
        _inputs = [OrtValue.CreateTensorValueFromMemory(inputChannelsFirst, inShape)];
        if (c.ReturnIndices)
        {
            RawIndices = new long[outLength];
            _outputNames = ["Y", "Indices"];
            _outputs = [OrtValue.CreateTensorValueFromMemory(Output, outShape), OrtValue.CreateTensorValueFromMemory(RawIndices, outShape)];
        }
        else
        {
            _outputNames = ["Y"];
            _outputs = [OrtValue.CreateTensorValueFromMemory(Output, outShape)];
        }
    }

    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    /// <summary>ONNX's whole-tensor indices made plane-local (PyTorch's encoding) for comparison.</summary>
    public long[]? PlaneIndices(long outPlane, long inPlane)
    {
        if (RawIndices is null)
        {
            return null;
        }

        var local = new long[RawIndices.Length];
        for (long i = 0; i < local.LongLength; i++)
        {
            local[i] = RawIndices[i] - (i / outPlane * inPlane);
        }

        return local;
    }

    public void Dispose()
    {
        foreach (var v in _inputs.Concat(_outputs))
        {
            v.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }

    /// <summary>The model: X (float, <paramref name="inShape"/>) → the node → Y (float) and, with indices, Indices (int64), both <paramref name="outShape"/>.</summary>
    private static byte[] Model(string op, List<OnnxAttribute> attributes, long[] inShape, long[] outShape, bool indices)
    {
        var graph = new OnnxGraph { Name = "pool", SymbolicBatch = false };
        string[] results = graph.Add(op, [graph.Input("X", inShape)], indices ? 2 : 1, null, [.. attributes]);
        graph.Output(results[0], "Y", outShape);
        if (indices)
        {
            graph.Output(results[1], "Indices", OnnxElementType.Int64, outShape);
        }

        using var stream = new MemoryStream();
        graph.WriteModel(stream, irVersion: 8, opset: 19, producer: "NeuralPool.Bench");
        return stream.ToArray();
    }

    private static (string Op, List<OnnxAttribute> Attributes) Node(SuiteCase c)
    {
        var attrs = new List<OnnxAttribute>();
        if (c.IsAdaptive)
        {
            if (c.OutputSize.All(o => o == 1))
            {
                return (c.IsMax ? "GlobalMaxPool" : "GlobalAveragePool", attrs);
            }

            long[] window = [.. Enumerable.Range(0, c.SpatialRank).Select(i => (long)(c.Shape[2 + i] / c.OutputSize[i]))];
            attrs.Add(OnnxAttribute.Of("kernel_shape", window));
            attrs.Add(OnnxAttribute.Of("strides", window));
            return (c.IsMax ? "MaxPool" : "AveragePool", attrs);
        }

        attrs.Add(OnnxAttribute.Of("kernel_shape", [.. c.Kernel.Select(v => (long)v)]));
        attrs.Add(OnnxAttribute.Of("strides", [.. c.Stride.Select(v => (long)v)]));
        attrs.Add(OnnxAttribute.Of("pads", [.. c.Padding.Concat(c.Padding).Select(v => (long)v)])); // begins, then ends
        if (c.CeilMode)
        {
            attrs.Add(OnnxAttribute.Of("ceil_mode", 1L));
        }

        if (c.IsMax)
        {
            if (c.Dilation.Any(d => d != 1))
            {
                attrs.Add(OnnxAttribute.Of("dilations", [.. c.Dilation.Select(v => (long)v)]));
            }

            return ("MaxPool", attrs);
        }

        attrs.Add(OnnxAttribute.Of("count_include_pad", c.CountIncludePad ? 1L : 0L));
        return ("AveragePool", attrs);
    }

    /// <summary>The case this peer runs.</summary>
    public override string ToString() => $"{_case.Name}: ONNX {OpType}";
}
