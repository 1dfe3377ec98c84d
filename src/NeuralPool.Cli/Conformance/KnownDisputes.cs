using NeuralPool.Cli.Tensors;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Conformance;

/// <summary>
/// A documented disagreement between a suite's expected output and the semantics the library follows on purpose.
/// <paramref name="LibraryReading"/> computes, independently of the library, what the library's documented
/// reading gives (channels-first); null when that reading is undefined for the inputs.
/// </summary>
internal sealed record KnownDispute(string CaseName, string Reason, Func<IReadOnlyList<NpyArray>, NpyArray?> LibraryReading);

/// <summary>
/// The table of known disputes (FORMAT.md, "Known disputes in the ONNX suite"). A case listed here is reported as
/// <c>SKIP name: documented dispute: ...</c> only when the library's output differs from the expected one and
/// equals the library's documented reading, in every layout; otherwise it passes or fails like any case.
/// </summary>
internal static class KnownDisputes
{
    public static readonly IReadOnlyList<KnownDispute> All =
    [
        new(
            "test_maxunpool_export_with_output_shape",
            "documented dispute: the ONNX reference decodes the indices against the pooled input's original shape, "
                + "while NeuralPool follows PyTorch and ONNX Runtime and reads them as flat positions in the requested "
                + "output_shape (FORMAT.md, Known disputes)",
            ScatterIntoOutputShape),
    ];

    public static KnownDispute? Find(string caseName) =>
        All.FirstOrDefault(d => d.CaseName.Equals(caseName, StringComparison.Ordinal));

    /// <summary>The PyTorch / ONNX Runtime reading of MaxUnpool(X, I, output_shape): zeros of output_shape, then <c>y.flat[I[k]] = X.flat[k]</c>.</summary>
    public static NpyArray? ScatterIntoOutputShape(IReadOnlyList<NpyArray> inputs)
    {
        if (inputs.Count != 3 || inputs[1].DType != NpyDType.Int64 || inputs[2].DType != NpyDType.Int64)
        {
            return null;
        }

        long[] shape = inputs[2].GetData<long>();
        if (shape.Any(d => d < 0 || d > int.MaxValue))
        {
            return null;
        }

        long length = shape.Aggregate(1L, (a, b) => a * b);
        if (length > Array.MaxLength)
        {
            return null;
        }

        double[] x = inputs[0].ToDoubleArray();
        long[] index = inputs[1].GetData<long>();
        if (index.Length != x.Length)
        {
            return null;
        }

        var y = new double[length];
        for (int k = 0; k < x.Length; k++)
        {
            if (index[k] < 0 || index[k] >= length)
            {
                return null;
            }

            y[index[k]] = x[k];
        }

        return NpyConvert.FromDoubles(y, inputs[0].DType, shape.Select(d => (int)d).ToArray());
    }
}
