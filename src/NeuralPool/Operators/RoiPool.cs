using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>Parameters of <see cref="RoiPool"/>.</summary>
/// <param name="OutputHeight">Bins per RoI vertically.</param>
/// <param name="OutputWidth">Bins per RoI horizontally.</param>
/// <param name="SpatialScale">Factor from box coordinates to input coordinates (e.g. 1/16 for a stride-16 feature map).</param>
public readonly record struct RoiPoolOptions(int OutputHeight, int OutputWidth, double SpatialScale = 1.0);

/// <summary>
/// RoI max pooling (Fast R-CNN; torchvision <c>roi_pool</c>, ONNX <c>MaxRoiPool</c>). RoI k is a row
/// <c>(batch, x1, y1, x2, y2)</c> of the K × 5 <c>boxes</c>, in the input's element type. In that type:
/// <c>start = round(x1·s)</c>, <c>end = round(x2·s)</c> (half away from zero, as C's <c>round</c>),
/// <c>size = max(end - start + 1, 1)</c>, <c>bin = size / pooled</c>; bin i covers
/// <c>[floor(i·bin), ceil((i + 1)·bin))</c> shifted by <c>start</c> and clipped to the input. A bin takes the
/// maximum with a strict <c>&gt;</c> starting from <c>-3.4028235e38</c> (<c>-FLT_MAX</c>, also for double), so
/// NaN and values at or below <c>-FLT_MAX</c> are never chosen; such a bin, like an empty one, has argmax -1.
/// An empty bin yields 0. The batch entry is truncated toward zero to an integer, as torchvision's
/// <c>int</c> conversion does. Argmax is the plane-local position <c>h·W + w</c>.
/// Gradient: <c>gradInput[batch, c, argmax] += gradOutput</c> where argmax ≠ -1; Backward overwrites <c>gradInput</c>.
/// Output: (K, C, OutputHeight, OutputWidth), or (K, OutputHeight, OutputWidth, C) channels-last.
/// </summary>
public static class RoiPool
{
    /// <summary>RoI max pooling forward, with the argmax of every output when <paramref name="argmax"/> is not empty.</summary>
    /// <param name="layout">Layout of input and output.</param>
    /// <param name="inputShape">(N, C, H, W) or (N, H, W, C).</param>
    /// <param name="input">Feature map.</param>
    /// <param name="boxes">K × 5 rows (batch, x1, y1, x2, y2), in input coordinates before <see cref="RoiPoolOptions.SpatialScale"/>.</param>
    /// <param name="options">Output size and spatial scale.</param>
    /// <param name="output">Receives K × C × OutputHeight × OutputWidth values.</param>
    /// <param name="argmax">Empty, or receives the plane-local position of each output's maximum (-1 when none).</param>
    /// <exception cref="ArgumentException">A shape, length, box or parameter is invalid; nothing is written then.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> input, ReadOnlySpan<T> boxes,
        in RoiPoolOptions options, Span<T> output, Span<long> argmax = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (_, c, h, w, k) = Validate(layout, inputShape, input.Length, boxes, options, output.Length, nameof(output));
        if (!argmax.IsEmpty)
        {
            ThrowHelper.CheckLength(nameof(argmax), argmax.Length, output.Length, "argmax");
        }

