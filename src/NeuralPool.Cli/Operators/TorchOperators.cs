using System.Text.Json;
using NeuralPool.Geometry;
using NeuralPool.Interop;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// <c>torch.nn.functional</c> pooling functions with PyTorch's parameter names and defaults: stride absent or
/// null means the kernel size, padding 0, dilation 1, count_include_pad true; a scalar may be a number or a list.
/// </summary>
internal static class TorchOperators
{
    public static readonly string[] Names =
    [
        .. Family("max_pool"), .. Family("avg_pool"), .. Family("lp_pool"),
        .. Family("adaptive_max_pool"), .. Family("adaptive_avg_pool"), .. Family("max_unpool"),
        "fractional_max_pool2d", "fractional_max_pool3d",
    ];

    public static PoolOperator Resolve(string op, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        if (!Names.Contains(op, StringComparer.Ordinal))
        {
            throw new UnsupportedOperatorException($"torch operator '{op}' is not supported (supported: {string.Join(", ", Names)}).");
        }

        int rank = op[^2] - '0';
        string family = op[..^2];
        return family switch
        {
            "max_pool" => MaxPool(op, rank, attributes, grad),
            "avg_pool" => AvgPool(op, rank, attributes, grad),
            "lp_pool" => LpPool(op, rank, attributes, grad),
            "adaptive_max_pool" => AdaptiveMaxPool(op, rank, attributes, grad),
            "adaptive_avg_pool" => AdaptiveAvgPool(op, rank, attributes, grad),
            "fractional_max_pool" => FractionalMaxPool(op, rank, attributes, grad),
            _ => MaxUnpool(op, rank, attributes, grad),
        };
    }

    private static IEnumerable<string> Family(string name) => [name + "1d", name + "2d", name + "3d"];

