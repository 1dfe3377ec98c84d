using System.Text.Json;
using NeuralPool.Geometry;
using NeuralPool.Interop;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// ONNX pooling operators (latest opset) with ONNX defaults: strides 1, pads 0, dilations 1, auto_pad NOTSET,
/// ceil_mode 0, count_include_pad 0, storage_order 0, p 2. The spatial rank follows the input (N, C, spatial).
/// </summary>
internal static class OnnxOperators
{
    public static readonly string[] Names =
        ["MaxPool", "AveragePool", "LpPool", "GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool", "MaxUnpool", "MaxRoiPool", "RoiAlign"];

    private static readonly string[] SlidingAttributes = ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"];

    /// <summary>Resolves an ONNX node; <paramref name="outputCount"/> is the number of node outputs (MaxPool's optional Indices).</summary>
    public static PoolOperator Resolve(string op, IReadOnlyDictionary<string, JsonElement> attributes, bool grad, int outputCount)
    {
        return op switch
        {
            "MaxPool" => MaxPool(attributes, grad, outputCount),
            "AveragePool" => AveragePool(attributes, grad),
            "LpPool" => LpPool(attributes, grad),
            "GlobalMaxPool" => Global(op, attributes, grad, (g, x) => PoolKernels.MaxForward(op, g, x), (g, x, gy) => PoolKernels.MaxBackward(op, g, x, gy)),
            "GlobalAveragePool" => Global(op, attributes, grad, (g, x) => PoolKernels.AvgForward(op, g, x, false, null), (g, x, gy) => PoolKernels.AvgBackward(op, g, x, gy, false, null)),
            "GlobalLpPool" => GlobalLpPool(attributes, grad),
            "MaxUnpool" => MaxUnpool(attributes, grad),
            "MaxRoiPool" => MaxRoiPool(attributes, grad),
            "RoiAlign" => RoiAlign(attributes, grad),
            _ => throw new UnsupportedOperatorException($"ONNX operator '{op}' is not supported (supported: {string.Join(", ", Names)})."),
        };
    }

    /// <summary>The parsed sliding-window attributes shared by MaxPool, AveragePool and LpPool.</summary>
    private sealed record Sliding(int[] Kernel, int[] Strides, int[] Pads, int[] Dilations, AutoPad AutoPad, bool CeilMode)
    {
        public static Sliding Read(string op, AttributeReader a) => new(
            a.RequiredInts("kernel_shape"), a.Ints("strides"), a.Ints("pads"), a.Ints("dilations"),
            ParseAutoPad(op, a.String("auto_pad")), a.Bool("ceil_mode", false));

        public PoolGeometry Geometry(NpyArray x, TensorLayout layout) =>
            PoolGeometry.Onnx(x.Shape, layout, Kernel, Strides, Pads, Dilations, AutoPad, CeilMode);
    }

    private static AutoPad ParseAutoPad(string op, string? value) => value switch
    {
        null or "" or "NOTSET" => AutoPad.NotSet,
        "SAME_UPPER" => AutoPad.SameUpper,
        "SAME_LOWER" => AutoPad.SameLower,
        "VALID" => AutoPad.Valid,
        _ => throw new OperatorException($"{op}: auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '{value}'."),
    };

