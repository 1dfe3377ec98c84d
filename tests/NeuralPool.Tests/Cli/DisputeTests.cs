using NeuralPool.Interop;

namespace NeuralPool.Tests.Cli;

/// <summary>The known-dispute table: a SKIP only when the library differs from the expected output and matches the PyTorch / ONNX Runtime reading.</summary>
public class DisputeTests
{
    private const string Name = "test_maxunpool_export_with_output_shape";

    /// <summary>X = [5, 6, 7, 8] pooled from a 4×4 map at flat positions 5, 7, 13, 15, unpooled into a 5×5 output.</summary>
    private static TempFolder Case(float[] expected, long lastIndex = 15)
    {
        var t = new TempFolder();
        Directory.CreateDirectory(t[Name]);
        File.WriteAllText(Path.Combine(t[Name], "node.json"),
            """{"op_type": "MaxUnpool", "attributes": {"kernel_shape": [2, 2], "strides": [2, 2]}, "inputs": ["xT", "xI", "output_shape"], "outputs": ["y"]}""");
        t.Write($"{Name}/input_0.npy", new float[] { 5, 6, 7, 8 }, 1, 1, 2, 2);
        t.Write($"{Name}/input_1.npy", new long[] { 5, 7, 13, lastIndex }, 1, 1, 2, 2);
        t.Write($"{Name}/input_2.npy", new long[] { 1, 1, 5, 5 }, 4);
        t.Write($"{Name}/output_0.npy", expected, 1, 1, 5, 5);
        return t;
    }

    private static float[] At(params (int Index, float Value)[] entries)
    {
        var y = new float[25];
        foreach (var (i, v) in entries)
        {
            y[i] = v;
        }

        return y;
    }

    [Fact]
    public void OnnxReferenceReadingIsADocumentedDispute()
    {
        // The ONNX reference decodes 5, 7, 13, 15 as (row, col) of the 4×4 input: (1,1), (1,3), (3,1), (3,3) → 6, 8, 16, 18 in 5×5.
        using var t = Case(At((6, 5), (8, 6), (16, 7), (18, 8)));

        var (code, output, _) = CliHarness.Run("conform", t.Path);

        Assert.Equal(0, code);
        Assert.StartsWith($"SKIP {Name}: documented dispute: ", CliHarness.Lines(output)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void PyTorchReadingPasses()
    {
        using var t = Case(At((5, 5), (7, 6), (13, 7), (15, 8)));

        var (code, output, _) = CliHarness.Run("conform", t.Path);

        Assert.Equal(0, code);
        Assert.Equal($"PASS {Name}", CliHarness.Lines(output)[0]);
    }

    [Fact]
    public void AnErrorIsStillAFailure()
    {
        // Index 30 lies outside the 5×5 output: the library rejects it, which no documented reading excuses.
        using var t = Case(At((6, 5), (8, 6), (16, 7), (18, 8)), lastIndex: 30);

        var (code, output, _) = CliHarness.Run("conform", t.Path);

        Assert.Equal(1, code);
        Assert.StartsWith($"FAIL {Name}: ", CliHarness.Lines(output)[0], StringComparison.Ordinal);
    }
}