    private static PoolOperator MaxPool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        var a = new AttributeReader(op, attributes, "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices");
        int[] k = a.RequiredInts("kernel_size"), s = a.Ints("stride"), p = a.Ints("padding"), d = a.Ints("dilation");
        bool ceil = a.Bool("ceil_mode", false), returnIndices = a.Bool("return_indices", false);
        return Max(op, rank, grad, returnIndices, (x, layout) => PoolGeometry.Torch(x.Shape, layout, rank, k, s, p, d, ceil, TorchPoolKind.Max));
    }

    /// <summary>Max pooling over any geometry (sliding or adaptive): forward with optional plane-local indices, or the gradient.</summary>
    private static PoolOperator Max(string op, int rank, bool grad, bool returnIndices, Func<NpyArray, TensorLayout, PoolGeometry> geometry)
    {
        if (grad)
        {
            return Backward(op, rank, (x, gy, layout) => PoolKernels.MaxBackward(op, geometry(x, layout), x, gy));
        }

        return Forward(op, rank, returnIndices, (x, layout) =>
        {
            var g = geometry(x, layout);
            if (!returnIndices)
            {
                return [PoolKernels.MaxForward(op, g, x)];
            }

            var (values, indices) = PoolKernels.MaxForwardWithIndices(op, g, x, IndexEncoding.Plane);
            return [values, indices];
        });
    }

    private static PoolOperator AvgPool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        // avg_pool1d has no divisor_override in PyTorch.
        string[] known = rank == 1
            ? ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]
            : ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"];
        var a = new AttributeReader(op, attributes, known);
        int[] k = a.RequiredInts("kernel_size"), s = a.Ints("stride"), p = a.Ints("padding");
        bool ceil = a.Bool("ceil_mode", false), countIncludePad = a.Bool("count_include_pad", true);
        int? divisor = a.Int("divisor_override");
        PoolGeometry Geometry(NpyArray x, TensorLayout layout) =>
            PoolGeometry.Torch(x.Shape, layout, rank, k, s, p, [], ceil, TorchPoolKind.Average);

        if (grad)
        {
            return Backward(op, rank, (x, gy, layout) => PoolKernels.AvgBackward(op, Geometry(x, layout), x, gy, countIncludePad, divisor));
        }

        return Forward(op, rank, false, (x, layout) => [PoolKernels.AvgForward(op, Geometry(x, layout), x, countIncludePad, divisor)]);
    }

    private static PoolOperator LpPool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        var a = new AttributeReader(op, attributes, "norm_type", "kernel_size", "stride", "ceil_mode");
        double normType = a.Double("norm_type") ?? throw new OperatorException($"{op}: attribute 'norm_type' is required.");
        int[] k = a.RequiredInts("kernel_size"), s = a.Ints("stride");
        bool ceil = a.Bool("ceil_mode", false);
        PoolGeometry Geometry(NpyArray x, TensorLayout layout) =>
            PoolGeometry.Torch(x.Shape, layout, rank, k, s, [], [], ceil, TorchPoolKind.Power);

        if (grad)
        {
            return Backward(op, rank, (x, gy, layout) => PoolKernels.LpBackward(op, Geometry(x, layout), x, gy, normType, LpFlavor.Torch));
        }

        return Forward(op, rank, false, (x, layout) => [PoolKernels.LpForward(op, Geometry(x, layout), x, normType, LpFlavor.Torch)]);
    }

    private static PoolOperator AdaptiveMaxPool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        var a = new AttributeReader(op, attributes, "output_size", "return_indices");
        int[] size = a.RequiredInts("output_size", allowNone: true);
        bool returnIndices = a.Bool("return_indices", false);
        return Max(op, rank, grad, returnIndices, (x, layout) => PoolGeometry.Adaptive(x.Shape, layout, rank, size));
    }

    private static PoolOperator AdaptiveAvgPool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        var a = new AttributeReader(op, attributes, "output_size");
        int[] size = a.RequiredInts("output_size", allowNone: true);
        PoolGeometry Geometry(NpyArray x, TensorLayout layout) => PoolGeometry.Adaptive(x.Shape, layout, rank, size);

        if (grad)
        {
            return Backward(op, rank, (x, gy, layout) => PoolKernels.AvgBackward(op, Geometry(x, layout), x, gy, true, null));
        }

        return Forward(op, rank, false, (x, layout) => [PoolKernels.AvgForward(op, Geometry(x, layout), x, true, null)]);
    }

    private static PoolOperator MaxUnpool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        var a = new AttributeReader(op, attributes, "kernel_size", "stride", "padding", "output_size");
        int[] k = a.RequiredInts("kernel_size"), s = a.Ints("stride"), p = a.Ints("padding"), size = a.Ints("output_size");
        int[] OutputSpatial(NpyArray x, TensorLayout layout) =>
            NeuralPool.Operators.MaxUnpool.TorchOutputSize(PoolKernels.Spatial(layout, x.Shape), k, s, p, size);

        if (grad)
        {
            return new PoolOperator
            {
                Name = op + " backward",
                InputNames = ["input", "indices", "grad_output"],
                OutputNames = ["grad_input"],
                SpatialRank = rank,
                Body = (inputs, layout) =>
                    [PoolKernels.UnpoolBackward(op, layout, inputs[0], inputs[1], OutputSpatial(inputs[0], layout), inputs[2], IndexEncoding.Plane)],
            };
        }

        return new PoolOperator
        {
            Name = op,
            InputNames = ["input", "indices"],
            OutputNames = ["output"],
            SpatialRank = rank,
            Body = (inputs, layout) =>
                [PoolKernels.UnpoolForward(op, layout, inputs[0], inputs[1], OutputSpatial(inputs[0], layout), IndexEncoding.Plane)],
        };
    }

    /// <summary><c>fractional_max_pool2d/3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples)</c>; the samples are the second input.</summary>
    private static PoolOperator FractionalMaxPool(string op, int rank, IReadOnlyDictionary<string, JsonElement> attributes, bool grad)
    {
        var a = new AttributeReader(op, attributes, "kernel_size", "output_size", "output_ratio", "return_indices");
        int[] k = a.RequiredInts("kernel_size"), size = a.Ints("output_size");
        double[] ratio = a.Doubles("output_ratio");
        bool returnIndices = a.Bool("return_indices", false);
        if ((size.Length == 0) == (ratio.Length == 0))
        {
            throw new OperatorException($"{op}: give exactly one of output_size and output_ratio.");
        }

        int[] OutputSize(NpyArray x, TensorLayout layout)
        {
            int[] spatial = PoolKernels.Spatial(layout, x.Shape);
            int[] given = size.Length != 0 ? size : NeuralPool.Operators.FractionalMaxPool.OutputSize(spatial, Expand(ratio, rank));
            return given.Length == 1 ? [.. Enumerable.Repeat(given[0], rank)] : given;
        }

        return new PoolOperator
        {
            Name = grad ? op + " backward" : op,
            InputNames = grad ? ["input", "_random_samples", "grad_output"] : ["input", "_random_samples"],
            NonActivationInputs = new HashSet<string>(["_random_samples"], StringComparer.Ordinal),
            OutputNames = grad ? ["grad_input"] : returnIndices ? ["output", "indices"] : ["output"],
            SpatialRank = rank,
            Body = (inputs, layout) => grad
                ? [PoolKernels.FractionalBackward(op, layout, inputs[0], inputs[1], k, OutputSize(inputs[0], layout), inputs[2])]
                : PoolKernels.FractionalForward(op, layout, inputs[0], inputs[1], k, OutputSize(inputs[0], layout), returnIndices),
        };
    }

    private static double[] Expand(double[] values, int rank) => values.Length == 1 ? [.. Enumerable.Repeat(values[0], rank)] : values;

    private static PoolOperator Forward(string op, int rank, bool indices, Func<NpyArray, TensorLayout, NpyArray[]> body) => new()
    {
        Name = op,
        InputNames = ["input"],
        OutputNames = indices ? ["output", "indices"] : ["output"],
        SpatialRank = rank,
        Body = (inputs, layout) => body(inputs[0], layout),
    };

    private static PoolOperator Backward(string op, int rank, Func<NpyArray, NpyArray, TensorLayout, NpyArray> body) => new()
    {
        Name = op + " backward",
        InputNames = ["input", "grad_output"],
        OutputNames = ["grad_input"],
        SpatialRank = rank,
        Body = (inputs, layout) => [body(inputs[0], inputs[1], layout)],
    };
}
