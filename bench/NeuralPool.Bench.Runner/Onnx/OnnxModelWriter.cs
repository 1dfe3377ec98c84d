using System.Text;

namespace NeuralPool.Bench.Onnx;

/// <summary>An attribute of an ONNX node: INT (type 2), INTS (type 7) or STRING (type 3).</summary>
internal sealed record OnnxAttribute(string Name, long? Int = null, long[]? Ints = null, string? Text = null)
{
    public static OnnxAttribute Of(string name, long value) => new(name, Int: value);

    public static OnnxAttribute Of(string name, params long[] values) => new(name, Ints: values);

    public static OnnxAttribute Of(string name, string value) => new(name, Text: value);
}

/// <summary>A graph input or output: name, element type (TensorProto.DataType: 1 = float, 7 = int64) and static shape.</summary>
internal sealed record OnnxTensorInfo(string Name, int ElementType, long[] Shape)
{
    public const int Float = 1;
    public const int Int64 = 7;
}

/// <summary>
/// Writes a one-node ONNX model (<c>ModelProto</c>) as protobuf bytes, with no protobuf package: only the
/// handful of fields a pooling graph needs. Field numbers are those of onnx.proto (proto2): repeated
/// scalars are written unpacked, one tag per element, which every protobuf reader accepts.
/// </summary>
internal static class OnnxModelWriter
{
    // Wire types.
    private const int Varint = 0;
    private const int LengthDelimited = 2;

    // AttributeProto.AttributeType.
    private const int AttrInt = 2;
    private const int AttrString = 3;
    private const int AttrInts = 7;

    /// <summary>ModelProto{ir_version, opset_import{"", opset}, graph{node, input, output}}.</summary>
    public static byte[] SingleNodeModel(string opType, IReadOnlyList<OnnxAttribute> attributes,
        IReadOnlyList<OnnxTensorInfo> inputs, IReadOnlyList<OnnxTensorInfo> outputs, long irVersion = 8, long opset = 19)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs)
        {
            node.String(1, input.Name);                       // NodeProto.input
        }

        foreach (var output in outputs)
        {
            node.String(2, output.Name);                      // NodeProto.output
        }

        node.String(3, opType.ToLowerInvariant() + "_0");     // NodeProto.name
        node.String(4, opType);                               // NodeProto.op_type
        foreach (var attribute in attributes)
        {
            node.Message(5, Attribute(attribute));            // NodeProto.attribute
        }

        var graph = new ProtoWriter();
        graph.Message(1, node);                               // GraphProto.node
        graph.String(2, "pool");                              // GraphProto.name
        foreach (var input in inputs)
        {
            graph.Message(11, ValueInfo(input));              // GraphProto.input
        }

        foreach (var output in outputs)
        {
            graph.Message(12, ValueInfo(output));             // GraphProto.output
        }

        var opsetId = new ProtoWriter();
        opsetId.String(1, "");                                // OperatorSetIdProto.domain
        opsetId.Int(2, opset);                                // OperatorSetIdProto.version

        var model = new ProtoWriter();
        model.Int(1, irVersion);                              // ModelProto.ir_version
        model.String(2, "NeuralPool.Bench");                  // ModelProto.producer_name
        model.Message(7, graph);                              // ModelProto.graph
        model.Message(8, opsetId);                            // ModelProto.opset_import
        return model.ToArray();
    }

    private static ProtoWriter Attribute(OnnxAttribute attribute)
    {
        var w = new ProtoWriter();
        w.String(1, attribute.Name);                          // AttributeProto.name
        if (attribute.Int is { } i)
        {
            w.Int(3, i);                                      // AttributeProto.i
            w.Int(20, AttrInt);                               // AttributeProto.type
        }
        else if (attribute.Ints is { } ints)
        {
            foreach (long v in ints)
            {
                w.Int(8, v);                                  // AttributeProto.ints
            }

            w.Int(20, AttrInts);
        }
        else if (attribute.Text is { } s)
        {
            w.Bytes(4, Encoding.UTF8.GetBytes(s));            // AttributeProto.s
            w.Int(20, AttrString);
        }
        else
        {
            throw new ArgumentException($"attribute {attribute.Name} has no value.", nameof(attribute));
        }

        return w;
    }

    private static ProtoWriter ValueInfo(OnnxTensorInfo info)
    {
        var shape = new ProtoWriter();
        foreach (long d in info.Shape)
        {
            var dim = new ProtoWriter();
            dim.Int(1, d);                                    // TensorShapeProto.Dimension.dim_value
            shape.Message(1, dim);                            // TensorShapeProto.dim
        }

        var tensor = new ProtoWriter();
        tensor.Int(1, info.ElementType);                      // TypeProto.Tensor.elem_type
        tensor.Message(2, shape);                             // TypeProto.Tensor.shape

        var type = new ProtoWriter();
        type.Message(1, tensor);                              // TypeProto.tensor_type

        var w = new ProtoWriter();
        w.String(1, info.Name);                               // ValueInfoProto.name
        w.Message(2, type);                                   // ValueInfoProto.type
        return w;
    }

    /// <summary>Protobuf encoding of the fields used above: varints and length-delimited fields.</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Int(int field, long value)
        {
            Tag(field, Varint);
            VarintRaw(unchecked((ulong)value)); // negative int64 values take ten bytes, as protobuf specifies
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, [.. message._bytes]);

        public void Bytes(int field, byte[] value)
        {
            Tag(field, LengthDelimited);
            VarintRaw((ulong)value.Length);
            _bytes.AddRange(value);
        }

        public byte[] ToArray() => [.. _bytes];

        private void Tag(int field, int wireType) => VarintRaw(((ulong)field << 3) | (uint)wireType);

        private void VarintRaw(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }
}