    private static PoolOperator MaxPool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad, int outputCount)
    {
        const string op = "MaxPool";
        var a = new AttributeReader(op, attributes, [.. SlidingAttributes, "storage_order"]);
        var w = Sliding.Read(op, a);
        var encoding = (a.Int("storage_order") ?? 0) switch
        {
            0 => IndexEncoding.OnnxRowMajor,
            1 => IndexEncoding.OnnxColumnMajor,
            var v => throw new OperatorException($"{op}: storage_order must be 0 or 1, got {v}."),
        };

        if (grad)
        {
            return Backward(op, (x, gy, layout) => PoolKernels.MaxBackward(op, w.Geometry(x, layout), x, gy));
        }

        if (outputCount is < 1 or > 2)
        {
            throw new OperatorException($"{op} has 1 or 2 outputs (Y, Indices), got {outputCount}.");
        }

        return Forward(op, outputCount == 2 ? ["Y", "Indices"] : ["Y"], (x, layout) =>
        {
            var g = w.Geometry(x, layout);
            if (outputCount == 1)
            {
                return [PoolKernels.MaxForward(op, g, x)];
            }

            var (values, indices) = PoolKernels.MaxForwardWithIndices(op, g, x, encoding);
            return [values, indices];
        });
    }

    private static PoolOperator AveragePool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "AveragePool";
        var a = new AttributeReader(op, attributes, [.. SlidingAttributes, "count_include_pad"]);
        var w = Sliding.Read(op, a);
        bool countIncludePad = a.Bool("count_include_pad", false);
        if (grad)
        {
            return Backward(op, (x, gy, layout) => PoolKernels.AvgBackward(op, w.Geometry(x, layout), x, gy, countIncludePad, null));
        }

        return Forward(op, ["Y"], (x, layout) => [PoolKernels.AvgForward(op, w.Geometry(x, layout), x, countIncludePad, null)]);
    }

    private static PoolOperator LpPool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "LpPool";
        var a = new AttributeReader(op, attributes, [.. SlidingAttributes, "p"]);
        var w = Sliding.Read(op, a);
        double p = a.Int("p") ?? 2;
        if (grad)
        {
            return Backward(op, (x, gy, layout) => PoolKernels.LpBackward(op, w.Geometry(x, layout), x, gy, p, LpFlavor.Onnx));
        }

        return Forward(op, ["Y"], (x, layout) => [PoolKernels.LpForward(op, w.Geometry(x, layout), x, p, LpFlavor.Onnx)]);
    }

    private static PoolOperator Global(string op, IReadOnlyDictionary<string, JsonElement> attributes, bool grad,
        Func<PoolGeometry, NpyArray, NpyArray> forward, Func<PoolGeometry, NpyArray, NpyArray, NpyArray> backward)
    {
        _ = new AttributeReader(op, attributes);
        if (grad)
        {
            return Backward(op, (x, gy, layout) => backward(PoolGeometry.Global(x.Shape, layout), x, gy));
        }

        return Forward(op, ["Y"], (x, layout) => [forward(PoolGeometry.Global(x.Shape, layout), x)]);
    }

    private static PoolOperator GlobalLpPool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "GlobalLpPool";
        var a = new AttributeReader(op, attributes, "p");
        double p = a.Int("p") ?? 2;
        if (grad)
        {
            return Backward(op, (x, gy, layout) => PoolKernels.LpBackward(op, PoolGeometry.Global(x.Shape, layout), x, gy, p, LpFlavor.Onnx));
        }

        return Forward(op, ["Y"], (x, layout) => [PoolKernels.LpForward(op, PoolGeometry.Global(x.Shape, layout), x, p, LpFlavor.Onnx)]);
    }

    private static PoolOperator MaxUnpool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "MaxUnpool";
        var a = new AttributeReader(op, attributes, "kernel_shape", "pads", "strides");
        int[] kernel = a.RequiredInts("kernel_shape"), strides = a.Ints("strides"), pads = a.Ints("pads");
        var names = grad ? new[] { "X", "I", "output_shape", "grad_output" } : ["X", "I", "output_shape"];
        return new PoolOperator
        {
            Name = grad ? op + " backward" : op,
            InputNames = names,
            OptionalInputs = 1,
            NonActivationInputs = new HashSet<string>(["output_shape"], StringComparer.Ordinal),
            OutputNames = grad ? ["grad_X"] : ["output"],
            Body = (inputs, layout) =>
            {
                var x = inputs[0];
                bool hasShape = inputs.Count == (grad ? 4 : 3);
                int[] spatial = hasShape
                    ? RequestedSpatial(x, layout, inputs[2])
                    : InferredSpatial(PoolKernels.Spatial(layout, x.Shape), kernel, strides, pads);
                return grad
                    ? [PoolKernels.UnpoolBackward(op, layout, x, inputs[1], spatial, inputs[^1], IndexEncoding.OnnxRowMajor)]
                    : [PoolKernels.UnpoolForward(op, layout, x, inputs[1], spatial, IndexEncoding.OnnxRowMajor)];
            },
        };
    }

    /// <summary>MaxRoiPool: the spec gives no algorithm; NeuralPool uses torchvision's roi_pool arithmetic (docs/semantics.md).</summary>
    private static PoolOperator MaxRoiPool(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "MaxRoiPool";
        var a = new AttributeReader(op, attributes, "pooled_shape", "spatial_scale");
        int[] shape = a.RequiredInts("pooled_shape");
        if (shape.Length != 2)
        {
            throw new OperatorException($"{op}: pooled_shape must be two integers (height, width), got {AttributeReader.Format(shape)}.");
        }

        var options = new RoiPoolOptions(shape[0], shape[1], a.Double("spatial_scale") ?? 1.0);
        return new PoolOperator
        {
            Name = grad ? op + " backward" : op,
            InputNames = grad ? ["X", "rois", "grad_output"] : ["X", "rois"],
            NonActivationInputs = new HashSet<string>(["rois"], StringComparer.Ordinal),
            OutputNames = grad ? ["grad_X"] : ["Y"],
            Body = (inputs, layout) => grad
                ? [PoolKernels.RoiPoolBackward(op, layout, inputs[0], inputs[1], options, inputs[2])]
                : [PoolKernels.RoiPoolForward(op, layout, inputs[0], inputs[1], options)],
        };
    }

    private static PoolOperator RoiAlign(IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        const string op = "RoiAlign";
        var a = new AttributeReader(op, attributes, "coordinate_transformation_mode", "mode", "output_height", "output_width", "sampling_ratio", "spatial_scale");
        var mode = (a.String("mode") ?? "avg") switch
        {
            "avg" => RoiAlignMode.Average,
            "max" => RoiAlignMode.Max,
            var v => throw new OperatorException($"{op}: mode must be avg or max, got '{v}'."),
        };
        bool aligned = (a.String("coordinate_transformation_mode") ?? "half_pixel") switch
        {
            "half_pixel" => true,
            "output_half_pixel" => false,
            var v => throw new OperatorException($"{op}: coordinate_transformation_mode must be half_pixel or output_half_pixel, got '{v}'."),
        };
        var options = new RoiAlignOptions(a.Int("output_height") ?? 1, a.Int("output_width") ?? 1, a.Double("spatial_scale") ?? 1.0,
            a.Int("sampling_ratio") ?? 0, aligned, mode);
        return new PoolOperator
        {
            Name = grad ? op + " backward" : op,
            InputNames = grad ? ["X", "rois", "batch_indices", "grad_output"] : ["X", "rois", "batch_indices"],
            NonActivationInputs = new HashSet<string>(["rois", "batch_indices"], StringComparer.Ordinal),
            OutputNames = grad ? ["grad_X"] : ["Y"],
            Body = (inputs, layout) => grad
                ? [PoolKernels.RoiAlignBackward(op, layout, inputs[0], inputs[1], inputs[2], options, inputs[3])]
                : [PoolKernels.RoiAlignForward(op, layout, inputs[0], inputs[1], inputs[2], options)],
        };
    }

    /// <summary>ONNX MaxUnpool's default output extent: <c>(in - 1)·stride + kernel - pad_begin - pad_end</c>.</summary>
    public static int[] InferredSpatial(int[] inputSpatial, int[] kernel, int[] strides, int[] pads)
    {
        int rank = inputSpatial.Length;
        if (kernel.Length != rank || (strides.Length != 0 && strides.Length != rank) || (pads.Length != 0 && pads.Length != 2 * rank))
        {
            throw new OperatorException($"MaxUnpool: kernel_shape {AttributeReader.Format(kernel)}, strides {AttributeReader.Format(strides)} and pads {AttributeReader.Format(pads)} do not match {rank} spatial axes.");
        }

        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int s = strides.Length == 0 ? 1 : strides[i];
            int pb = pads.Length == 0 ? 0 : pads[i], pe = pads.Length == 0 ? 0 : pads[i + rank];
            if (kernel[i] <= 0 || s <= 0 || pb < 0 || pe < 0)
            {
                throw new OperatorException($"MaxUnpool: kernel_shape and strides must be positive and pads non-negative, got kernel_shape {AttributeReader.Format(kernel)}, strides {AttributeReader.Format(strides)}, pads {AttributeReader.Format(pads)}.");
            }

            result[i] = ((inputSpatial[i] - 1) * s) + kernel[i] - pb - pe;
        }

        return result;
    }

    private static int[] RequestedSpatial(NpyArray x, TensorLayout layout, NpyArray outputShape)
    {
        if (outputShape.DType != NpyDType.Int64 || outputShape.Shape.Length != 1)
        {
            throw new OperatorException($"MaxUnpool: output_shape must be a 1-D int64 tensor, got {PoolKernels.Name(outputShape)} of shape {AttributeReader.Format(outputShape.Shape)}.");
        }

        long[] full = outputShape.GetData<long>();
        int[] shape = x.Shape;
        int n = shape[0], c = layout == TensorLayout.ChannelsFirst ? shape[1] : shape[^1];
        if (full.Length != shape.Length || full[0] != n || full[1] != c || full.Skip(2).Any(v => v < 0 || v > int.MaxValue))
        {
            throw new OperatorException($"MaxUnpool: output_shape ({string.Join(", ", full)}) must be N, C and the spatial sizes of an input with N = {n}, C = {c} and {shape.Length - 2} spatial axes.");
        }

        return full.Skip(2).Select(v => (int)v).ToArray();
    }

    private static PoolOperator Forward(string op, string[] outputs, Func<NpyArray, TensorLayout, NpyArray[]> body) => new()
    {
        Name = op,
        InputNames = ["X"],
        OutputNames = outputs,
        Body = (inputs, layout) => body(inputs[0], layout),
    };

    private static PoolOperator Backward(string op, Func<NpyArray, NpyArray, TensorLayout, NpyArray> body) => new()
    {
        Name = op + " backward",
        InputNames = ["X", "grad_output"],
        OutputNames = ["grad_X"],
        Body = (inputs, layout) => [body(inputs[0], inputs[1], layout)],
    };
}
