using System.Text.Json;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// <c>torchvision.ops</c> region pooling with torchvision's names and defaults: <c>roi_pool(input, boxes,
/// output_size, spatial_scale=1.0)</c>, <c>roi_align(input, boxes, output_size, spatial_scale=1.0,
/// sampling_ratio=-1, aligned=False)</c> and <c>ps_roi_align(input, boxes, output_size, spatial_scale=1.0,
/// sampling_ratio=-1)</c>, boxes as a K × 5 tensor (batch, x1, y1, x2, y2).
/// </summary>
internal static class TorchvisionOperators
{
    public static readonly string[] Names = ["roi_pool", "roi_align", "ps_roi_align"];

    public static PoolOperator Resolve(string opType, IReadOnlyDictionary<string, JsonElement> attributes, bool grad) => opType switch
    {
        "roi_pool" => RoiPool(attributes, grad),
        "roi_align" => RoiAlign(attributes, grad),
        "ps_roi_align" => PsRoiAlign(attributes, grad),
        _ => throw new UnsupportedOperatorException($"torchvision operator '{opType}' is not implemented (supported: {string.Join(", ", Names)})."),
    };

    private static (int Height, int Width) OutputSize(string op, AttributeReader a)
    {
        int[] size = a.RequiredInts("output_size");
        return size.Length switch
        {
            1 => (size[0], size[0]),
            2 => (size[0], size[1]),
            _ => throw new OperatorException($"{op}: output_size must be one or two integers, got {AttributeReader.Format(size)}."),
        };
    }

    private static PoolOperator RoiPool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "roi_pool";
        var a = new AttributeReader(op, attributes, "output_size", "spatial_scale");
        var (oh, ow) = OutputSize(op, a);
        var options = new RoiPoolOptions(oh, ow, a.Double("spatial_scale") ?? 1.0);
        return Region(op, grad, (inputs, layout) => grad
            ? [PoolKernels.RoiPoolBackward(op, layout, inputs[0], inputs[1], options, inputs[2])]
            : [PoolKernels.RoiPoolForward(op, layout, inputs[0], inputs[1], options)]);
    }

    private static PoolOperator RoiAlign(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "roi_align";
        var a = new AttributeReader(op, attributes, "output_size", "spatial_scale", "sampling_ratio", "aligned");
        var (oh, ow) = OutputSize(op, a);
        var options = new RoiAlignOptions(oh, ow, a.Double("spatial_scale") ?? 1.0, a.Int("sampling_ratio") ?? -1, a.Bool("aligned", false));
        return Region(op, grad, (inputs, layout) =>
        {
            var (rois, batch) = PoolKernels.SplitBoxes(op, inputs[0], inputs[1]);
            return grad
                ? [PoolKernels.RoiAlignBackward(op, layout, inputs[0], rois, batch, options, inputs[2])]
                : [PoolKernels.RoiAlignForward(op, layout, inputs[0], rois, batch, options)];
        });
    }

    private static PoolOperator PsRoiAlign(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "ps_roi_align";
        var a = new AttributeReader(op, attributes, "output_size", "spatial_scale", "sampling_ratio");
        var (oh, ow) = OutputSize(op, a);
        var options = new PsRoiAlignOptions(oh, ow, a.Double("spatial_scale") ?? 1.0, a.Int("sampling_ratio") ?? -1);
        return Region(op, grad, (inputs, layout) =>
        {
            var (rois, batch) = PoolKernels.SplitBoxes(op, inputs[0], inputs[1]);
            return grad
                ? [PoolKernels.PsRoiAlignBackward(op, layout, inputs[0], rois, batch, options, inputs[2])]
                : [PoolKernels.PsRoiAlignForward(op, layout, inputs[0], rois, batch, options)];
        });
    }

    private static PoolOperator Region(string op, bool grad, OperatorBody body) => new()
    {
        Name = grad ? op + " backward" : op,
        InputNames = grad ? ["input", "boxes", "grad_output"] : ["input", "boxes"],
        NonActivationInputs = new HashSet<string>(["boxes"], StringComparer.Ordinal),
        OutputNames = grad ? ["grad_input"] : ["output"],
        SpatialRank = 2,
        Body = body,
    };
}
