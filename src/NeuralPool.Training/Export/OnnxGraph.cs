using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace NeuralPool.Training.Export;

/// <summary>An attribute of an ONNX node: FLOAT (type 1), INT (2), STRING (3) or INTS (7); exactly one value is set.</summary>
/// <param name="Name">The attribute's name, e.g. <c>kernel_shape</c>.</param>
/// <param name="Int">The value of an INT attribute.</param>
/// <param name="Ints">The values of an INTS attribute.</param>
/// <param name="Float">The value of a FLOAT attribute.</param>
/// <param name="Text">The value of a STRING attribute (written as UTF-8).</param>
public sealed record OnnxAttribute(string Name, long? Int = null, long[]? Ints = null, float? Float = null, string? Text = null)
{
    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Of(string name, long value) => new(name, Int: value);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Of(string name, params long[] values) => new(name, Ints: values);

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Of(string name, float value) => new(name, Float: value);

    /// <summary>A STRING attribute.</summary>
    public static OnnxAttribute Of(string name, string value) => new(name, Text: value);
}

/// <summary>The element type of a graph output (the values of onnx.proto's <c>TensorProto.DataType</c>).</summary>
public enum OnnxElementType
{
    /// <summary>float32.</summary>
    Float = 1,

    /// <summary>int64.</summary>
    Int64 = 7,
}

/// <summary>
/// An ONNX graph under construction — nodes in execution order, initializers, one float input and one or more outputs
/// (float or int64) whose first dimension is the symbolic <c>batch</c> unless <see cref="SymbolicBatch"/> is off — and
/// its serialization as a <c>ModelProto</c> (field numbers of onnx.proto), with no protobuf package. Values are named
/// <c>scope.label</c> (the scope is the layer's <c>state_dict</c> prefix), made unique with a numeric suffix; nodes
/// are named after their first output.
/// </summary>
public sealed class OnnxGraph
{
    // TensorProto.DataType.
    private const int FloatType = (int)OnnxElementType.Float;
    private const int Int64Type = (int)OnnxElementType.Int64;

    // AttributeProto.AttributeType.
    private const int AttrFloat = 1;
    private const int AttrInt = 2;
    private const int AttrString = 3;
    private const int AttrInts = 7;

    private readonly List<Node> _nodes = [];
    private readonly List<Tensor> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly List<(string Name, OnnxElementType Type, long[] Dims)> _outputs = [];
    private (string Name, long[] Dims)? _input;

    /// <summary>The graph's name (<c>GraphProto.name</c>).</summary>
    public string Name { get; init; } = "neuralpool";

    /// <summary>Whether the first dimension of the input and the outputs is the symbolic <c>batch</c> (the default) rather than the size given.</summary>
    public bool SymbolicBatch { get; init; } = true;

    /// <summary>The prefix of the names of the values and initializers added next (a layer's <c>state_dict</c> prefix, e.g. <c>3</c>).</summary>
    public string Scope { get; set; } = "";

    /// <summary>The nodes added so far.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Declares the graph input: float, <paramref name="dims"/> (the first dimension symbolic with <see cref="SymbolicBatch"/>); returns its name.</summary>
    /// <exception cref="InvalidOperationException">The name is taken.</exception>
    public string Input(string name, params long[] dims)
    {
        Claim(name);
        _input = (name, dims);
        return name;
    }

    /// <summary>Declares <paramref name="value"/> a float graph output under <paramref name="name"/> (renaming the node output that produces it).</summary>
    public void Output(string value, string name, params long[] dims) => Output(value, name, OnnxElementType.Float, dims);

    /// <summary>
    /// Declares <paramref name="value"/> a graph output of <paramref name="type"/> and <paramref name="dims"/> under
    /// <paramref name="name"/> (renaming the node output that produces it); outputs keep the order of declaration.
    /// </summary>
    public void Output(string value, string name, OnnxElementType type, params long[] dims)
    {
        int producer = _nodes.FindIndex(n => n.Outputs.Contains(value));
        if (producer < 0 || _nodes.Any(n => n.Inputs.Contains(value)))
        {
            // The input itself, or a value something else reads: hand it on through an Identity.
            string scope = Scope;
            Scope = "";
            value = Add("Identity", [value], name);
            Scope = scope;
            producer = _nodes.Count - 1;
        }

        var node = _nodes[producer];
        _nodes[producer] = node with { Outputs = [.. node.Outputs.Select(o => o == value ? name : o)] };
        _names.Add(name);
        _outputs.Add((name, type, dims));
    }

