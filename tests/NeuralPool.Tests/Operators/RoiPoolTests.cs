using System.Numerics;
using NeuralPool.Operators;
using NeuralPool.Tests.Oracle;

namespace NeuralPool.Tests.Operators;

/// <summary>RoI max pooling (torchvision roi_pool, ONNX MaxRoiPool) against the oracle, its rules by name, its gradient and its bad inputs.</summary>
public class RoiPoolTests
{
    [Theory]
    [MemberData(nameof(Harness.LayoutsAndTypes), MemberType = typeof(Harness))]
    public void Forward_MatchesOracle(TensorLayout layout, string type)
    {
        var failures = new Failures();
        for (int seed = 0; seed < 120; seed++)
        {
            failures.Count();
            failures.Add($"seed {seed}", type == "float" ? Check<float>(layout, seed) : Check<double>(layout, seed));
        }

        failures.AssertNone();
    }

    private static string? Check<T>(TensorLayout layout, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int n = rng.Next(1, 3), c = rng.Next(1, 5), h = rng.Next(1, 12), w = rng.Next(1, 12);
        int oh = rng.Next(1, 5), ow = rng.Next(1, 5);
        double scale = new[] { 1.0, 0.5, 0.25, 2.0 }[seed % 4];
        int[] shape = [n, c, h, w];
        var x = Harness.RoundTrip<T>(TestData.Make(new[] { DataKind.Normal, DataKind.Ties, DataKind.NaNs, DataKind.NegativeInfinity }[seed % 4], n * c * h * w, rng));
        var boxes = Boxes(rng, n, h / scale, w / scale, rng.Next(1, 7));
        var roundTripped = Harness.RoundTrip<T>(boxes);
        var expected = RoiPoolOracle.Forward(x, shape, roundTripped, oh, ow, scale, typeof(T) == typeof(float));

        int k = boxes.Length / 5;
        int[] outShape = [k, c, oh, ow];
        var y = MaxPoolSweepTests.Garbage<T>(expected.Values.Length);
        var at = new long[y.Length];
        RoiPool.Forward(layout, Harness.Shape(shape, layout), Harness.ToLibrary<T>(x, shape, layout), roundTripped.Select(T.CreateChecked).ToArray(),
            new RoiPoolOptions(oh, ow, scale), y, at);
        return Harness.Exact(expected.Values, Harness.FromLibrary(y, outShape, layout), "values")
            ?? Harness.Exact(expected.Argmax, Harness.FromLibrary(at, outShape, layout), "argmax");
    }

    /// <summary>Ordinary, half-integer, out-of-range, degenerate and inverted boxes, with fractional batch entries.</summary>
    private static double[] Boxes(Random rng, int n, double h, double w, int k)
    {
        var boxes = new double[k * 5];
        for (int i = 0; i < k; i++)
        {
            double x1 = (rng.NextDouble() * w * 1.4) - (0.2 * w), y1 = (rng.NextDouble() * h * 1.4) - (0.2 * h);
            double x2 = x1 + ((rng.NextDouble() - 0.2) * w), y2 = y1 + ((rng.NextDouble() - 0.2) * h);
            if (i % 3 == 1)
            {
                (x1, y1, x2, y2) = (Math.Round(x1) + 0.5, Math.Round(y1) - 0.5, Math.Round(x2) + 0.5, Math.Round(y2) + 0.5);
            }

            boxes[i * 5] = rng.Next(n) + (i % 2 == 0 ? 0 : 0.75);
            (boxes[(i * 5) + 1], boxes[(i * 5) + 2], boxes[(i * 5) + 3], boxes[(i * 5) + 4]) = (x1, y1, x2, y2);
        }

        return boxes;
    }

