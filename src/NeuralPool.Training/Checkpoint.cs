using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using NeuralPool.Training.Models;

namespace NeuralPool.Training;

/// <summary>
/// Saves and loads a <see cref="ModelZoo"/> model: its name, pooling method and options, free-form metadata (e.g. the
/// input normalisation), and every parameter and buffer by its <c>state_dict</c> name. Format version 1, all integers
/// little-endian, strings as <see cref="BinaryWriter"/> writes them (7-bit length prefix, UTF-8):
/// <code>
/// magic      8 bytes  "NPCKPT\r\n"
/// version    uint32   1
/// model      string   "lenet" | "vgg-small"
/// pooling    string   a ModelZoo pooling name ("max", "none", ...)
/// seed       uint64   the seed the model was built with (the seeds of its random layers follow from it)
/// element    byte     4 (float32) or 8 (float64)
/// options    int32 input channels, int32 image size, int32 classes, byte batch norm, float64 dropout
/// metadata   int32 count, then count (string key, string value) pairs
/// tensors    int32 count, then per tensor: string name, byte kind (0 parameter, 1 buffer), int32 rank,
///            rank × int32 dimensions, the values (element bytes each, row-major)
/// checksum   uint32   CRC-32 (IEEE, as zlib) of every byte before it
/// </code>
/// <see cref="Save{T}"/> writes a temporary file beside the target and renames it over the target, so a crash never
/// leaves a half-written checkpoint under the target's name. <see cref="Load{T}"/> rebuilds the model with
/// <see cref="ModelZoo.Create{T}"/> and requires exactly its parameters and buffers, with the same shapes.
/// </summary>
public static class Checkpoint
{
    /// <summary>The format version written by <see cref="Save{T}"/> and the only one <see cref="Load{T}"/> reads.</summary>
    public const uint Version = 1;

    private static ReadOnlySpan<byte> Magic => "NPCKPT\r\n"u8;

    /// <summary>Writes <paramref name="model"/>, built as <paramref name="modelName"/> with <paramref name="pooling"/>, <paramref name="options"/> and <paramref name="seed"/>, to <paramref name="path"/> (replacing it atomically).</summary>
    /// <exception cref="ArgumentException">The model name is not one of <see cref="ModelZoo.Names"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save<T>(string path, Layer<T> model, string modelName, PoolingMethod pooling, ModelOptions? options = null, ulong seed = 0, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(modelName);
        if (!ModelZoo.Names.Contains(modelName))
        {
            ThrowHelper.Argument(nameof(modelName), $"unknown model '{modelName}'; use one of {string.Join(", ", ModelZoo.Names)}.");
        }

        var o = options ?? new ModelOptions();
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(modelName);
            w.Write(ModelZoo.NameOf(pooling));
            w.Write(seed);
            w.Write((byte)Unsafe.SizeOf<T>());
            w.Write(o.InputChannels);
            w.Write(o.ImageSize);
            w.Write(o.Classes);
            w.Write(o.BatchNorm);
            w.Write(o.Dropout);
            var meta = metadata ?? new Dictionary<string, string>();
            w.Write(meta.Count);
            foreach (var (key, value) in meta.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.Write(key);
                w.Write(value);
            }

            var tensors = Tensors(model).ToList();
            w.Write(tensors.Count);
            foreach (var (name, kind, shape, values) in tensors)
            {
                w.Write(name);
                w.Write(kind);
                w.Write(shape.Length);
                foreach (int d in shape)
                {
                    w.Write(d);
                }

                WriteValues(w, values);
            }

