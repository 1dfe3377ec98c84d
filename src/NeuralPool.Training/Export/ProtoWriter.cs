using System.Buffers.Binary;
using System.Text;

namespace NeuralPool.Training.Export;

/// <summary>
/// The protobuf wire format, as far as an ONNX model needs it: varint fields (wire type 0: integers and enums,
/// negative int64 values in ten bytes), 32-bit fields (wire type 5: float) and length-delimited fields (wire type 2:
/// strings, bytes, nested messages). A field is written as its tag <c>(number &lt;&lt; 3) | wire type</c> followed by the
/// value; a nested message is built in its own writer and copied in with its length. Repeated scalars are written
/// unpacked (one tag per element), which every protobuf reader accepts for proto2's unpacked and packed fields alike.
/// </summary>
internal sealed class ProtoWriter
{
    private const int VarintType = 0;
    private const int LengthDelimitedType = 2;
    private const int Fixed32Type = 5;

    private byte[] _buffer = new byte[64];
    private int _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>A varint field (int32, int64, enum).</summary>
    public void Int(int field, long value)
    {
        Tag(field, VarintType);
        Varint(unchecked((ulong)value));
    }

    /// <summary>A float field (fixed 32 bits, little-endian).</summary>
    public void Float(int field, float value)
    {
        Tag(field, Fixed32Type);
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
    }

    /// <summary>A string field (UTF-8).</summary>
    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimitedType);
        Varint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>A nested message field.</summary>
    public void Message(int field, ProtoWriter message) => Bytes(field, message.Written);

    /// <summary>A nested message field built by <paramref name="build"/>.</summary>
    public void Message(int field, Action<ProtoWriter> build)
    {
        var message = new ProtoWriter();
        build(message);
        Message(field, message);
    }

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        // Seven bits per byte, least significant group first; the high bit marks a following byte.
        while (value >= 0x80)
        {
            Reserve(1)[0] = (byte)(value | 0x80);
            value >>= 7;
        }

        Reserve(1)[0] = (byte)value;
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
