using System.Globalization;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Tensors;

/// <summary>Element-type conversion and formatting helpers for <see cref="NpyArray"/>.</summary>
internal static class NpyConvert
{
    public static bool IsFloat(NpyDType dtype) => dtype is NpyDType.Float32 or NpyDType.Float64;

    /// <summary>A copy of <paramref name="a"/> as <paramref name="dtype"/> (the same array when it already is).</summary>
    public static NpyArray To(NpyArray a, NpyDType dtype) =>
        a.DType == dtype ? a : FromDoubles(a.ToDoubleArray(), dtype, a.Shape);

    /// <summary>An array of <paramref name="dtype"/> and <paramref name="shape"/> from double values (rounded and saturated for integers).</summary>
    public static NpyArray FromDoubles(double[] values, NpyDType dtype, int[] shape) => dtype switch
    {
        NpyDType.Float32 => NpyArray.Create(values.Select(v => (float)v).ToArray(), shape),
        NpyDType.Float64 => NpyArray.Create((double[])values.Clone(), shape),
        NpyDType.UInt8 => NpyArray.Create(values.Select(v => (byte)Math.Clamp(Math.Round(v), byte.MinValue, byte.MaxValue)).ToArray(), shape),
        NpyDType.Int8 => NpyArray.Create(values.Select(v => (sbyte)Math.Clamp(Math.Round(v), sbyte.MinValue, sbyte.MaxValue)).ToArray(), shape),
        NpyDType.Int64 => NpyArray.Create(values.Select(v => (long)Math.Round(v)).ToArray(), shape),
        _ => throw new NotSupportedException($"dtype {dtype} is not supported."),
    };

    /// <summary>Integer values of an integer array, exactly.</summary>
    public static long[] ToInt64(NpyArray a) => a.DType switch
    {
        NpyDType.UInt8 => a.GetData<byte>().Select(v => (long)v).ToArray(),
        NpyDType.Int8 => a.GetData<sbyte>().Select(v => (long)v).ToArray(),
        NpyDType.Int64 => a.GetData<long>(),
        _ => a.ToDoubleArray().Select(v => (long)v).ToArray(),
    };

    /// <summary>The shape of <paramref name="a"/> the way NumPy prints it.</summary>
    public static string Shape(int[] shape) => shape.Length == 1
        ? $"({shape[0]},)"
        : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>A flat index as a multi-index of <paramref name="shape"/>.</summary>
    public static string Index(long flat, int[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? flat : flat / shape[d];
        }

        return "(" + string.Join(", ", index.Select(i => i.ToString(CultureInfo.InvariantCulture))) + ")";
    }

    /// <summary>Element <paramref name="i"/> formatted at its own precision (shortest round-trip).</summary>
    public static string Element(NpyArray a, long i) => a.DType switch
    {
        NpyDType.Float32 => a.GetData<float>()[i].ToString("R", CultureInfo.InvariantCulture),
        NpyDType.Float64 => a.GetData<double>()[i].ToString("R", CultureInfo.InvariantCulture),
        NpyDType.UInt8 => a.GetData<byte>()[i].ToString(CultureInfo.InvariantCulture),
        NpyDType.Int8 => a.GetData<sbyte>()[i].ToString(CultureInfo.InvariantCulture),
        NpyDType.Int64 => a.GetData<long>()[i].ToString(CultureInfo.InvariantCulture),
        _ => "?",
    };
}