            w.Write(Crc32.Compute(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        }

        AtomicFile.Write(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), overwrite: true);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save{T}"/> with the same element type and rebuilds its model (in evaluation mode).</summary>
    /// <exception cref="CheckpointException">The file is missing, not a checkpoint, of another version or element type, damaged
    /// (checksum, truncation) or does not match its model (missing, extra or differently shaped tensors). The message names the file.</exception>
    public static LoadedModel<T> Load<T>(string path)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"checkpoint '{path}' cannot be read: {ex.Message}", ex);
        }

        try
        {
            return Parse<T>(bytes, path);
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or FormatException or OverflowException or DecoderFallbackException)
        {
            throw new CheckpointException($"checkpoint '{path}' is damaged: {ex.Message}", ex);
        }
    }

    private static LoadedModel<T> Parse<T>(byte[] bytes, string path)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        if (bytes.Length < Magic.Length + 8 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CheckpointException($"'{path}' is not a NeuralPool checkpoint (no NPCKPT signature).");
        }

        uint version = BitConverter.ToUInt32(bytes, Magic.Length);
        if (version != Version)
        {
            throw new CheckpointException($"checkpoint '{path}' has format version {version}; this program reads version {Version}.");
        }

        uint stored = BitConverter.ToUInt32(bytes, bytes.Length - 4);
        uint actual = Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4));
        if (stored != actual)
        {
            throw new CheckpointException($"checkpoint '{path}' is damaged: checksum 0x{actual:X8} differs from the stored 0x{stored:X8} (truncated or altered file).");
        }

        using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length + 4, bytes.Length - Magic.Length - 8), new UTF8Encoding(false, throwOnInvalidBytes: true));
        string modelName = r.ReadString();
        string poolingName = r.ReadString();
        if (!ModelZoo.Names.Contains(modelName))
        {
            throw new CheckpointException($"checkpoint '{path}' holds an unknown model '{modelName}'; known: {string.Join(", ", ModelZoo.Names)}.");
        }

        if (!ModelZoo.PoolingNames.TryGetValue(poolingName, out var pooling))
        {
            throw new CheckpointException($"checkpoint '{path}' holds an unknown pooling method '{poolingName}'.");
        }

        ulong seed = r.ReadUInt64();
        int element = r.ReadByte();
        if (element != Unsafe.SizeOf<T>())
        {
            throw new CheckpointException($"checkpoint '{path}' holds {element * 8}-bit values; {Unsafe.SizeOf<T>() * 8}-bit were asked for.");
        }

        var options = new ModelOptions
        {
            InputChannels = r.ReadInt32(),
            ImageSize = r.ReadInt32(),
            Classes = r.ReadInt32(),
            BatchNorm = r.ReadBoolean(),
            Dropout = r.ReadDouble(),
        };
        int metaCount = ReadCount(r, path, "metadata entries");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < metaCount; i++)
        {
            string key = r.ReadString();
            metadata[key] = r.ReadString();
        }

        Sequential<T> model;
        try
        {
            model = ModelZoo.Create<T>(modelName, pooling, seed, options);
        }
        catch (ArgumentException ex)
        {
            throw new CheckpointException($"checkpoint '{path}' describes a {modelName} that cannot be built: {ex.Message}", ex);
        }

        var expected = Tensors(model).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int count = ReadCount(r, path, "tensors");
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            byte kind = r.ReadByte();
            int rank = r.ReadInt32();
            if (rank is < 0 or > 8)
            {
                throw new CheckpointException($"checkpoint '{path}': tensor '{name}' has rank {rank}.");
            }

            var shape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                shape[d] = r.ReadInt32();
            }

            if (!expected.TryGetValue(name, out var target) || target.Kind != kind)
            {
                throw new CheckpointException($"checkpoint '{path}' holds {(kind == 0 ? "parameter" : "buffer")} '{name}', which a {modelName} with {poolingName} pooling does not have.");
            }

            if (!seen.Add(name))
            {
                throw new CheckpointException($"checkpoint '{path}' holds tensor '{name}' twice.");
            }

            if (!shape.AsSpan().SequenceEqual(target.Shape))
            {
                throw new CheckpointException($"checkpoint '{path}': '{name}' has shape {ThrowHelper.Format(shape)}, the {modelName} model needs {ThrowHelper.Format(target.Shape)}.");
            }

            var raw = r.ReadBytes(target.Values.Length * Unsafe.SizeOf<T>());
            if (raw.Length != target.Values.Length * Unsafe.SizeOf<T>())
            {
                throw new EndOfStreamException($"the values of '{name}' are cut short.");
            }

            MemoryMarshal.Cast<byte, T>(raw).CopyTo(target.Values);
        }

        if (expected.Keys.FirstOrDefault(k => !seen.Contains(k)) is { } missing)
        {
            throw new CheckpointException($"checkpoint '{path}' lacks '{missing}' of the {modelName} model with {poolingName} pooling.");
        }

        if (r.BaseStream.Position != r.BaseStream.Length)
        {
            throw new CheckpointException($"checkpoint '{path}' holds {r.BaseStream.Length - r.BaseStream.Position} unexpected bytes after its tensors.");
        }

        model.Training = false;
        return new LoadedModel<T>(model, modelName, pooling, options, seed, metadata);
    }

    private static int ReadCount(BinaryReader r, string path, string what)
    {
        int count = r.ReadInt32();
        if (count < 0 || count > r.BaseStream.Length)
        {
            throw new CheckpointException($"checkpoint '{path}' declares {count} {what}.");
        }

        return count;
    }

    private static IEnumerable<(string Name, byte Kind, int[] Shape, T[] Values)> Tensors<T>(Layer<T> model)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        foreach (var (name, p) in model.NamedParameters())
        {
            yield return (name, 0, p.Shape.ToArray(), p.Data);
        }

        foreach (var (name, b) in model.NamedBuffers())
        {
            yield return (name, 1, [b.Length], b);
        }
    }

    private static void WriteValues<T>(BinaryWriter w, T[] values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("checkpoints are written on little-endian machines only.");
        }

        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>CRC-32 with the IEEE polynomial (reflected 0xEDB88320), as zlib and PNG compute it.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        public static uint Compute(ReadOnlySpan<byte> data)
        {
            uint crc = 0xFFFFFFFF;
            foreach (byte b in data)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return ~crc;
        }

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }
    }
}

/// <summary>A model read by <see cref="Checkpoint.Load{T}"/>, in evaluation mode, with what the checkpoint says about it.</summary>
public sealed record LoadedModel<T>(Sequential<T> Model, string ModelName, PoolingMethod Pooling, ModelOptions Options, ulong Seed, IReadOnlyDictionary<string, string> Metadata)
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>;

/// <summary>A checkpoint file that is missing, damaged, of another version, or does not match its model; the message names the file.</summary>
public sealed class CheckpointException : IOException
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public CheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with the default message.</summary>
    public CheckpointException()
    {
    }
}