        int oh = options.OutputHeight, ow = options.OutputWidth;
        T lowest = T.CreateChecked(-float.MaxValue);
        for (int r = 0; r < k; r++)
        {
            var box = Box(boxes.Slice(r * 5, 5), options, h, w);
            for (int ph = 0; ph < oh; ph++)
            {
                var (h0, h1) = box.Rows(ph);
                for (int pw = 0; pw < ow; pw++)
                {
                    var (w0, w1) = box.Columns(pw);
                    bool empty = h1 <= h0 || w1 <= w0;
                    for (int ch = 0; ch < c; ch++)
                    {
                        T best = empty ? T.Zero : lowest;
                        long at = -1;
                        for (int y = h0; y < h1; y++)
                        {
                            for (int x = w0; x < w1; x++)
                            {
                                T v = input[RegionPooling.InIndex(layout, c, h, w, box.Batch, ch, y, x)];
                                if (v > best)
                                {
                                    best = v;
                                    at = ((long)y * w) + x;
                                }
                            }
                        }

                        int o = RegionPooling.OutIndex(layout, c, oh, ow, r, ch, ph, pw);
                        output[o] = best;
                        if (!argmax.IsEmpty)
                        {
                            argmax[o] = at;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Gradient with respect to the feature map from the forward argmax, overwriting <paramref name="gradInput"/>.</summary>
    /// <param name="layout">Layout of the tensors.</param>
    /// <param name="inputShape">(N, C, H, W) or (N, H, W, C) of the forward input.</param>
    /// <param name="boxes">The forward boxes (their batch entries say which plane each RoI's gradient goes to).</param>
    /// <param name="options">The forward options.</param>
    /// <param name="gradOutput">Gradient of the loss with respect to the forward output.</param>
    /// <param name="argmax">The forward argmax: -1 or a position inside the input plane.</param>
    /// <param name="gradInput">Receives the gradient with respect to the input.</param>
    /// <exception cref="ArgumentException">A shape, length, box, parameter or argmax is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> boxes, in RoiPoolOptions options,
        ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> argmax, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (_, c, h, w, k) = Validate(layout, inputShape, gradInput.Length, boxes, options, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(argmax), argmax.Length, gradOutput.Length, "argmax");
        long plane = (long)h * w;
        for (int i = 0; i < argmax.Length; i++)
        {
            if (argmax[i] < -1 || argmax[i] >= plane)
            {
                ThrowHelper.Argument(nameof(argmax), $"argmax {argmax[i]} at position {i} is outside the spatial plane of {plane} elements.");
            }
        }

        int oh = options.OutputHeight, ow = options.OutputWidth;
        gradInput.Clear();
        for (int r = 0; r < k; r++)
        {
            long b = BatchOf(boxes[r * 5]);
            for (int ch = 0; ch < c; ch++)
            {
                for (int ph = 0; ph < oh; ph++)
                {
                    for (int pw = 0; pw < ow; pw++)
                    {
                        int o = RegionPooling.OutIndex(layout, c, oh, ow, r, ch, ph, pw);
                        long at = argmax[o];
                        if (at >= 0)
                        {
                            gradInput[RegionPooling.InIndex(layout, c, h, w, b, ch, (int)(at / w), (int)(at % w))] += gradOutput[o];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Gradient with respect to the feature map, recomputing the argmax from <paramref name="input"/>; overwrites <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A shape, length, box or parameter is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> input, ReadOnlySpan<T> boxes, in RoiPoolOptions options,
        ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(layout, inputShape, input.Length, boxes, options, gradOutput.Length, nameof(gradOutput));
        ThrowHelper.CheckLength(nameof(gradInput), gradInput.Length, input.Length, "gradInput");
        var values = new T[gradOutput.Length];
        var argmax = new long[gradOutput.Length];
        Forward(layout, inputShape, input, boxes, options, values, argmax);
        Backward(layout, inputShape, boxes, options, gradOutput, argmax, gradInput);
    }

    /// <summary>One RoI's batch and quantized extent, computed in the element type as torchvision does.</summary>
    private readonly record struct Quantized(long Batch, int StartH, int StartW, double BinH, double BinW, bool Single, int H, int W)
    {
        public (int Begin, int End) Rows(int i) => Span(i, BinH, StartH, H);

        public (int Begin, int End) Columns(int i) => Span(i, BinW, StartW, W);

        private (int, int) Span(int i, double bin, int start, int limit)
        {
            // floor(i·bin) and ceil((i + 1)·bin) in the element type: float products for float inputs.
            double lo = Single ? MathF.Floor(i * (float)bin) : Math.Floor(i * bin);
            double hi = Single ? MathF.Ceiling((i + 1) * (float)bin) : Math.Ceiling((i + 1) * bin);
            return (Math.Clamp((int)lo + start, 0, limit), Math.Clamp((int)hi + start, 0, limit));
        }
    }

    private static Quantized Box<T>(ReadOnlySpan<T> row, in RoiPoolOptions o, int h, int w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateChecked(o.SpatialScale);
        int Round(T v) => int.CreateSaturating(T.Round(v * scale, MidpointRounding.AwayFromZero));
        int x1 = Round(row[1]), y1 = Round(row[2]), x2 = Round(row[3]), y2 = Round(row[4]);
        int rw = Math.Max(x2 - x1 + 1, 1), rh = Math.Max(y2 - y1 + 1, 1);
        bool single = typeof(T) == typeof(float);
        double binH = single ? (float)rh / o.OutputHeight : (double)rh / o.OutputHeight;
        double binW = single ? (float)rw / o.OutputWidth : (double)rw / o.OutputWidth;
        return new Quantized(BatchOf(row[0]), y1, x1, binH, binW, single, h, w);
    }

    private static long BatchOf<T>(T entry)
        where T : unmanaged, IFloatingPointIeee754<T> => long.CreateTruncating(T.Truncate(entry));

    private static (int N, int C, int H, int W, int K) Validate<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int inputLength,
        ReadOnlySpan<T> boxes, in RoiPoolOptions o, int outputLength, string outputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("RoI pooling");
        var (n, c, h, w) = RegionPooling.CheckInput(layout, inputShape, inputLength, o.OutputHeight, o.OutputWidth, o.SpatialScale);
        if (boxes.Length % 5 != 0)
        {
            ThrowHelper.Argument(nameof(boxes), $"boxes has {boxes.Length} values, not a multiple of 5 (batch, x1, y1, x2, y2 per RoI).");
        }

        int k = boxes.Length / 5;
        for (int i = 0; i < k; i++)
        {
            T b = boxes[i * 5];
            if (!T.IsFinite(b) || BatchOf(b) < 0 || BatchOf(b) >= n)
            {
                ThrowHelper.Argument(nameof(boxes), $"batch entry {b} of RoI {i} is outside the batch of {n}.");
            }

            for (int j = 1; j < 5; j++)
            {
                if (!T.IsFinite(boxes[(i * 5) + j]))
                {
                    ThrowHelper.Argument(nameof(boxes), $"coordinate {j - 1} of RoI {i} is {boxes[(i * 5) + j]}, not a finite number.");
                }
            }
        }

        ThrowHelper.CheckLength(outputName, outputLength, (long)k * c * o.OutputHeight * o.OutputWidth, outputName);
        return (n, c, h, w, k);
    }
}
