using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NeuralPool.Cli.Operators;
using NeuralPool.Cli.Tensors;
using NeuralPool.Interop;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool apply --op NAME --input x.npy --output y.npy [attribute options]</c>: runs one operator on .npy files,
/// forward and/or backward. Attribute options become the operator's attributes (torch or ONNX names) and go
/// through the same catalog as <c>conform</c>. Outputs are written only after every computation succeeded.
/// </summary>
internal static class ApplyCommand
{
    private sealed class Options
    {
        public Option<string> Op { get; } = new("--op") { Description = "Operator: a torch.nn.functional name (max_pool2d, avg_pool1d, lp_pool3d, adaptive_max_pool2d, max_unpool2d, fractional_max_pool2d, ...), a torchvision.ops name (roi_pool, roi_align, ps_roi_align) or an ONNX name (MaxPool, AveragePool, LpPool, GlobalMaxPool, GlobalAveragePool, GlobalLpPool, MaxUnpool, MaxRoiPool, RoiAlign).", Required = true };

        public Option<string?> Domain { get; } = new("--domain") { Description = "torch, torchvision or onnx (default: onnx for ONNX operator names, torchvision for its region operators, else torch)." };

        public Option<string> Input { get; } = new("--input") { Description = "Input tensor (.npy): N, C, spatial (nchw) or N, spatial, C (nhwc).", Required = true };

        public Option<string?> Indices { get; } = new("--indices") { Description = "Max unpooling: the indices input (.npy, int64)." };

        public Option<string?> Output { get; } = new("--output") { Description = "Where to write the forward result (.npy)." };

        public Option<string?> OutputIndices { get; } = new("--output-indices") { Description = "Max pooling: where to write the indices (.npy, int64; torch: plane-local, ONNX: flat over the tensor)." };

        public Option<string> Layout { get; } = new("--layout") { Description = "Memory order of every .npy file: nchw (channels-first, default) or nhwc (channels-last).", DefaultValueFactory = _ => "nchw" };

        public Option<string?> GradOutput { get; } = new("--grad-output") { Description = "Backward: the gradient of the loss with respect to the forward result (.npy)." };

        public Option<string?> GradInput { get; } = new("--grad-input") { Description = "Backward: where to write the gradient with respect to the input (.npy)." };

        public Option<string?> KernelSize { get; } = new("--kernel-size") { Description = "Kernel size: 3 or 3,3 (torch kernel_size, ONNX kernel_shape)." };

        public Option<string?> Stride { get; } = new("--stride") { Description = "Stride: 2 or 2,1 (torch stride, default the kernel size; ONNX strides, default 1)." };

        public Option<string?> Padding { get; } = new("--padding") { Description = "torch padding on both sides: 1 or 1,0." };

        public Option<string?> Dilation { get; } = new("--dilation") { Description = "Dilation: 1 or 2,2 (torch dilation, ONNX dilations)." };

        public Option<bool> CeilMode { get; } = new("--ceil-mode") { Description = "Round the output size up." };

        public Option<string?> CountIncludePad { get; } = new("--count-include-pad") { Description = "Average pooling: count padding in the divisor, true|false (torch default true, ONNX default false)." };

        public Option<string?> DivisorOverride { get; } = new("--divisor-override") { Description = "torch avg_pool2d/3d: a fixed divisor." };

        public Option<string?> NormType { get; } = new("--norm-type") { Description = "torch lp_pool: the power p (e.g. 2 or 1.5)." };

        public Option<string?> OutputSize { get; } = new("--output-size") { Description = "torch adaptive pooling output size (none keeps an axis: 7,none) or max_unpool output size; ONNX MaxUnpool output_shape (spatial, or N,C,spatial), MaxRoiPool pooled_shape, RoiAlign output height,width." };

        public Option<string?> Pads { get; } = new("--pads") { Description = "ONNX pads: all begins then all ends, e.g. 1,1,1,1." };

