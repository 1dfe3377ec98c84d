using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// The command-line options that name a catalog operator (<c>--op</c>, <c>--domain</c>) and give its attributes
/// (<c>--kernel-size</c>, <c>--stride</c>, ...), and how they become the catalog's attribute dictionary with torch or
/// ONNX names. Shared by <c>apply</c> (tensors in .npy files) and <c>image</c> (pictures); the region options
/// (boxes' scale, sampling ratio, alignment, RoiAlign mode) are only added where region pooling can run.
/// </summary>
internal sealed class OperatorOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="opDescription">The help text of <c>--op</c>: which operators the command runs.</param>
    /// <param name="regionOptions">Add the options of region pooling (<c>--spatial-scale</c>, <c>--sampling-ratio</c>, <c>--aligned</c>, <c>--mode</c>).</param>
    public OperatorOptions(string opDescription, bool regionOptions)
    {
        Op = new("--op") { Description = opDescription, Required = true };
        Domain.AcceptOnlyFromAmong(OperatorCatalog.TorchDomain, OperatorCatalog.TorchvisionDomain, OperatorCatalog.OnnxDomain);
        if (regionOptions)
        {
            Mode = new("--mode") { Description = "ONNX RoiAlign: avg (default) or max." };
            SpatialScale = new("--spatial-scale") { Description = "Region pooling: factor from box coordinates to input coordinates (default 1)." };
            SamplingRatio = new("--sampling-ratio") { Description = "torchvision roi_align / ps_roi_align: samples per bin and axis (default -1: adaptive)." };
            Aligned = new("--aligned") { Description = "torchvision roi_align: shift boxes by -0.5 pixel; ONNX RoiAlign: --aligned true is half_pixel (the default), false output_half_pixel." };
        }
    }

    /// <summary>The operator's name.</summary>
    public Option<string> Op { get; }

    /// <summary>The operator's domain (default: <see cref="OperatorCatalog.GuessDomain"/>).</summary>
    public Option<string?> Domain { get; } = new("--domain") { Description = "torch, torchvision or onnx (default: onnx for ONNX operator names, torchvision for its region operators, else torch)." };

    /// <summary>torch <c>kernel_size</c> or ONNX <c>kernel_shape</c>.</summary>
    public Option<string?> KernelSize { get; } = new("--kernel-size") { Description = "Kernel size: 3 or 3,3 (torch kernel_size, ONNX kernel_shape)." };

    /// <summary>torch <c>stride</c> or ONNX <c>strides</c>.</summary>
    public Option<string?> Stride { get; } = new("--stride") { Description = "Stride: 2 or 2,1 (torch stride, default the kernel size; ONNX strides, default 1)." };

    /// <summary>torch <c>padding</c>.</summary>
    public Option<string?> Padding { get; } = new("--padding") { Description = "torch padding on both sides: 1 or 1,0." };

    /// <summary>torch <c>dilation</c> or ONNX <c>dilations</c>.</summary>
    public Option<string?> Dilation { get; } = new("--dilation") { Description = "Dilation: 1 or 2,2 (torch dilation, ONNX dilations)." };

    /// <summary><c>ceil_mode</c>.</summary>
    public Option<bool> CeilMode { get; } = new("--ceil-mode") { Description = "Round the output size up." };

    /// <summary><c>count_include_pad</c>.</summary>
    public Option<string?> CountIncludePad { get; } = new("--count-include-pad") { Description = "Average pooling: count padding in the divisor, true|false (torch default true, ONNX default false)." };

    /// <summary>torch <c>divisor_override</c>.</summary>
    public Option<string?> DivisorOverride { get; } = new("--divisor-override") { Description = "torch avg_pool2d/3d: a fixed divisor." };

    /// <summary>torch <c>norm_type</c>.</summary>
    public Option<string?> NormType { get; } = new("--norm-type") { Description = "torch lp_pool: the power p (e.g. 2 or 1.5)." };

    /// <summary>torch <c>output_size</c>; ONNX MaxUnpool <c>output_shape</c>, MaxRoiPool <c>pooled_shape</c>, RoiAlign output height and width.</summary>
    public Option<string?> OutputSize { get; } = new("--output-size") { Description = "torch adaptive pooling output size (none keeps an axis: 7,none) or max_unpool output size; ONNX MaxUnpool output_shape (spatial, or N,C,spatial), MaxRoiPool pooled_shape, RoiAlign output height,width." };

    /// <summary>ONNX <c>pads</c>.</summary>
    public Option<string?> Pads { get; } = new("--pads") { Description = "ONNX pads: all begins then all ends, e.g. 1,1,1,1." };

    /// <summary>ONNX <c>auto_pad</c>.</summary>
    public Option<string?> AutoPad { get; } = new("--auto-pad") { Description = "ONNX auto_pad: NOTSET, SAME_UPPER, SAME_LOWER or VALID." };

    /// <summary>ONNX MaxPool <c>storage_order</c>.</summary>
    public Option<string?> StorageOrder { get; } = new("--storage-order") { Description = "ONNX MaxPool storage_order: 0 (row-major indices) or 1 (column-major)." };

    /// <summary>ONNX LpPool <c>p</c>.</summary>
    public Option<string?> P { get; } = new("--p") { Description = "ONNX LpPool / GlobalLpPool p (default 2)." };

    /// <summary>torch fractional max pooling <c>output_ratio</c>.</summary>
    public Option<string?> OutputRatio { get; } = new("--output-ratio") { Description = "torch fractional_max_pool: output size as a fraction of the input, e.g. 0.5 or 0.5,0.7." };

    /// <summary>ONNX RoiAlign <c>mode</c>; null when the command has no region options.</summary>
    public Option<string?>? Mode { get; }

    /// <summary>Region pooling <c>spatial_scale</c>; null when the command has no region options.</summary>
    public Option<string?>? SpatialScale { get; }

    /// <summary>RoIAlign <c>sampling_ratio</c>; null when the command has no region options.</summary>
    public Option<string?>? SamplingRatio { get; }

    /// <summary>torchvision <c>aligned</c> or ONNX <c>coordinate_transformation_mode</c>; null when the command has no region options.</summary>
    public Option<bool>? Aligned { get; }

    /// <summary>Every option, in help order.</summary>
    public IEnumerable<Option> All =>
        new Option?[]
        {
            Op, Domain, KernelSize, Stride, Padding, Dilation, CeilMode, CountIncludePad, DivisorOverride, NormType, OutputSize,
            Pads, AutoPad, StorageOrder, P, OutputRatio, Mode, SpatialScale, SamplingRatio, Aligned,
        }.OfType<Option>();

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The operator name given.</summary>
    public string OpName(ParseResult parse) => parse.GetValue(Op)!;

    /// <summary>The domain given, or the one the operator name belongs to.</summary>
    public string DomainOf(ParseResult parse) => parse.GetValue(Domain) ?? OperatorCatalog.GuessDomain(OpName(parse));

    /// <summary>True when the domain uses torch attribute names (torch and torchvision).</summary>
    public static bool IsTorch(string domain) => domain is OperatorCatalog.TorchDomain or OperatorCatalog.TorchvisionDomain;

    /// <summary>The attribute dictionary (torch or ONNX names) from the options given.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="wantIndices">Ask a torch max pooling operator for its indices (<c>return_indices</c>).</param>
    /// <exception cref="CliException">An option has a malformed value or does not apply to the domain.</exception>
    public Dictionary<string, JsonElement> Attributes(ParseResult parse, bool wantIndices)
    {
        string opName = OpName(parse);
        bool torch = IsTorch(DomainOf(parse));
        var a = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        void Set(string name, object? value) => a[name] = JsonSerializer.SerializeToElement(value);
        void Reject(Option option, string instead)
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw new CliException($"{option.Name} does not apply to {(torch ? "torch" : "ONNX")} operators; {instead}.");
            }
        }

        SetRegion(parse, opName, Set);
        if (opName == "RoiAlign" && ParseInts(parse, OutputSize, false) is { } roiSize)
        {
            if (roiSize.Length is not (1 or 2))
            {
                throw new CliException($"--output-size: RoiAlign takes one or two sizes (height, width), got {roiSize.Length}.");
            }

            Set("output_height", roiSize[0]);
            Set("output_width", roiSize[^1]);
        }

        if (parse.GetValue(OutputRatio) is { } outputRatio)
        {
            Set("output_ratio", outputRatio.Split(',').Select(v => ParseDouble(v, "--output-ratio")).ToArray());
        }

        if (opName == "MaxRoiPool" && ParseInts(parse, OutputSize, false) is { } pooled)
        {
            Set("pooled_shape", pooled);
        }

        if (ParseInts(parse, KernelSize, false) is { } k)
        {
            Set(torch ? "kernel_size" : "kernel_shape", Scalar(k));
        }

        if (ParseInts(parse, Stride, false) is { } s)
        {
            Set(torch ? "stride" : "strides", Scalar(s));
        }

        if (ParseInts(parse, Dilation, false) is { } d)
        {
            Set(torch ? "dilation" : "dilations", Scalar(d));
        }

        if (parse.GetResult(CeilMode) is { Implicit: false })
        {
            bool ceil = parse.GetValue(CeilMode);
            Set("ceil_mode", torch ? ceil : (ceil ? 1 : 0));
        }

        if (parse.GetValue(CountIncludePad) is { } cip)
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
            Reject(Pads, "use --padding");
            Reject(AutoPad, "torch pooling has no auto_pad");
            Reject(StorageOrder, "torch indices are plane-local");
            Reject(P, "use --norm-type");
            if (ParseInts(parse, Padding, false) is { } p)
            {
                Set("padding", Scalar(p));
            }

            if (ParseInt(parse, DivisorOverride) is { } div)
            {
                Set("divisor_override", div);
            }

            if (parse.GetValue(NormType) is { } norm)
            {
                Set("norm_type", double.TryParse(norm, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : throw new CliException($"--norm-type: '{norm}' is not a number."));
            }

            if (ParseInts(parse, OutputSize, allowNone: true) is { } size)
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
            Reject(Padding, "use --pads (begins then ends)");
            Reject(DivisorOverride, "ONNX AveragePool has no divisor override");
            Reject(NormType, "use --p");
            if (opName is not ("MaxUnpool" or "MaxRoiPool" or "RoiAlign"))
            {
                Reject(OutputSize, "only ONNX MaxUnpool (output shape), MaxRoiPool (pooled shape) and RoiAlign (output height and width) take one");
            }

            if (ParseInts(parse, Pads, false) is { } pads)
            {
                Set("pads", pads);
            }

            if (parse.GetValue(AutoPad) is { } autoPad)
            {
                Set("auto_pad", autoPad.ToUpperInvariant());
            }

            if (ParseInt(parse, StorageOrder) is { } order)
            {
                Set("storage_order", order);
            }

            if (ParseInt(parse, P) is { } pValue)
            {
                Set("p", pValue);
            }
        }

        return a;
    }

    /// <summary>The region pooling attributes, when the command has their options.</summary>
    private void SetRegion(ParseResult parse, string opName, Action<string, object?> set)
    {
        if (SpatialScale is not null && parse.GetValue(SpatialScale) is { } scale)
        {
            set("spatial_scale", ParseDouble(scale, "--spatial-scale"));
        }

        if (SamplingRatio is not null && ParseInt(parse, SamplingRatio) is { } ratio)
        {
            set("sampling_ratio", ratio);
        }

        if (Aligned is not null && parse.GetResult(Aligned) is { Implicit: false })
        {
            if (opName == "RoiAlign")
            {
                set("coordinate_transformation_mode", parse.GetValue(Aligned) ? "half_pixel" : "output_half_pixel");
            }
            else
            {
                set("aligned", parse.GetValue(Aligned));
            }
        }

        if (Mode is not null && parse.GetValue(Mode) is { } mode)
        {
            set("mode", mode);
        }
    }

    private static object Scalar(int[] values) => values.Length == 1 ? values[0] : values;

    /// <summary>A finite number.</summary>
    /// <exception cref="CliException">The text is not a finite number; the message names <paramref name="option"/>.</exception>
    public static double ParseDouble(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new CliException($"{option}: '{text}' is not a number.");

    /// <summary>The option's integer value, or null when it is not given.</summary>
    /// <exception cref="CliException">The value is not an integer.</exception>
    public static int? ParseInt(ParseResult parse, Option<string?> option)
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

    /// <summary>A comma list of integers ("3" or "3,3"), or null when the option is not given; with <paramref name="allowNone"/>, "none" entries become -1.</summary>
    /// <exception cref="CliException">An entry is not an integer (or, with <paramref name="allowNone"/>, is negative).</exception>
    public static int[]? ParseInts(ParseResult parse, Option<string?> option, bool allowNone)
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
