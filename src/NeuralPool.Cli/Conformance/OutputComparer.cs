using NeuralPool.Cli.Tensors;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Conformance;

/// <summary>
/// The comparison rule of FORMAT.md: shapes and dtypes equal; floating point elements pass when
/// <c>|actual - expected| &lt;= atol + rtol·|expected|</c>, NaN matches NaN only and infinities match exactly;
/// integers must be equal. Default tolerances: rtol 1e-4 / atol 1e-5 for float32, 1e-9 / 1e-12 for float64.
/// </summary>
internal static class OutputComparer
{
    public static (double Rtol, double Atol) DefaultTolerance(NpyDType dtype) =>
        dtype == NpyDType.Float64 ? (1e-9, 1e-12) : (1e-4, 1e-5);

    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/>, else why not.</summary>
    public static string? Compare(NpyArray expected, NpyArray actual, double? rtol = null, double? atol = null)
    {
        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
        {
            return $"shape {NpyConvert.Shape(actual.Shape)}, expected {NpyConvert.Shape(expected.Shape)}";
        }

        if (expected.DType != actual.DType)
        {
            return $"dtype {Name(actual.DType)}, expected {Name(expected.DType)}";
        }

        long mismatches = 0, first = -1;
        if (NpyConvert.IsFloat(expected.DType))
        {
            var (r, a) = DefaultTolerance(expected.DType);
            r = rtol ?? r;
            a = atol ?? a;
            double[] e = expected.ToDoubleArray(), x = actual.ToDoubleArray();
            for (long i = 0; i < e.LongLength; i++)
            {
                if (!Close(e[i], x[i], r, a))
                {
                    first = first < 0 ? i : first;
                    mismatches++;
                }
            }
        }
        else
        {
            long[] e = NpyConvert.ToInt64(expected), x = NpyConvert.ToInt64(actual);
            for (long i = 0; i < e.LongLength; i++)
            {
                if (e[i] != x[i])
                {
                    first = first < 0 ? i : first;
                    mismatches++;
                }
            }
        }

        if (mismatches == 0)
        {
            return null;
        }

        return $"first mismatch at {NpyConvert.Index(first, expected.Shape)}: expected {NpyConvert.Element(expected, first)}, "
            + $"actual {NpyConvert.Element(actual, first)} ({mismatches} of {expected.Length} elements differ)";
    }

    public static bool Close(double expected, double actual, double rtol, double atol)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            return double.IsNaN(expected) && double.IsNaN(actual);
        }

        if (double.IsInfinity(expected) || double.IsInfinity(actual))
        {
            return expected == actual;
        }

        return Math.Abs(actual - expected) <= atol + (rtol * Math.Abs(expected));
    }

    public static string Name(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        NpyDType.UInt8 => "uint8",
        NpyDType.Int8 => "int8",
        NpyDType.Int64 => "int64",
        _ => dtype.ToString(),
    };
}
