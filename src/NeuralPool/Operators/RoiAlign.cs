using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>How RoIAlign reduces the bilinear samples of one bin.</summary>
public enum RoiAlignMode
{
    /// <summary>Average of the interpolated samples (ONNX <c>avg</c>, torchvision <c>roi_align</c>).</summary>
    Average,

    /// <summary>
    /// ONNX <c>max</c>, as the ONNX reference and ONNX Runtime compute it: the maximum over samples of the
    /// largest <em>weighted corner</em> <c>max(w1·v1, w2·v2, w3·v3, w4·v4)</c>, not of the interpolated value.
    /// </summary>
    Max,
}

/// <summary>Parameters of <see cref="RoiAlign"/>.</summary>
/// <param name="OutputHeight">Bins per RoI vertically.</param>
/// <param name="OutputWidth">Bins per RoI horizontally.</param>
/// <param name="SpatialScale">Factor from box coordinates to input coordinates.</param>
/// <param name="SamplingRatio">Samples per bin and axis; 0 or negative: <c>ceil(roi extent / bins)</c>.</param>
/// <param name="Aligned">
/// True: shift boxes by -0.5 pixel (ONNX <c>half_pixel</c>, torchvision <c>aligned=True</c>). False: no
/// shift and RoIs at least 1×1 (ONNX <c>output_half_pixel</c>, torchvision <c>aligned=False</c>).
/// </param>
/// <param name="Mode">Average or ONNX max.</param>
public readonly record struct RoiAlignOptions(int OutputHeight, int OutputWidth, double SpatialScale = 1.0, int SamplingRatio = 0,
    bool Aligned = true, RoiAlignMode Mode = RoiAlignMode.Average);

/// <summary>
/// RoIAlign (Mask R-CNN; ONNX RoiAlign, torchvision <c>roi_align</c>): for RoI k with box (x1, y1, x2, y2)
/// and bin (ph, pw), bilinear samples at <c>y = y1·s - off + ph·bh + (iy + 0.5)·bh/gh</c> (and likewise x)
/// are reduced by <see cref="RoiAlignOptions.Mode"/>; samples outside <c>[-1, H] × [-1, W]</c> contribute 0,
/// coordinates are clamped to 0 below and to the last row/column above. Average divides by
/// <c>max(gh·gw, 1)</c>. Output: (K, C, OutputHeight, OutputWidth), or (K, OH, OW, C) channels-last.
/// Gradient (average mode, torchvision): each sample sends <c>dy·w_corner / (gh·gw)</c> to its four
/// corners. Backward overwrites <c>gradInput</c>.
/// </summary>
public static class RoiAlign
{
    /// <summary>RoIAlign forward.</summary>
    /// <param name="layout">Layout of input and output.</param>
    /// <param name="inputShape">(N, C, H, W) or (N, H, W, C).</param>
    /// <param name="input">Feature map.</param>
    /// <param name="rois">K × 4 boxes (x1, y1, x2, y2) in input coordinates before <see cref="RoiAlignOptions.SpatialScale"/>.</param>
    /// <param name="batchIndices">K batch indices.</param>
    /// <param name="options">Parameters.</param>
    /// <param name="output">Receives K × C × OH × OW values.</param>
    /// <exception cref="ArgumentException">A shape, length, batch index or parameter is invalid.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> input, ReadOnlySpan<T> rois,
        ReadOnlySpan<long> batchIndices, in RoiAlignOptions options, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (_, c, h, w, k) = Validate(layout, inputShape, input.Length, rois, batchIndices, options, output.Length, nameof(output));
        int oh = options.OutputHeight, ow = options.OutputWidth;
        for (int r = 0; r < k; r++)
        {
            var bin = RegionPooling.Bins(rois.Slice(r * 4, 4), options.SpatialScale, options.Aligned, options.OutputHeight, options.OutputWidth, options.SamplingRatio);
            long b = batchIndices[r];
            for (int ch = 0; ch < c; ch++)
            {
                for (int ph = 0; ph < oh; ph++)
                {
                    for (int pw = 0; pw < ow; pw++)
                    {
                        T acc = T.Zero;
                        bool first = true;
                        for (int iy = 0; iy < bin.GridH; iy++)
                        {
                            for (int ix = 0; ix < bin.GridW; ix++)
                            {
                                var s = bin.At<T>(ph, pw, iy, ix, h, w);
                                if (options.Mode == RoiAlignMode.Average)
                                {
                                    if (s.Inside)
                                    {
                                        acc += s.Interpolate(input, layout, c, h, w, b, ch);
                                    }
                                }
                                else
                                {
                                    T v = T.Zero;
                                    if (s.Inside)
                                    {
                                        v = s.LargestWeightedCorner(input, layout, c, h, w, b, ch);
                                    }

                                    acc = first ? v : T.Max(acc, v);
                                    first = false;
                                }
                            }
                        }

                        if (options.Mode == RoiAlignMode.Average)
                        {
                            acc /= T.CreateChecked(Math.Max(bin.GridH * bin.GridW, 1));
                        }

                        output[RegionPooling.OutIndex(layout, c, oh, ow, r, ch, ph, pw)] = acc;
                    }
                }
            }
        }

    }

    /// <summary>RoIAlign backward (average mode): gradient with respect to the feature map, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A shape, length or parameter is invalid, or the mode is max.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> rois, ReadOnlySpan<long> batchIndices,
        in RoiAlignOptions options, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (options.Mode != RoiAlignMode.Average)
        {
            ThrowHelper.Argument(nameof(options), "RoIAlign backward is defined for the average mode only.");
        }

        var (_, c, h, w, k) = Validate(layout, inputShape, gradInput.Length, rois, batchIndices, options, gradOutput.Length, nameof(gradOutput));
        int oh = options.OutputHeight, ow = options.OutputWidth;
        gradInput.Clear();
        for (int r = 0; r < k; r++)
        {
            var bin = RegionPooling.Bins(rois.Slice(r * 4, 4), options.SpatialScale, options.Aligned, options.OutputHeight, options.OutputWidth, options.SamplingRatio);
            long b = batchIndices[r];
            T count = T.CreateChecked(bin.GridH * bin.GridW);
            for (int ch = 0; ch < c; ch++)
            {
                for (int ph = 0; ph < oh; ph++)
                {
                    for (int pw = 0; pw < ow; pw++)
                    {
                        T g = gradOutput[RegionPooling.OutIndex(layout, c, oh, ow, r, ch, ph, pw)] / count;
                        for (int iy = 0; iy < bin.GridH; iy++)
                        {
                            for (int ix = 0; ix < bin.GridW; ix++)
                            {
                                var s = bin.At<T>(ph, pw, iy, ix, h, w);
                                if (!s.Inside)
                                {
                                    continue;
                                }

                                s.Spread(gradInput, layout, c, h, w, b, ch, g);
                            }
                        }
                    }
                }
            }
        }

    }

    private static (int N, int C, int H, int W, int K) Validate<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int inputLength,
        ReadOnlySpan<T> rois, ReadOnlySpan<long> batchIndices, in RoiAlignOptions o, int outputLength, string outputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("RoIAlign");
        var (n, c, h, w) = RegionPooling.CheckInput(layout, inputShape, inputLength, o.OutputHeight, o.OutputWidth, o.SpatialScale);
        int k = RegionPooling.CheckRois(rois, batchIndices, n);
        ThrowHelper.CheckLength(outputName, outputLength, (long)k * c * o.OutputHeight * o.OutputWidth, outputName);
        return (n, c, h, w, k);
    }
}
