using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralPool.Training.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or gzip-compressed
/// (recognised by the gzip signature 1F 8B, whatever the file's name):
/// <code>
/// magic   4 bytes: 0x00 0x00, type code (0x08 = unsigned byte, the only type read here), rank
/// dims    rank big-endian int32 values (the first is the item count)
/// data    d0·d1·…·d(rank−1) bytes, row-major
/// </code>
/// Label files are rank 1 (magic 0x00000801 = 2049), image files rank 3 (0x00000803 = 2051).
/// </summary>
public static class IdxFile
{
    /// <summary>The IDX type code of unsigned bytes.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>
    /// Reads the first <paramref name="limit"/> items (all when null or larger than the count) of an unsigned-byte
    /// IDX file of rank <paramref name="expectedRank"/>. Returns the dimensions with the first replaced by the number
    /// of items read, the full item count of the file, and the bytes of those items.
    /// </summary>
    /// <exception cref="DatasetException">The file is missing or unreadable, not gzip-valid, has another magic number
    /// (type or rank), a non-positive dimension, or ends before the items it declares; when the whole file is read, also
    /// when bytes follow the declared data. The message names the file.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public static (int[] Dimensions, int FileCount, byte[] Data) Read(string path, int expectedRank, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (limit is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(limit));
        }

        if (!File.Exists(path))
        {
            throw new DatasetException($"IDX file '{path}' not found.");
        }

        try
        {
            using var file = File.OpenRead(path);
            using var stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            return Read(stream, path, expectedRank, limit);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException and not DatasetException or UnauthorizedAccessException)
        {
            throw new DatasetException($"IDX file '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Reads an unsigned-byte IDX stream (already decompressed); <paramref name="name"/> is used in messages.</summary>
    /// <exception cref="DatasetException">See <see cref="Read(string, int, int?)"/>.</exception>
    public static (int[] Dimensions, int FileCount, byte[] Data) Read(Stream stream, string name, int expectedRank, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> magic = stackalloc byte[4];
        if (ReadFully(stream, magic) < 4)
        {
            throw new DatasetException($"IDX file '{name}' is truncated: it ends inside the 4-byte magic number.");
        }

        int expectedMagic = (UnsignedByte << 8) | expectedRank;
        int actualMagic = BinaryPrimitives.ReadInt32BigEndian(magic);
        if (actualMagic != expectedMagic)
        {
            throw new DatasetException(
                $"IDX file '{name}' has magic number 0x{actualMagic:X8}, expected 0x{expectedMagic:X8} (unsigned bytes, {expectedRank} dimension{(expectedRank == 1 ? "" : "s")}).");
        }

        var dims = new int[expectedRank];
        Span<byte> word = stackalloc byte[4];
        for (int i = 0; i < expectedRank; i++)
        {
            if (ReadFully(stream, word) < 4)
            {
                throw new DatasetException($"IDX file '{name}' is truncated: it ends inside dimension {i} of the header.");
            }

            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[i] <= 0)
            {
                throw new DatasetException($"IDX file '{name}' declares dimension {i} as {dims[i]}; dimensions must be positive.");
            }
        }

        long itemSize = 1;
        for (int i = 1; i < expectedRank; i++)
        {
            itemSize *= dims[i];
        }

        int fileCount = dims[0];
        int count = limit is { } l ? Math.Min(l, fileCount) : fileCount;
        long bytes = itemSize * count;
        if (bytes > Array.MaxLength)
        {
            throw new DatasetException($"IDX file '{name}' declares {bytes} bytes of data for {count} items, more than an array holds.");
        }

        var data = new byte[bytes];
        int read = ReadFully(stream, data);
        if (read < bytes)
        {
            throw new DatasetException(
                $"IDX file '{name}' is truncated: its header declares {Describe(dims)} = {itemSize * fileCount} bytes of data, the file ends after {read} of the {bytes} bytes read here.");
        }

        if (count == fileCount && stream.ReadByte() >= 0)
        {
            throw new DatasetException($"IDX file '{name}' holds more bytes than its header declares ({Describe(dims)}).");
        }

        dims[0] = count;
        return (dims, fileCount, data);
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> signature = stackalloc byte[2];
        int n = ReadFully(file, signature);
        file.Position = 0;
        return n == 2 && signature[0] == 0x1F && signature[1] == 0x8B;
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static string Describe(int[] dims) => string.Join("×", dims);
}