    /// <summary>Adds a node with one output, named <c>scope.label</c> (the label defaults to the operator in lower case); returns the output's name.</summary>
    public string Add(string opType, string[] inputs, string? label = null, params OnnxAttribute[] attributes)
    {
        string output = Unique(Scope.Length == 0 ? label ?? opType.ToLowerInvariant() : $"{Scope}.{label ?? opType.ToLowerInvariant()}");
        _nodes.Add(new Node(opType, inputs, [output], attributes));
        return output;
    }

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs, named as by the single-output <see cref="Add(string, string[], string?, OnnxAttribute[])"/>; returns their names in order.</summary>
    public string[] Add(string opType, string[] inputs, int outputCount, string? label = null, params OnnxAttribute[] attributes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputCount, 1);
        string name = Scope.Length == 0 ? label ?? opType.ToLowerInvariant() : $"{Scope}.{label ?? opType.ToLowerInvariant()}";
        string[] outputs = [.. Enumerable.Range(0, outputCount).Select(_ => Unique(name))];
        _nodes.Add(new Node(opType, inputs, outputs, attributes));
        return outputs;
    }

    /// <summary>A float initializer named <c>scope.name</c> holding <paramref name="values"/> with <paramref name="dims"/>; returns its name.</summary>
    public string Floats(string name, long[] dims, ReadOnlySpan<float> values)
    {
        byte[] raw;
        if (BitConverter.IsLittleEndian)
        {
            raw = MemoryMarshal.AsBytes(values).ToArray();
        }
        else
        {
            raw = new byte[values.Length * sizeof(float)];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
            }
        }

        string full = Unique(Scope.Length == 0 ? name : $"{Scope}.{name}");
        _initializers.Add(new Tensor(full, FloatType, dims, raw));
        return full;
    }

    /// <summary>A float scalar (rank 0) constant, shared by every node that uses the same value.</summary>
    public string Scalar(float value)
    {
        string key = "f" + value.ToString("R", CultureInfo.InvariantCulture);
        if (!_constants.TryGetValue(key, out string? name))
        {
            name = Unique("const." + value.ToString("R", CultureInfo.InvariantCulture));
            var raw = new byte[sizeof(float)];
            BinaryPrimitives.WriteSingleLittleEndian(raw, value);
            _initializers.Add(new Tensor(name, FloatType, [], raw));
            _constants[key] = name;
        }

        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, pads, slice bounds), shared by every node that uses the same values.</summary>
    public string Int64s(params long[] values)
    {
        string key = "i" + string.Join(",", values);
        if (!_constants.TryGetValue(key, out string? name))
        {
            name = Unique("const.[" + string.Join(",", values) + "]");
            var raw = new byte[values.Length * sizeof(long)];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
            }

            _initializers.Add(new Tensor(name, Int64Type, [values.Length], raw));
            _constants[key] = name;
        }

        return name;
    }

    /// <summary>
    /// Writes the model — <c>ModelProto</c> with IR version <paramref name="irVersion"/>, the default domain at
    /// <paramref name="opset"/>, the producer, the graph, and (when given) the producer version, doc string and metadata —
    /// and returns its size in bytes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The graph has no input or no output.</exception>
    public long WriteModel(Stream stream, long irVersion, long opset, string producer, string producerVersion = "", string docString = "", IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (_input is null || _outputs.Count == 0)
        {
            throw new InvalidOperationException("the graph needs an input and an output.");
        }

        var graph = new ProtoWriter();
        foreach (var node in _nodes)
        {
            graph.Message(1, w => WriteNode(w, node));                        // GraphProto.node
        }

        graph.String(2, Name);                                              // GraphProto.name
        foreach (var tensor in _initializers)
        {
            graph.Message(5, w => WriteTensor(w, tensor));                    // GraphProto.initializer
        }

        graph.Message(11, w => WriteValueInfo(w, _input.Value.Name, FloatType, _input.Value.Dims));   // GraphProto.input
        foreach (var (name, type, dims) in _outputs)
        {
            graph.Message(12, w => WriteValueInfo(w, name, (int)type, dims));   // GraphProto.output
        }

        var model = new ProtoWriter();
        model.Int(1, irVersion);                                            // ModelProto.ir_version
        model.String(2, producer);                                          // ModelProto.producer_name
        if (producerVersion.Length > 0)
        {
            model.String(3, producerVersion);                               // ModelProto.producer_version
        }

        if (docString.Length > 0)
        {
            model.String(6, docString);                                     // ModelProto.doc_string
        }

        model.Message(7, graph);                                            // ModelProto.graph
        model.Message(8, w =>                                               // ModelProto.opset_import
        {
            w.String(1, "");                                                // OperatorSetIdProto.domain (the default)
            w.Int(2, opset);                                                // OperatorSetIdProto.version
        });
        foreach (var (key, value) in (metadata ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            model.Message(14, w =>                                          // ModelProto.metadata_props
            {
                w.String(1, key);                                           // StringStringEntryProto.key
                w.String(2, value);                                         // StringStringEntryProto.value
            });
        }

        stream.Write(model.Written);
        return model.Written.Length;
    }

    private static void WriteNode(ProtoWriter w, Node node)
    {
        foreach (string input in node.Inputs)
        {
            w.String(1, input);                                             // NodeProto.input
        }

        foreach (string output in node.Outputs)
        {
            w.String(2, output);                                            // NodeProto.output
        }

        w.String(3, node.Outputs[0]);                                       // NodeProto.name
        w.String(4, node.OpType);                                           // NodeProto.op_type
        foreach (var attribute in node.Attributes)
        {
            w.Message(5, a => WriteAttribute(a, attribute));                // NodeProto.attribute
        }
    }

    private static void WriteAttribute(ProtoWriter w, OnnxAttribute attribute)
    {
        w.String(1, attribute.Name);                                        // AttributeProto.name
        if (attribute.Int is { } i)
        {
            w.Int(3, i);                                                    // AttributeProto.i
            w.Int(20, AttrInt);                                             // AttributeProto.type
        }
        else if (attribute.Ints is { } ints)
        {
            foreach (long v in ints)
            {
                w.Int(8, v);                                                // AttributeProto.ints
            }

            w.Int(20, AttrInts);
        }
        else if (attribute.Float is { } f)
        {
            w.Float(2, f);                                                  // AttributeProto.f
            w.Int(20, AttrFloat);
        }
        else if (attribute.Text is { } s)
        {
            w.String(4, s);                                                 // AttributeProto.s
            w.Int(20, AttrString);
        }
        else
        {
            throw new InvalidOperationException($"attribute {attribute.Name} has no value.");
        }
    }

    private static void WriteTensor(ProtoWriter w, Tensor tensor)
    {
        foreach (long d in tensor.Dims)
        {
            w.Int(1, d);                                                    // TensorProto.dims
        }

        w.Int(2, tensor.DataType);                                          // TensorProto.data_type
        w.String(8, tensor.Name);                                           // TensorProto.name
        w.Bytes(9, tensor.Raw);                                             // TensorProto.raw_data (little-endian)
    }

    private void WriteValueInfo(ProtoWriter w, string name, int elementType, long[] dims)
    {
        var shape = new ProtoWriter();
        for (int i = 0; i < dims.Length; i++)
        {
            shape.Message(1, d =>                                           // TensorShapeProto.dim
            {
                if (i == 0 && SymbolicBatch)
                {
                    d.String(2, "batch");                                   // Dimension.dim_param
                }
                else
                {
                    d.Int(1, dims[i]);                                      // Dimension.dim_value
                }
            });
        }

        var tensor = new ProtoWriter();
        tensor.Int(1, elementType);                                         // TypeProto.Tensor.elem_type
        tensor.Message(2, shape);                                           // TypeProto.Tensor.shape
        w.String(1, name);                                                  // ValueInfoProto.name
        w.Message(2, t => t.Message(1, tensor));                            // ValueInfoProto.type, TypeProto.tensor_type
    }

    private string Unique(string name)
    {
        string candidate = name;
        for (int i = 2; !_names.Add(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"the name '{name}' is taken.");
        }
    }

    private sealed record Node(string OpType, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes);

    private sealed record Tensor(string Name, int DataType, long[] Dims, byte[] Raw);
}
