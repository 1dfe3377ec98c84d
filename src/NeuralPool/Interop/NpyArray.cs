using System.Globalization;
using System.Numerics;
using System.Text;

namespace NeuralPool.Interop;

/// <summary>Element types supported by <see cref="Npy"/> and <see cref="NpyArray"/>.</summary>
public enum NpyDType
{
    /// <summary>32-bit IEEE float (<c>&lt;f4</c>), stored as <see cref="float"/>[].</summary>
    Float32,

    /// <summary>64-bit IEEE float (<c>&lt;f8</c>), stored as <see cref="double"/>[].</summary>
    Float64,

    /// <summary>Unsigned 8-bit integer (<c>|u1</c>), stored as <see cref="byte"/>[].</summary>
    UInt8,

    /// <summary>Signed 8-bit integer (<c>|i1</c>), stored as <see cref="sbyte"/>[].</summary>
    Int8,

    /// <summary>Signed 64-bit integer (<c>&lt;i8</c>), stored as <see cref="long"/>[].</summary>
    Int64,
}

/// <summary>
/// A dense, C-ordered (row-major) n-dimensional array as stored in a NumPy <c>.npy</c> file:
/// an element type, a shape and a flat data array whose length is the product of the shape.
/// </summary>
/// <remarks>
/// The data array is wrapped, not copied: <see cref="Data"/> and <see cref="GetData{T}"/> return the
/// same array that was passed in (or read), so element values may be modified in place.
/// The shape is copied on the way in and out, so it cannot be changed after construction.
/// </remarks>
public sealed class NpyArray
{
    private readonly int[] _shape;

    /// <summary>
    /// Creates an array from an element type, a shape and a flat C-ordered data array.
    /// </summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">
    /// The dimensions, outermost first; each must be non-negative. An empty shape denotes a scalar (one element).
    /// The array is copied.
    /// </param>
    /// <param name="data">
    /// A <see cref="float"/>[], <see cref="double"/>[], <see cref="byte"/>[], <see cref="sbyte"/>[] or
    /// <see cref="long"/>[] matching <paramref name="dtype"/>, whose length is the product of <paramref name="shape"/>.
    /// It is not copied.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> or <paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="dtype"/> is undefined, a dimension is negative, the element count is too large,
    /// the data array has the wrong element type, or its length does not match the shape.
    /// </exception>
    public NpyArray(NpyDType dtype, int[] shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentException($"dtype {(int)dtype} is not a defined {nameof(NpyDType)} value.", nameof(dtype));
        }

        var expectedType = ArrayType(dtype);
        // Exact type check: the CLR lets byte[] pass as sbyte[] and ulong[] as long[] through 'is'.
        if (data.GetType() != expectedType)
        {
            throw new ArgumentException(
                $"data is {data.GetType().Name} but dtype {Name(dtype)} needs {expectedType.Name}.", nameof(data));
        }

        var dims = new long[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            dims[i] = shape[i];
        }

        if (CheckShape(dims) is { } problem)
        {
            throw new ArgumentException(problem, nameof(shape));
        }

        var count = (long)ElementCount(dims);
        if (data.LongLength != count)
        {
            throw new ArgumentException(
                $"data has {data.LongLength} elements but shape {FormatShape(dims)} needs {count}.", nameof(data));
        }