        public Option<string?> AutoPad { get; } = new("--auto-pad") { Description = "ONNX auto_pad: NOTSET, SAME_UPPER, SAME_LOWER or VALID." };

        public Option<string?> StorageOrder { get; } = new("--storage-order") { Description = "ONNX MaxPool storage_order: 0 (row-major indices) or 1 (column-major)." };

        public Option<string?> P { get; } = new("--p") { Description = "ONNX LpPool / GlobalLpPool p (default 2)." };

        public Option<string?> Boxes { get; } = new("--boxes") { Description = "Region pooling (torchvision roi_pool, roi_align, ps_roi_align; ONNX MaxRoiPool): the K x 5 boxes (batch, x1, y1, x2, y2); ONNX RoiAlign: the K x 4 rois (x1, y1, x2, y2) (.npy, the input's float type)." };

        public Option<string?> BatchIndices { get; } = new("--batch-indices") { Description = "ONNX RoiAlign: the K batch indices of the rois (.npy, int64)." };

        public Option<string?> Mode { get; } = new("--mode") { Description = "ONNX RoiAlign: avg (default) or max." };

        public Option<string?> RandomSamples { get; } = new("--random-samples") { Description = "torch fractional_max_pool2d/3d: the N x C x rank samples in [0, 1) (.npy, the input's float type)." };

        public Option<string?> OutputRatio { get; } = new("--output-ratio") { Description = "torch fractional_max_pool: output size as a fraction of the input, e.g. 0.5 or 0.5,0.7." };

        public Option<string?> SpatialScale { get; } = new("--spatial-scale") { Description = "Region pooling: factor from box coordinates to input coordinates (default 1)." };

        public Option<string?> SamplingRatio { get; } = new("--sampling-ratio") { Description = "torchvision roi_align / ps_roi_align: samples per bin and axis (default -1: adaptive)." };

        public Option<bool> Aligned { get; } = new("--aligned") { Description = "torchvision roi_align: shift boxes by -0.5 pixel; ONNX RoiAlign: --aligned true is half_pixel (the default), false output_half_pixel." };

        public IEnumerable<Option> All =>
        [
            Op, Domain, Input, Indices, Output, OutputIndices, Layout, GradOutput, GradInput, KernelSize, Stride, Padding, Dilation,
            CeilMode, CountIncludePad, DivisorOverride, NormType, OutputSize, Pads, AutoPad, StorageOrder, P,
            Boxes, BatchIndices, Mode, RandomSamples, OutputRatio, SpatialScale, SamplingRatio, Aligned,
        ];
    }

    public static Command Create(TextWriter stdout)
    {
        var o = new Options();
        o.Layout.AcceptOnlyFromAmong("nchw", "nhwc");
        o.Domain.AcceptOnlyFromAmong("torch", "torchvision", "onnx");
        var command = new Command("apply", "Run one pooling operator on .npy files (forward with --output, backward with --grad-output/--grad-input).");
        foreach (var option in o.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Run(parse, o, stdout));
        return command;
    }

