using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace NeuralPool.Interop;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) holding C-ordered arrays of
/// float32, float64, uint8, int8 or int64.
/// </summary>
/// <remarks>
/// <para>
/// Reading accepts little- and big-endian data (big-endian is byte-swapped), any key order, either quote style,
/// trailing commas and arbitrary whitespace in the header. Anything else — bad magic, unknown version,
/// unsupported dtype (complex, object/pickled, structured, ...), Fortran order, an unreasonable shape,
/// truncated data or data beyond the end of the array — raises an <see cref="NpyFormatException"/> whose
/// message names the problem.
/// </para>
/// <para>
/// Writing always produces little-endian, C-ordered data with the preamble padded to a multiple of 64 bytes,
/// using format 1.0 when the header fits and 2.0 otherwise; the output is byte-identical to <c>numpy.save</c>.
/// </para>
/// </remarks>
public static class Npy
{
    /// <summary>Largest header accepted when reading. Real headers are well under 1 KiB.</summary>
    private const int MaxHeaderLength = 1 << 20;

    /// <summary>Data is read and written in slices of this many bytes.</summary>
    private const int ChunkBytes = 1 << 20;

    /// <summary>NumPy reserves room for this many digits of the growth axis in the header.</summary>
    private const int GrowthAxisMaxDigits = 21;

    private const int Alignment = 64;

    private const string Supported = "supported: float32, float64, uint8, int8, int64";

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an array from a <c>.npy</c> file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The array.</returns>
    /// <exception cref="NpyFormatException">The file is malformed or unsupported; the message starts with the path.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        try
        {
            return Read(stream);
        }
        catch (NpyFormatException ex)
        {
            throw new NpyFormatException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Reads an array from a stream positioned at the start of <c>.npy</c> data. The stream must end where the
    /// array data ends.
    /// </summary>
    /// <param name="stream">A readable stream. Seekable streams are checked for the full data length before
    /// the data array is allocated; non-seekable streams are read incrementally.</param>
    /// <returns>The array.</returns>
    /// <exception cref="NpyFormatException">The data is malformed or unsupported.</exception>
    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("stream is not readable.", nameof(stream));
        }

        var header = ReadHeaderText(stream);
        var (dtype, bigEndian, dims) = ParseHeader(header);

        var count = (int)(long)NpyArray.ElementCount(dims);
        var itemSize = NpyArray.ItemSize(dtype);
        var needed = (long)count * itemSize;
        var shape = new int[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            shape[i] = (int)dims[i];
        }

        var what = $"shape {NpyArray.FormatShape(dims)} {NpyArray.Name(dtype)}";
        NpyFormatException Truncated(long available) =>
            new($"data is truncated: file holds {available} bytes of data, {what} needs {needed}.");

        if (stream.CanSeek)
        {
            // Check before allocating so a tiny corrupt file claiming a huge shape fails fast.
            var available = stream.Length - stream.Position;
            if (available < needed)
            {
                throw Truncated(available);
            }

            if (available > needed)
            {
                throw new NpyFormatException(
                    $"unexpected data after the array: file holds {available} bytes of data, {what} needs only {needed}.");
            }
        }

        var swap = itemSize > 1 && bigEndian == BitConverter.IsLittleEndian;
        Array data = dtype switch
        {
            NpyDType.Float32 => ReadElements<float>(stream, count, swap, Truncated),
            NpyDType.Float64 => ReadElements<double>(stream, count, swap, Truncated),
            NpyDType.UInt8 => ReadElements<byte>(stream, count, swap, Truncated),
            NpyDType.Int8 => ReadElements<sbyte>(stream, count, swap, Truncated),
            NpyDType.Int64 => ReadElements<long>(stream, count, swap, Truncated),
            _ => throw new InvalidOperationException($"unexpected dtype {dtype}."),
        };

        if (!stream.CanSeek && stream.ReadByte() >= 0)
        {
            throw new NpyFormatException(
                $"unexpected data after the array: the stream continues past the {needed} bytes that {what} needs.");
        }

