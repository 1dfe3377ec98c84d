using System.Numerics;
using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>Parameters of <see cref="PsRoiAlign"/>.</summary>
/// <param name="OutputHeight">Bins per RoI vertically.</param>
/// <param name="OutputWidth">Bins per RoI horizontally.</param>
/// <param name="SpatialScale">Factor from box coordinates to input coordinates.</param>
/// <param name="SamplingRatio">Samples per bin and axis; 0 or negative: <c>ceil(roi extent / bins)</c>.</param>
public readonly record struct PsRoiAlignOptions(int OutputHeight, int OutputWidth, double SpatialScale = 1.0, int SamplingRatio = -1);

/// <summary>
/// Position-sensitive RoIAlign (R-FCN's position-sensitive pooling with RoIAlign sampling, Light-Head R-CNN;
/// torchvision <c>ps_roi_align</c>). The input has <c>C = C_out · OH · OW</c> channels; output (k, c, i, j)
/// averages the bilinear samples of bin (i, j) of RoI k in input channel <c>(c·OH + i)·OW + j</c>. As in
/// torchvision the boxes are always shifted by -0.5 (half pixel) with no minimum size, and the average divides
/// by <c>gh·gw</c> with no lower bound, so an adaptive grid on an empty RoI gives 0/0 = NaN. Gradient: each
/// sample sends <c>dy·w_corner / (gh·gw)</c> to its four corners in that channel; Backward overwrites
/// <c>gradInput</c>. Output: (K, C_out, OH, OW), or (K, OH, OW, C_out) channels-last.
/// </summary>
public static class PsRoiAlign
{
    /// <summary>Forward.</summary>
    /// <param name="layout">Layout of input and output.</param>
    /// <param name="inputShape">(N, C, H, W) or (N, H, W, C), C a multiple of OH·OW.</param>
    /// <param name="input">Feature map.</param>
    /// <param name="rois">K × 4 boxes (x1, y1, x2, y2) before <see cref="PsRoiAlignOptions.SpatialScale"/>.</param>
    /// <param name="batchIndices">K batch indices.</param>
    /// <param name="options">Parameters.</param>
    /// <param name="output">Receives K × C_out × OH × OW values.</param>
    /// <exception cref="ArgumentException">A shape, length, batch index or parameter is invalid; nothing is written then.</exception>
    public static void Forward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> input, ReadOnlySpan<T> rois,
        ReadOnlySpan<long> batchIndices, in PsRoiAlignOptions options, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (c, cOut, h, w, k) = Validate(layout, inputShape, input.Length, rois, batchIndices, options, output.Length, nameof(output));
        int oh = options.OutputHeight, ow = options.OutputWidth;
        for (int r = 0; r < k; r++)
        {
            var bin = RegionPooling.Bins(rois.Slice(r * 4, 4), options.SpatialScale, aligned: true, oh, ow, options.SamplingRatio);
            T count = T.CreateChecked(bin.GridH * bin.GridW);
            long b = batchIndices[r];
            for (int co = 0; co < cOut; co++)
            {
                for (int ph = 0; ph < oh; ph++)
                {
                    for (int pw = 0; pw < ow; pw++)
                    {
                        int ci = (((co * oh) + ph) * ow) + pw;
                        T acc = T.Zero;
                        for (int iy = 0; iy < bin.GridH; iy++)
                        {
                            for (int ix = 0; ix < bin.GridW; ix++)
                            {
                                var s = bin.At<T>(ph, pw, iy, ix, h, w);
                                if (s.Inside)
                                {
                                    acc += s.Interpolate(input, layout, c, h, w, b, ci);
                                }
                            }
                        }

                        output[RegionPooling.OutIndex(layout, cOut, oh, ow, r, co, ph, pw)] = acc / count;
                    }
                }
            }
        }
    }

    /// <summary>Gradient with respect to the feature map, overwriting <paramref name="gradInput"/>.</summary>
    /// <exception cref="ArgumentException">A shape, length, batch index or parameter is invalid; nothing is written then.</exception>
    public static void Backward<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, ReadOnlySpan<T> rois, ReadOnlySpan<long> batchIndices,
        in PsRoiAlignOptions options, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (c, cOut, h, w, k) = Validate(layout, inputShape, gradInput.Length, rois, batchIndices, options, gradOutput.Length, nameof(gradOutput));
        int oh = options.OutputHeight, ow = options.OutputWidth;
        gradInput.Clear();
        for (int r = 0; r < k; r++)
        {
            var bin = RegionPooling.Bins(rois.Slice(r * 4, 4), options.SpatialScale, aligned: true, oh, ow, options.SamplingRatio);
            T count = T.CreateChecked(bin.GridH * bin.GridW);
            long b = batchIndices[r];
            for (int co = 0; co < cOut; co++)
            {
                for (int ph = 0; ph < oh; ph++)
                {
                    for (int pw = 0; pw < ow; pw++)
                    {
                        int ci = (((co * oh) + ph) * ow) + pw;
                        T g = gradOutput[RegionPooling.OutIndex(layout, cOut, oh, ow, r, co, ph, pw)] / count;
                        for (int iy = 0; iy < bin.GridH; iy++)
                        {
                            for (int ix = 0; ix < bin.GridW; ix++)
                            {
                                var s = bin.At<T>(ph, pw, iy, ix, h, w);
                                if (!s.Inside)
                                {
                                    continue;
                                }

                                s.Spread(gradInput, layout, c, h, w, b, ci, g);
                            }
                        }
                    }
                }
            }
        }
    }

    private static (int C, int COut, int H, int W, int K) Validate<T>(TensorLayout layout, ReadOnlySpan<int> inputShape, int inputLength,
        ReadOnlySpan<T> rois, ReadOnlySpan<long> batchIndices, in PsRoiAlignOptions o, int outputLength, string outputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.FloatType<T>("position-sensitive RoIAlign");
        var (n, c, h, w) = RegionPooling.CheckInput(layout, inputShape, inputLength, o.OutputHeight, o.OutputWidth, o.SpatialScale);
        int bins = o.OutputHeight * o.OutputWidth;
        if (c % bins != 0)
        {
            ThrowHelper.Argument(nameof(inputShape), $"input channels ({c}) must be a multiple of the output bins ({o.OutputHeight} x {o.OutputWidth} = {bins}).");
        }

        int k = RegionPooling.CheckRois(rois, batchIndices, n);
        ThrowHelper.CheckLength(outputName, outputLength, (long)k * (c / bins) * bins, outputName);
        return (c, c / bins, h, w, k);
    }
}