    [Fact]
    public void Rounding_IsHalfAwayFromZero()
    {
        // 1x1 input plane of 6 columns holding their own column index; a box from x = 0.5 rounds to column 1
        // (banker's rounding would give 0), x = 2.5 rounds to 3.
        float[] x = [0, 1, 2, 3, 4, 5];
        var y = new float[1];
        var at = new long[1];
        RoiPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 1, 6], x, [0f, 0.5f, 0f, 0.5f, 0f], new RoiPoolOptions(1, 1), y, at);
        Assert.Equal(1f, y[0]);
        RoiPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 1, 6], x, [0f, 2.5f, 0f, 2.5f, 0f], new RoiPoolOptions(1, 1), y, at);
        Assert.Equal(3f, y[0]);
        Assert.Equal(3L, at[0]);
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void NaNAndMinusInfinity_AreNeverChosen(TensorLayout layout)
    {
        // A bin of NaN and -inf only: the strict '>' from -FLT_MAX keeps -FLT_MAX and argmax -1; a finite value wins over NaN.
        double[] x = [double.NaN, double.NegativeInfinity, double.NaN, -5];
        var y = new double[2];
        var at = new long[2];
        RoiPool.Forward(layout, Harness.Shape([1, 1, 2, 2], layout), x, [0, 0, 0, 1, 0, 0, 0, 0, 1, 1], new RoiPoolOptions(1, 1), y, at);
        Assert.Equal(-(double)float.MaxValue, y[0]);
        Assert.Equal(-1L, at[0]);
        Assert.Equal(-5, y[1]);
        Assert.Equal(3L, at[1]);
    }

    [Fact]
    public void EmptyBin_IsZeroWithArgmaxMinusOne()
    {
        // A box entirely right of the input: every bin is clipped to nothing.
        var y = new float[2];
        var at = new long[2];
        RoiPool.Forward(TensorLayout.ChannelsFirst, [1, 1, 2, 2], [1f, 2, 3, 4], [0f, 10, 0, 12, 1], new RoiPoolOptions(1, 2), y, at);
        Assert.Equal([0f, 0f], y);
        Assert.Equal([-1L, -1L], at);
    }

    [Fact]
    public void BatchEntry_IsTruncated()
    {
        // 1.9 selects image 1, as torchvision's int conversion does.
        float[] x = [1, 2, 3, 4, 10, 20, 30, 40];
        var y = new float[1];
        RoiPool.Forward(TensorLayout.ChannelsFirst, [2, 1, 2, 2], x, [1.9f, 0, 0, 1, 1], new RoiPoolOptions(1, 1), y);
        Assert.Equal(40f, y[0]);
    }

    [Theory]
    [MemberData(nameof(Harness.Layouts), MemberType = typeof(Harness))]
    public void Backward_MatchesFiniteDifferencesAndRecomputation(TensorLayout layout)
    {
        var rng = new Random(5);
        int[] shape = [2, 3, 7, 9];
        var x = TestData.Make(DataKind.Distinct, 2 * 3 * 7 * 9, rng);
        var lib = Harness.ToLibrary<double>(x, shape, layout);
        double[] boxes = [0, 1, 1, 6, 5, 1, 0.4, 2.6, 8, 6, 1, -2, -1, 3, 9];
        var options = new RoiPoolOptions(2, 3);
        int outLength = 3 * 3 * 2 * 3;
        var gy = TestData.Make(DataKind.Normal, outLength, rng);
        var y = new double[outLength];
        var at = new long[outLength];
        RoiPool.Forward(layout, Harness.Shape(shape, layout), lib, boxes, options, y, at);
        var gx = new double[lib.Length];
        RoiPool.Backward(layout, Harness.Shape(shape, layout), boxes, options, gy, at, gx);
        var gx2 = MaxPoolSweepTests.Garbage<double>(lib.Length);
        RoiPool.Backward(layout, Harness.Shape(shape, layout), lib, boxes, options, gy, gx2);
        Assert.Equal(gx, gx2);

        // Distinct values: the argmax does not move for small steps.
        Harness.AssertGradient(lib, gy, gx, (input, output) => RoiPool.Forward(layout, Harness.Shape(shape, layout), input, boxes, options, output));
    }

    [Fact]
    public void BadInput_NamesTheProblemAndWritesNothing()
    {
        float[] x = [1, 2, 3, 4];
        int[] shape = [1, 1, 2, 2];
        var y = new float[] { 7, 7 };
        var at = new long[] { 7, 7 };
        var options = new RoiPoolOptions(1, 1);
        void Throws(string param, string fragment, Action call)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(param, e.ParamName);
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
            Assert.Equal([7f, 7f], y);
            Assert.Equal([7L, 7L], at);
        }

        Throws("boxes", "not a multiple of 5", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [0f, 0, 0, 1], options, y.AsSpan(0, 1)));
        Throws("boxes", "outside the batch of 1", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [1f, 0, 0, 1, 1], options, y.AsSpan(0, 1)));
        Throws("boxes", "outside the batch of 1", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [float.NaN, 0, 0, 1, 1], options, y.AsSpan(0, 1)));
        Throws("boxes", "not a finite number", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [0f, 0, float.PositiveInfinity, 1, 1], options, y.AsSpan(0, 1)));
        Throws("options", "must be positive", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [0f, 0, 0, 1, 1], new RoiPoolOptions(0, 1), y.AsSpan(0, 1)));
        Throws("options", "must be finite", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [0f, 0, 0, 1, 1], new RoiPoolOptions(1, 1, double.NaN), y.AsSpan(0, 1)));
        Throws("output", "", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [0f, 0, 0, 1, 1], options, y));
        Throws("argmax", "", () => RoiPool.Forward(TensorLayout.ChannelsFirst, shape, x, [0f, 0, 0, 1, 1], options, y.AsSpan(0, 1), at));

        // Backward: an argmax outside the plane is refused before anything is written.
        var gx = new float[] { 7, 7, 7, 7 };
        var e2 = Assert.Throws<ArgumentException>(() => RoiPool.Backward(TensorLayout.ChannelsFirst, shape, [0f, 0, 0, 1, 1], options, [1f], [4L], gx));
        Assert.Equal("argmax", e2.ParamName);
        Assert.Contains("outside the spatial plane", e2.Message, StringComparison.Ordinal);
        Assert.All(gx, v => Assert.Equal(7f, v));
    }
}