        return new NpyArray(dtype, shape, data);
    }

    /// <summary>
    /// Writes an array to a <c>.npy</c> file atomically: the data goes to a temporary file in the same folder,
    /// which then replaces <paramref name="path"/>. On failure the temporary file is deleted and any existing
    /// file at <paramref name="path"/> is left untouched.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="array">The array to write.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, NpyArray array)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        WriteAtomic(path, stream => Write(stream, array));
    }

    /// <summary>Writes an array in <c>.npy</c> format (little-endian, C order) at the stream's current position.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="array">The array to write.</param>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("stream is not writable.", nameof(stream));
        }

        stream.Write(BuildPreamble(array.DType, array.Shape));
        // Switch on DType, not on the runtime array type (the CLR lets sbyte[] match "case byte[]").
        switch (array.DType)
        {
            case NpyDType.Float32:
                WriteElements(stream, (float[])array.Data);
                break;
            case NpyDType.Float64:
                WriteElements(stream, (double[])array.Data);
                break;
            case NpyDType.UInt8:
                WriteElements(stream, (byte[])array.Data);
                break;
            case NpyDType.Int8:
                WriteElements(stream, (sbyte[])array.Data);
                break;
            case NpyDType.Int64:
                WriteElements(stream, (long[])array.Data);
                break;
            default:
                throw new InvalidOperationException($"unexpected dtype {array.DType}.");
        }
    }

    /// <summary>
    /// Creates or replaces <paramref name="path"/> with whatever <paramref name="writeContent"/> writes, via a
    /// temporary file in the same folder that is renamed over the target only after it has been fully written
    /// and flushed. If <paramref name="writeContent"/> throws, the temporary file is removed and the target is untouched.
    /// </summary>
    internal static void WriteAtomic(string path, Action<Stream> writeContent)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        var name = Path.GetFileName(full);
        if (directory is null || name.Length == 0)
        {
            throw new ArgumentException($"'{path}' does not name a file.", nameof(path));
        }

        if (name.Length > 100)
        {
            name = name[..100];
        }

        var temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Best effort; the original exception matters more.
            }
            catch (UnauthorizedAccessException)
            {
                // Likewise.
            }

            throw;
        }
    }

    // ---------------------------------------------------------------- reading

    private static string ReadHeaderText(Stream stream)
    {
        Span<byte> preamble = stackalloc byte[12];
        var got = ReadAtMost(stream, preamble[..8]);
        var magicGot = Math.Min(got, Magic.Length);
        if (!preamble[..magicGot].SequenceEqual(Magic[..magicGot]))
        {
            var hint = got >= 4 && preamble[..4].SequenceEqual("PK\x03\x04"u8)
                ? " This looks like a zip archive (.npz); extract the .npy members first."
                : string.Empty;
            throw new NpyFormatException(
                $"not an .npy file: bad magic bytes {Convert.ToHexString(preamble[..magicGot])} "
                + $"(expected {Convert.ToHexString(Magic)}, i.e. \"\\x93NUMPY\").{hint}");
        }

        if (got == 0)
        {
            throw new NpyFormatException("not an .npy file: the data is empty.");
        }

        if (got < Magic.Length)
        {
            throw new NpyFormatException(
                $"not an .npy file: only {got} bytes, too short for the 6-byte magic string \"\\x93NUMPY\".");
        }

        if (got < 8)
        {
            throw new NpyFormatException("truncated preamble: the data ends after the magic string, before the format version.");
        }

        int major = preamble[6], minor = preamble[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw new NpyFormatException($"unsupported .npy format version {major}.{minor}; supported: 1.0, 2.0, 3.0.");
        }

        var lengthSize = major == 1 ? 2 : 4;
        var lengthBytes = preamble.Slice(8, lengthSize);
        if (ReadAtMost(stream, lengthBytes) < lengthSize)
        {
            throw new NpyFormatException($"truncated preamble: the data ends inside the {lengthSize}-byte header length.");
        }

        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes)
            : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderLength)
        {
            throw new NpyFormatException(
                $"header length {headerLength} bytes is implausibly large (limit {MaxHeaderLength}); the file is probably corrupt.");
        }

        if (stream.CanSeek && stream.Length - stream.Position < headerLength)
        {
            throw new NpyFormatException(
                $"header is truncated: the preamble declares a {headerLength}-byte header but only "
                + $"{Math.Max(0, stream.Length - stream.Position)} bytes follow.");
        }

        var headerBytes = new byte[headerLength];
        var headerGot = ReadAtMost(stream, headerBytes);
        if (headerGot < headerLength)
        {
            throw new NpyFormatException(
                $"header is truncated: the preamble declares a {headerLength}-byte header but only {headerGot} bytes follow.");
        }

        if (major < 3)
        {
            return Encoding.Latin1.GetString(headerBytes);
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(headerBytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new NpyFormatException("header of a version 3.0 file is not valid UTF-8.", ex);
        }
    }

    private static (NpyDType DType, bool BigEndian, long[] Dims) ParseHeader(string header)
    {
        var dict = new HeaderParser(header).ParseDict();

        foreach (var key in dict.Keys)
        {
            if (key is not ("descr" or "fortran_order" or "shape"))
            {
                throw new NpyFormatException(
                    $"header has unexpected key '{key}'; expected exactly 'descr', 'fortran_order' and 'shape'. "
                    + $"Header: {Quote(header)}");
            }
        }

        foreach (var key in (ReadOnlySpan<string>)["descr", "fortran_order", "shape"])
        {
            if (!dict.ContainsKey(key))
            {
                throw new NpyFormatException($"header is missing the '{key}' key. Header: {Quote(header)}");
            }
        }

        var (dtype, bigEndian) = dict["descr"] switch
        {
            string s => ParseDescr(s),
            PySeq { IsTuple: false } list => throw new NpyFormatException(
                $"structured dtype {Repr(list)} is not supported; {Supported}."),
            var other => throw new NpyFormatException($"'descr' must be a dtype string such as '<f4', got {Repr(other)}."),
        };

        switch (dict["fortran_order"])
        {
            case false:
                break;
            case true:
                throw new NpyFormatException("Fortran-order arrays are not supported; save with C order "
                    + "(e.g. np.save(path, np.ascontiguousarray(a))).");
            case var other:
                throw new NpyFormatException($"'fortran_order' must be True or False, got {Repr(other)}.");
        }

        var shapeValue = dict["shape"];
        if (shapeValue is not PySeq seq)
        {
            var hint = shapeValue is BigInteger n ? $" (a one-element tuple needs a trailing comma: ({n},))" : string.Empty;
            throw new NpyFormatException($"'shape' must be a tuple of integers, got {Repr(shapeValue)}{hint}.");
        }

        var dims = new long[seq.Items.Count];
        for (var i = 0; i < dims.Length; i++)
        {
            if (seq.Items[i] is not BigInteger dim)
            {
                throw new NpyFormatException($"'shape' must be a tuple of integers, got {Repr(seq)}.");
            }

            if (dim < 0)
            {
                throw new NpyFormatException($"shape {Repr(seq)} has a negative dimension ({dim}).");
            }

            if (dim > long.MaxValue)
            {
                throw new NpyFormatException($"shape {Repr(seq)} has a dimension ({dim}) that is far too large.");
            }

            dims[i] = (long)dim;
        }

        if (NpyArray.CheckShape(dims) is { } problem)
        {
            throw new NpyFormatException(problem);
        }

        return (dtype, bigEndian, dims);
    }

    private static (NpyDType DType, bool BigEndian) ParseDescr(string descr)
    {
        var order = descr.Length > 0 && descr[0] is '<' or '>' or '|' or '=' ? descr[0] : '=';
        var body = descr.Length > 0 && descr[0] is '<' or '>' or '|' or '=' ? descr[1..] : descr;
        NpyDType? dtype = body switch
        {
            "f4" => NpyDType.Float32,
            "f8" => NpyDType.Float64,
            "u1" => NpyDType.UInt8,
            "i1" => NpyDType.Int8,
            "i8" => NpyDType.Int64,
            _ => null,
        };

        if (dtype is not { } found)
        {
            throw new NpyFormatException($"dtype {Repr(descr)} ({DescribeDescr(body)}) is not supported; {Supported}.");
        }

        if (order == '|' && NpyArray.ItemSize(found) > 1)
        {
            throw new NpyFormatException(
                $"dtype {Repr(descr)} has no byte order ('|'), which is invalid for the multi-byte type {NpyArray.Name(found)}.");
        }

        var bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        return (found, bigEndian);
    }

    private static string DescribeDescr(string body)
    {
        if (body.Length == 0)
        {
            return "empty";
        }

        var kind = body[0];
        var rest = body[1..];
        var bits = int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 1024
            ? (n * 8).ToString(CultureInfo.InvariantCulture)
            : null;
        return kind switch
        {
            'O' => "object; pickled Python objects",
            'b' => "bool",
            '?' => "bool",
            'i' when bits is not null => $"int{bits}",
            'u' when bits is not null => $"uint{bits}",
            'f' when bits is not null => $"float{bits}",
            'c' when bits is not null => $"complex{bits}",
            'U' => $"unicode string of {rest} characters",
            'S' or 'a' => $"byte string of {rest} bytes",
            'V' => $"raw void of {rest} bytes",
            'M' => "datetime64",
            'm' => "timedelta64",
            _ => "unknown dtype",
        };
    }

    private static T[] ReadElements<T>(Stream stream, int count, bool swap, Func<long, NpyFormatException> truncated)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        var chunk = ChunkBytes / size;

        // Seekable streams have already been checked to hold all the data, so allocate once. Otherwise grow as
        // data arrives, so a corrupt header cannot force a huge allocation for a stream that holds little.
        var array = GC.AllocateUninitializedArray<T>(stream.CanSeek ? count : Math.Min(count, chunk));
        var done = 0;
        while (done < count)
        {
            if (done == array.Length)
            {
                Array.Resize(ref array, (int)Math.Min(count, 2L * array.Length));
            }

            var n = Math.Min(chunk, array.Length - done);
            var span = array.AsSpan(done, n);
            var bytes = MemoryMarshal.AsBytes(span);
            var got = ReadAtMost(stream, bytes);
            if (got < bytes.Length)
            {
                throw truncated(((long)done * size) + got);
            }

            if (swap)
            {
                ReverseEndianness(span);
            }

            done += n;
        }

        return array;
    }

    private static void ReverseEndianness<T>(Span<T> span)
        where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 4:
            {
                var words = MemoryMarshal.Cast<T, uint>(span);
                BinaryPrimitives.ReverseEndianness(words, words);
                break;
            }

            case 8:
            {
                var words = MemoryMarshal.Cast<T, ulong>(span);
                BinaryPrimitives.ReverseEndianness(words, words);
                break;
            }

            default:
                break;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the byte count read.</summary>
    private static int ReadAtMost(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    // ---------------------------------------------------------------- writing

    /// <summary>Builds magic, version, header length and header exactly as numpy.save does.</summary>
    private static byte[] BuildPreamble(NpyDType dtype, int[] shape)
    {
        var descr = dtype switch
        {
            NpyDType.Float32 => "<f4",
            NpyDType.Float64 => "<f8",
            NpyDType.UInt8 => "|u1",
            NpyDType.Int8 => "|i1",
            NpyDType.Int64 => "<i8",
            _ => throw new InvalidOperationException($"unexpected dtype {dtype}."),
        };

        var text = new StringBuilder()
            .Append("{'descr': '").Append(descr).Append("', 'fortran_order': False, 'shape': ")
            .Append(NpyArray.FormatShape(shape)).Append(", }");
        if (shape.Length > 0)
        {
            // Spare room so the first axis can grow in place (numpy >= 1.23 does the same).
            var digits = shape[0].ToString(CultureInfo.InvariantCulture).Length;
            text.Append(' ', Math.Max(0, GrowthAxisMaxDigits - digits));
        }

        var body = text.ToString();
        var version = 1;
        var prefix = Magic.Length + 2 + 2;
        var headerLength = PaddedHeaderLength(prefix, body.Length);
        if (headerLength > ushort.MaxValue)
        {
            version = 2;
            prefix = Magic.Length + 2 + 4;
            headerLength = PaddedHeaderLength(prefix, body.Length);
        }

        var result = new byte[prefix + headerLength];
        Magic.CopyTo(result);
        result[6] = (byte)version;
        result[7] = 0;
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)headerLength);
        }

        var header = result.AsSpan(prefix);
        header.Fill((byte)' ');
        Encoding.ASCII.GetBytes(body, header);
        header[^1] = (byte)'\n';
        return result;
    }

    /// <summary>Header length including padding spaces and the final newline (numpy pads 1..64 spaces).</summary>
    private static int PaddedHeaderLength(int prefix, int bodyLength)
    {
        var withNewline = bodyLength + 1;
        var padding = Alignment - ((prefix + withNewline) % Alignment);
        return withNewline + padding;
    }

    private static void WriteElements<T>(Stream stream, T[] data)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        var chunk = ChunkBytes / size;
        if (size == 1 || BitConverter.IsLittleEndian)
        {
            for (var start = 0; start < data.Length; start += chunk)
            {
                stream.Write(MemoryMarshal.AsBytes(data.AsSpan(start, Math.Min(chunk, data.Length - start))));
            }

            return;
        }

        var buffer = ArrayPool<T>.Shared.Rent(Math.Min(chunk, data.Length));
        try
        {
            for (var start = 0; start < data.Length; start += chunk)
            {
                var n = Math.Min(chunk, data.Length - start);
                var span = buffer.AsSpan(0, n);
                data.AsSpan(start, n).CopyTo(span);
                ReverseEndianness(span);
                stream.Write(MemoryMarshal.AsBytes(span));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    // ---------------------------------------------------------------- header literal parsing

    private static string Quote(string header)
    {
        var trimmed = header.TrimEnd();
        return trimmed.Length <= 200 ? trimmed : string.Concat(trimmed.AsSpan(0, 200), "...");
    }

    private static string Repr(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        PySeq { IsTuple: true, Items.Count: 1 } t => $"({Repr(t.Items[0])},)",
        PySeq t => (t.IsTuple ? "(" : "[") + string.Join(", ", t.Items.Select(Repr)) + (t.IsTuple ? ")" : "]"),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>A parsed Python tuple or list.</summary>
    private sealed record PySeq(bool IsTuple, List<object?> Items);

    /// <summary>
    /// Recursive-descent parser for the small subset of Python literals found in .npy headers: a dict with
    /// string keys whose values are strings, booleans, None, integers, tuples and lists.
    /// </summary>
    private sealed class HeaderParser(string text)
    {
        private int _pos;

        public Dictionary<string, object?> ParseDict()
        {
            SkipSpace();
            Expect('{', "the header must start with '{'");
            var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                if (TryConsume('}'))
                {
                    break;
                }

                var keyStart = _pos;
                if (!AtString() || ParseValue() is not string key)
                {
                    throw Error("expected a quoted string key", keyStart);
                }

                SkipSpace();
                Expect(':', $"expected ':' after key '{key}'");
                var value = ParseValue();
                if (!dict.TryAdd(key, value))
                {
                    throw new NpyFormatException($"header has duplicate key '{key}'. Header: {Quote(text)}");
                }

                SkipSpace();
                if (TryConsume(','))
                {
                    continue;
                }

                SkipSpace();
                Expect('}', "expected ',' or '}' after a dict value");
                break;
            }

            SkipSpace();
            if (_pos < text.Length)
            {
                throw Error("unexpected text after the closing '}'", _pos);
            }

            return dict;
        }

        private object? ParseValue()
        {
            SkipSpace();
            if (_pos >= text.Length)
            {
                throw Error("unexpected end of header", _pos);
            }

            var c = text[_pos];
            switch (c)
            {
                case '\'' or '"':
                    return ParseString();
                case 'u' or 'U' when AtString():
                    _pos++;
                    return ParseString();
                case '(':
                    return ParseSequence(')');
                case '[':
                    return ParseSequence(']');
                case '-' or '+' or (>= '0' and <= '9'):
                    return ParseInteger();
                default:
                    break;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = _pos;
                while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
                {
                    _pos++;
                }

                return text[start.._pos] switch
                {
                    "True" => true,
                    "False" => false,
                    "None" => null,
                    var word => throw Error($"unexpected name '{word}' (only True, False and None are allowed)", start),
                };
            }

            throw Error($"unexpected character '{c}'", _pos);
        }

        private string ParseString()
        {
            var quote = text[_pos];
            var start = _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= text.Length || text[_pos] == '\n')
                {
                    throw Error("unterminated string", start);
                }

                var c = text[_pos++];
                if (c == quote)
                {
                    return sb.ToString();
                }

                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }

                if (_pos >= text.Length)
                {
                    throw Error("unterminated string", start);
                }

                var e = text[_pos++];
                sb.Append(e switch
                {
                    '\\' or '\'' or '"' => e.ToString(),
                    'n' => "\n",
                    't' => "\t",
                    'r' => "\r",
                    _ => "\\" + e,
                });
            }
        }

        private object? ParseSequence(char close)
        {
            var start = _pos++;
            var items = new List<object?>();
            var sawComma = false;
            while (true)
            {
                SkipSpace();
                if (TryConsume(close))
                {
                    break;
                }

                items.Add(ParseValue());
                SkipSpace();
                if (TryConsume(','))
                {
                    sawComma = true;
                    continue;
                }

                SkipSpace();
                if (!TryConsume(close))
                {
                    throw Error($"expected ',' or '{close}' in the sequence opened", start);
                }

                break;
            }

            // In Python "(3)" is just the parenthesized integer 3; only "(3,)" is a one-element tuple.
            if (close == ')' && items.Count == 1 && !sawComma)
            {
                return items[0];
            }

            return new PySeq(close == ')', items);
        }

        private BigInteger ParseInteger()
        {
            var start = _pos;
            if (text[_pos] is '-' or '+')
            {
                _pos++;
            }

            var digitsStart = _pos;
            while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }

            var digits = text[digitsStart.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
            if (digits.Length == 0)
            {
                throw Error("expected digits", start);
            }

            // Python 2 era files wrote shapes as (3L, 4L).
            if (_pos < text.Length && text[_pos] is 'L' or 'l')
            {
                _pos++;
            }

            if (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '.'))
            {
                throw Error("expected an integer", start);
            }

            var value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            return text[start] == '-' ? -value : value;
        }

        /// <summary>True when a string literal (optionally u-prefixed) starts at the current position.</summary>
        private bool AtString() =>
            _pos < text.Length
            && (text[_pos] is '\'' or '"'
                || (text[_pos] is 'u' or 'U' && _pos + 1 < text.Length && text[_pos + 1] is '\'' or '"'));

        private void SkipSpace()
        {
            while (_pos < text.Length && text[_pos] is ' ' or '\t' or '\n' or '\r' or '\f' or '\v')
            {
                _pos++;
            }
        }

        private bool TryConsume(char c)
        {
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }

            return false;
        }

        private void Expect(char c, string message)
        {
            if (!TryConsume(c))
            {
                throw Error(message, _pos);
            }
        }

        private NpyFormatException Error(string message, int position) =>
            new($"header is not a valid Python dict literal: {message} at offset {position}. Header: {Quote(text)}");
    }
}