    private static int Run(ParseResult parse, Options o, TextWriter stdout)
    {
        string opName = parse.GetValue(o.Op)!;
        string domain = parse.GetValue(o.Domain) ?? OperatorCatalog.GuessDomain(opName);
        var layout = parse.GetValue(o.Layout) == "nhwc" ? TensorLayout.ChannelsLast : TensorLayout.ChannelsFirst;
        string? output = parse.GetValue(o.Output), outputIndices = parse.GetValue(o.OutputIndices);
        string? gradOutput = parse.GetValue(o.GradOutput), gradInput = parse.GetValue(o.GradInput);
        if (output is null && gradOutput is null)
        {
            throw new CliException("nothing to compute: give --output (forward) and/or --grad-output with --grad-input (backward).");
        }

        if ((gradOutput is null) != (gradInput is null))
        {
            throw new CliException("--grad-output and --grad-input go together.");
        }

        if (outputIndices is not null && output is null)
        {
            throw new CliException("--output-indices needs --output.");
        }

        bool torch = domain is OperatorCatalog.TorchDomain or OperatorCatalog.TorchvisionDomain;
        var attributes = Attributes(parse, o, torch, opName, wantIndices: outputIndices is not null && opName.Contains("max_pool", StringComparison.Ordinal));
        int[]? outputShape = !torch && opName == "MaxUnpool" ? ParseInts(parse, o.OutputSize, allowNone: false) : null;

        // Resolve the operators (attribute errors first), then read every input, then compute; write last.
        var forward = output is null ? null : OperatorCatalog.Resolve(domain, opName, attributes, grad: false, outputCount: outputIndices is null ? 1 : 2);
        if (forward is not null && outputIndices is not null && forward.OutputCount < 2)
        {
            throw new CliException($"--output-indices: {forward.Name} has no indices output.");
        }

        var backward = gradOutput is null ? null : OperatorCatalog.Resolve(domain, opName, attributes, grad: true);
        var x = Read(parse.GetValue(o.Input)!, "--input");
        string? indicesPath = parse.GetValue(o.Indices);
        var indices = indicesPath is null ? null : Read(indicesPath, "--indices");
        string? boxesPath = parse.GetValue(o.Boxes), samplesPath = parse.GetValue(o.RandomSamples), batchPath = parse.GetValue(o.BatchIndices);
        var extras = new Extras(boxesPath is null ? null : Read(boxesPath, "--boxes"), samplesPath is null ? null : Read(samplesPath, "--random-samples"),
            batchPath is null ? null : Read(batchPath, "--batch-indices"));
        var gy = gradOutput is null ? null : Read(gradOutput, "--grad-output");

        var writes = new List<(string Path, NpyArray Array)>();
        if (forward is not null)
        {
            var results = forward.Run(Inputs(forward, x, indices, extras, outputShape, null, layout), layout);
            writes.Add((output!, results[0]));
            if (outputIndices is not null)
            {
                writes.Add((outputIndices, results[1]));
            }
        }

        if (backward is not null)
        {
            var results = backward.Run(Inputs(backward, x, indices, extras, outputShape, gy, layout), layout);
            writes.Add((gradInput!, results[0]));
        }

        foreach (var (path, _) in writes)
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null && !Directory.Exists(folder))
            {
                throw new CliException($"cannot write '{path}': folder '{folder}' does not exist.");
            }
        }

        foreach (var (path, array) in writes)
        {
            Npy.Write(path, array);
            stdout.WriteLine($"wrote {path}: {PoolKernels.Name(array)} {NpyConvert.Shape(array.Shape)}");
        }

        return CliApplication.ExitOk;
    }

    /// <summary>The inputs of region and fractional pooling besides the tensor itself.</summary>
    private sealed record Extras(NpyArray? Boxes, NpyArray? RandomSamples, NpyArray? BatchIndices);

    /// <summary>The operator's inputs in its order, from the files given.</summary>
    private static NpyArray[] Inputs(PoolOperator op, NpyArray x, NpyArray? indices, Extras extras, int[]? outputShape, NpyArray? gy, TensorLayout layout)
    {
        var inputs = new List<NpyArray>();
        bool takesIndices = false, takesBoxes = false, takesSamples = false, takesBatch = false;
        foreach (string name in op.InputNames)
        {
            switch (name)
            {
                case "input" or "X":
                    inputs.Add(x);
                    break;
                case "indices" or "I":
                    takesIndices = true;
                    inputs.Add(indices ?? throw new CliException($"{op.Name} needs --indices."));
                    break;
                case "output_shape":
                    if (outputShape is not null)
                    {
                        inputs.Add(FullShape(outputShape, x, layout));
                    }

                    break;
                case "grad_output":
                    inputs.Add(gy!);
                    break;
                case "boxes" or "rois":
                    takesBoxes = true;
                    inputs.Add(extras.Boxes ?? throw new CliException($"{op.Name} needs --boxes."));
                    break;
                case "batch_indices":
                    takesBatch = true;
                    inputs.Add(extras.BatchIndices ?? throw new CliException($"{op.Name} needs --batch-indices."));
                    break;
                case "_random_samples":
                    takesSamples = true;
                    inputs.Add(extras.RandomSamples ?? throw new CliException($"{op.Name} needs --random-samples."));
                    break;
                default:
                    throw new CliException($"{op.Name}: input '{name}' cannot be given on the command line.");
            }
        }

        if (indices is not null && !takesIndices)
        {
            throw new CliException($"--indices: {op.Name} takes no indices input.");
        }

        foreach (var (given, taken, option) in new[]
        {
            (extras.Boxes, takesBoxes, "--boxes"), (extras.RandomSamples, takesSamples, "--random-samples"), (extras.BatchIndices, takesBatch, "--batch-indices"),
        })
        {
            if (given is not null && !taken)
            {
                throw new CliException($"{option}: {op.Name} takes no such input.");
            }
        }

        return [.. inputs];
    }

    private static double ParseDouble(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new CliException($"{option}: '{text}' is not a number.");

    /// <summary>ONNX MaxUnpool output_shape (N, C, spatial) from spatial sizes or a full shape.</summary>
    private static NpyArray FullShape(int[] sizes, NpyArray x, TensorLayout layout)
    {
        int[] shape = x.Shape;
        long[] full = sizes.Length == shape.Length - 2
            ? [shape[0], layout == TensorLayout.ChannelsFirst ? shape[1] : shape[^1], .. sizes.Select(v => (long)v)]
            : sizes.Select(v => (long)v).ToArray();
        return NpyArray.Create(full, full.Length);
    }

    private static NpyArray Read(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"{option}: file '{path}' does not exist.");
        }

        return Npy.Read(path);
    }

    /// <summary>The attribute dictionary (torch or ONNX names) from the options given.</summary>
    private static Dictionary<string, JsonElement> Attributes(ParseResult parse, Options o, bool torch, string opName, bool wantIndices)
    {
        var a = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        void Set(string name, object? value) => a[name] = JsonSerializer.SerializeToElement(value);
        void Reject(Option option, string instead)
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw new CliException($"{option.Name} does not apply to {(torch ? "torch" : "ONNX")} operators; {instead}.");
            }
        }

        if (parse.GetValue(o.SpatialScale) is { } scale)
        {
            Set("spatial_scale", ParseDouble(scale, "--spatial-scale"));
        }

        if (ParseInt(parse, o.SamplingRatio) is { } ratio)
        {
            Set("sampling_ratio", ratio);
        }

        if (parse.GetResult(o.Aligned) is { Implicit: false })
        {
            if (opName == "RoiAlign")
            {
                Set("coordinate_transformation_mode", parse.GetValue(o.Aligned) ? "half_pixel" : "output_half_pixel");
            }
            else
            {
                Set("aligned", parse.GetValue(o.Aligned));
            }
        }

        if (parse.GetValue(o.Mode) is { } mode)
        {
            Set("mode", mode);
        }

        if (opName == "RoiAlign" && ParseInts(parse, o.OutputSize, false) is { } roiSize)
        {
            if (roiSize.Length is not (1 or 2))
            {
                throw new CliException($"--output-size: RoiAlign takes one or two sizes (height, width), got {roiSize.Length}.");
            }

            Set("output_height", roiSize[0]);
            Set("output_width", roiSize[^1]);
        }

        if (parse.GetValue(o.OutputRatio) is { } outputRatio)
        {
            Set("output_ratio", outputRatio.Split(',').Select(v => ParseDouble(v, "--output-ratio")).ToArray());
        }

        if (opName == "MaxRoiPool" && ParseInts(parse, o.OutputSize, false) is { } pooled)
        {
            Set("pooled_shape", pooled);
        }

        if (ParseInts(parse, o.KernelSize, false) is { } k)
        {
            Set(torch ? "kernel_size" : "kernel_shape", Scalar(k));
        }

        if (ParseInts(parse, o.Stride, false) is { } s)
        {
            Set(torch ? "stride" : "strides", Scalar(s));
        }

        if (ParseInts(parse, o.Dilation, false) is { } d)
        {
            Set(torch ? "dilation" : "dilations", Scalar(d));
        }

        if (parse.GetResult(o.CeilMode) is { Implicit: false })
        {
            bool ceil = parse.GetValue(o.CeilMode);
            Set("ceil_mode", torch ? ceil : (ceil ? 1 : 0));
        }

        if (parse.GetValue(o.CountIncludePad) is { } cip)
        {
            bool value = cip.ToUpperInvariant() switch
            {
                "TRUE" or "1" => true,
                "FALSE" or "0" => false,
                _ => throw new CliException($"--count-include-pad: '{cip}' is not true or false."),
            };
            Set("count_include_pad", torch ? value : (value ? 1 : 0));
        }

        if (torch)
        {
            Reject(o.Pads, "use --padding");
            Reject(o.AutoPad, "torch pooling has no auto_pad");
            Reject(o.StorageOrder, "torch indices are plane-local");
            Reject(o.P, "use --norm-type");
            if (ParseInts(parse, o.Padding, false) is { } p)
            {
                Set("padding", Scalar(p));
            }

            if (ParseInt(parse, o.DivisorOverride) is { } div)
            {
                Set("divisor_override", div);
            }

            if (parse.GetValue(o.NormType) is { } norm)
            {
                Set("norm_type", double.TryParse(norm, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : throw new CliException($"--norm-type: '{norm}' is not a number."));
            }

            if (ParseInts(parse, o.OutputSize, allowNone: true) is { } size)
            {
                Set("output_size", size.Select(v => v < 0 ? (int?)null : v).ToArray());
            }

            if (wantIndices)
            {
                Set("return_indices", true);
            }
        }
        else
        {
            Reject(o.Padding, "use --pads (begins then ends)");
            Reject(o.DivisorOverride, "ONNX AveragePool has no divisor override");
            Reject(o.NormType, "use --p");
            if (opName is not ("MaxUnpool" or "MaxRoiPool" or "RoiAlign"))
            {
                Reject(o.OutputSize, "only ONNX MaxUnpool (output shape), MaxRoiPool (pooled shape) and RoiAlign (output height and width) take one");
            }

            if (ParseInts(parse, o.Pads, false) is { } pads)
            {
                Set("pads", pads);
            }

            if (parse.GetValue(o.AutoPad) is { } autoPad)
            {
                Set("auto_pad", autoPad.ToUpperInvariant());
            }

            if (ParseInt(parse, o.StorageOrder) is { } order)
            {
                Set("storage_order", order);
            }

            if (ParseInt(parse, o.P) is { } pValue)
            {
                Set("p", pValue);
            }
        }

        return a;
    }

    private static object Scalar(int[] values) => values.Length == 1 ? values[0] : values;

    private static int? ParseInt(ParseResult parse, Option<string?> option)
    {
        string? text = parse.GetValue(option);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new CliException($"{option.Name}: '{text}' is not an integer.");
    }

    /// <summary>A comma list of integers ("3" or "3,3"); with <paramref name="allowNone"/>, "none" entries become -1.</summary>
    private static int[]? ParseInts(ParseResult parse, Option<string?> option, bool allowNone)
    {
        string? text = parse.GetValue(option);
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (allowNone && parts[i].Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                result[i] = -1;
            }
            else if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || (allowNone && result[i] < 0))
            {
                string what = allowNone ? "a non-negative integer or none" : "an integer";
                throw new CliException($"{option.Name}: '{parts[i]}' in '{text}' is not {what}.");
            }
        }

        return result;
    }
}