        DType = dtype;
        _shape = (int[])shape.Clone();
        Data = data;
        Length = count;
    }

    /// <summary>The element type.</summary>
    public NpyDType DType { get; }

    /// <summary>The dimensions, outermost first (a fresh copy on every call). Scalars have an empty shape.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>
    /// The flat, C-ordered element data: a <see cref="float"/>[], <see cref="double"/>[], <see cref="byte"/>[],
    /// <see cref="sbyte"/>[] or <see cref="long"/>[] according to <see cref="DType"/>. Not a copy.
    /// </summary>
    public Array Data { get; }

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long Length { get; }

    /// <summary>
    /// Creates an array wrapping <paramref name="data"/> (not copied), inferring the dtype from <typeparamref name="T"/>.
    /// </summary>
    /// <typeparam name="T">
    /// <see cref="float"/>, <see cref="double"/>, <see cref="byte"/>, <see cref="sbyte"/> or <see cref="long"/>.
    /// </typeparam>
    /// <param name="data">The flat, C-ordered data.</param>
    /// <param name="shape">
    /// The dimensions. Passing none creates a scalar, which requires exactly one element.
    /// </param>
    /// <returns>The new array.</returns>
    /// <exception cref="ArgumentException">
    /// <typeparamref name="T"/> is not a supported element type, or the shape is invalid or does not match the data length.
    /// </exception>
    public static NpyArray Create<T>(T[] data, params int[] shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (DTypeOf<T>() is not { } dtype)
        {
            throw new ArgumentException(
                $"element type {typeof(T).Name} is not supported; supported: float (float32), double (float64), "
                + "byte (uint8), sbyte (int8), long (int64).",
                nameof(data));
        }

        return new NpyArray(dtype, shape, data);
    }

    /// <summary>Returns the data array (not a copy) typed as <typeparamref name="T"/>[].</summary>
    /// <typeparam name="T">The element type, which must match <see cref="DType"/>.</typeparam>
    /// <returns>The same array as <see cref="Data"/>.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="DType"/>.</exception>
    public T[] GetData<T>()
        where T : unmanaged
    {
        if (DTypeOf<T>() is not { } requested)
        {
            throw new InvalidOperationException(
                $"array holds {Name(DType)}, not {typeof(T).Name} (which is not an .npy element type); "
                + $"use GetData<{ArrayType(DType).GetElementType()!.Name}>().");
        }

        if (requested != DType)
        {
            throw new InvalidOperationException(
                $"array holds {Name(DType)}, not {Name(requested)}; use GetData<{ArrayType(DType).GetElementType()!.Name}>() "
                + "or ToDoubleArray().");
        }

        return (T[])Data;
    }

    /// <summary>Returns a new <see cref="double"/>[] with every element converted to <see cref="double"/>.</summary>
    /// <returns>A fresh array of length <see cref="Length"/>.</returns>
    /// <remarks><see cref="NpyDType.Int64"/> values beyond ±2^53 are rounded to the nearest representable double.</remarks>
    public double[] ToDoubleArray()
    {
        // Switch on DType, not on the array's runtime type: the CLR treats byte[] and sbyte[] as interchangeable
        // in type tests, so "case byte[]" would also match an sbyte[].
        return DType switch
        {
            NpyDType.Float32 => Convert((float[])Data, static v => v),
            NpyDType.Float64 => (double[])((double[])Data).Clone(),
            NpyDType.UInt8 => Convert((byte[])Data, static v => v),
            NpyDType.Int8 => Convert((sbyte[])Data, static v => v),
            NpyDType.Int64 => Convert((long[])Data, static v => v),
            _ => throw new InvalidOperationException($"unexpected dtype {DType}."),
        };

        static double[] Convert<T>(T[] source, Func<T, double> convert)
        {
            var result = new double[source.Length];
            for (var i = 0; i < source.Length; i++)
            {
                result[i] = convert(source[i]);
            }

            return result;
        }
    }

    /// <summary>Describes the array, e.g. <c>NpyArray float32 (2, 3)</c>.</summary>
    /// <returns>The dtype name and Python-style shape.</returns>
    public override string ToString() => $"{nameof(NpyArray)} {Name(DType)} {FormatShape(_shape)}";

    // ---- shared helpers (also used by Npy) ----

    /// <summary>Largest element count accepted (the largest length a .NET array may have).</summary>
    internal static long MaxElements => Array.MaxLength;

    internal static string Name(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        NpyDType.UInt8 => "uint8",
        NpyDType.Int8 => "int8",
        NpyDType.Int64 => "int64",
        _ => dtype.ToString(),
    };

    internal static int ItemSize(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => 4,
        NpyDType.Float64 => 8,
        NpyDType.UInt8 => 1,
        NpyDType.Int8 => 1,
        NpyDType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    internal static Type ArrayType(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => typeof(float[]),
        NpyDType.Float64 => typeof(double[]),
        NpyDType.UInt8 => typeof(byte[]),
        NpyDType.Int8 => typeof(sbyte[]),
        NpyDType.Int64 => typeof(long[]),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    internal static NpyDType? DTypeOf<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return NpyDType.Float32;
        }

        if (typeof(T) == typeof(double))
        {
            return NpyDType.Float64;
        }

        if (typeof(T) == typeof(byte))
        {
            return NpyDType.UInt8;
        }

        if (typeof(T) == typeof(sbyte))
        {
            return NpyDType.Int8;
        }

        if (typeof(T) == typeof(long))
        {
            return NpyDType.Int64;
        }

        return null;
    }

    /// <summary>Exact product of the dimensions (1 for a scalar); never overflows.</summary>
    internal static BigInteger ElementCount(ReadOnlySpan<long> dims)
    {
        var product = BigInteger.One;
        foreach (var d in dims)
        {
            product *= d;
        }

        return product;
    }

    /// <summary>Returns a description of what is wrong with the shape, or null when it is acceptable.</summary>
    internal static string? CheckShape(ReadOnlySpan<long> dims)
    {
        foreach (var d in dims)
        {
            if (d < 0)
            {
                return $"shape {FormatShape(dims)} has a negative dimension ({d}).";
            }
        }

        var count = ElementCount(dims);
        if (count > MaxElements)
        {
            return $"shape {FormatShape(dims)} has {count.ToString(CultureInfo.InvariantCulture)} elements; "
                + $"at most {MaxElements} are supported.";
        }

        foreach (var d in dims)
        {
            if (d > int.MaxValue)
            {
                return $"shape {FormatShape(dims)} has a dimension ({d}) larger than {int.MaxValue}.";
            }
        }

        return null;
    }

    /// <summary>Formats a shape the way Python prints a tuple: <c>()</c>, <c>(3,)</c>, <c>(2, 3)</c>.</summary>
    internal static string FormatShape(ReadOnlySpan<long> dims)
    {
        var sb = new StringBuilder("(");
        for (var i = 0; i < dims.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(dims[i].ToString(CultureInfo.InvariantCulture));
        }

        if (dims.Length == 1)
        {
            sb.Append(',');
        }

        return sb.Append(')').ToString();
    }

    internal static string FormatShape(ReadOnlySpan<int> dims)
    {
        var wide = new long[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            wide[i] = dims[i];
        }

        return FormatShape(wide);
    }
}
