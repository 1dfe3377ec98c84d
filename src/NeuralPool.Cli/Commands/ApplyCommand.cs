using System.CommandLine;
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
        public OperatorOptions Operator { get; } = new(
            "Operator: a torch.nn.functional name (max_pool2d, avg_pool1d, lp_pool3d, adaptive_max_pool2d, max_unpool2d, fractional_max_pool2d, ...), a torchvision.ops name (roi_pool, roi_align, ps_roi_align) or an ONNX name (MaxPool, AveragePool, LpPool, GlobalMaxPool, GlobalAveragePool, GlobalLpPool, MaxUnpool, MaxRoiPool, RoiAlign).",
            regionOptions: true);

        public Option<string> Input { get; } = new("--input") { Description = "Input tensor (.npy): N, C, spatial (nchw) or N, spatial, C (nhwc).", Required = true };

        public Option<string?> Indices { get; } = new("--indices") { Description = "Max unpooling: the indices input (.npy, int64)." };

        public Option<string?> Output { get; } = new("--output") { Description = "Where to write the forward result (.npy)." };

        public Option<string?> OutputIndices { get; } = new("--output-indices") { Description = "Max pooling: where to write the indices (.npy, int64; torch: plane-local, ONNX: flat over the tensor)." };

        public Option<string> Layout { get; } = new("--layout") { Description = "Memory order of every .npy file: nchw (channels-first, default) or nhwc (channels-last).", DefaultValueFactory = _ => "nchw" };

        public Option<string?> GradOutput { get; } = new("--grad-output") { Description = "Backward: the gradient of the loss with respect to the forward result (.npy)." };

        public Option<string?> GradInput { get; } = new("--grad-input") { Description = "Backward: where to write the gradient with respect to the input (.npy)." };

        public Option<string?> Boxes { get; } = new("--boxes") { Description = "Region pooling (torchvision roi_pool, roi_align, ps_roi_align; ONNX MaxRoiPool): the K x 5 boxes (batch, x1, y1, x2, y2); ONNX RoiAlign: the K x 4 rois (x1, y1, x2, y2) (.npy, the input's float type)." };

        public Option<string?> BatchIndices { get; } = new("--batch-indices") { Description = "ONNX RoiAlign: the K batch indices of the rois (.npy, int64)." };

        public Option<string?> RandomSamples { get; } = new("--random-samples") { Description = "torch fractional_max_pool2d/3d: the N x C x rank samples in [0, 1) (.npy, the input's float type)." };

        public IEnumerable<Option> Files => [Input, Indices, Output, OutputIndices, Layout, GradOutput, GradInput, Boxes, BatchIndices, RandomSamples];
    }

    public static Command Create(TextWriter stdout)
    {
        var o = new Options();
        o.Layout.AcceptOnlyFromAmong("nchw", "nhwc");
        var command = new Command("apply", "Run one pooling operator on .npy files (forward with --output, backward with --grad-output/--grad-input).");
        o.Operator.AddTo(command);
        foreach (var option in o.Files)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Run(parse, o, stdout));
        return command;
    }

    private static int Run(ParseResult parse, Options o, TextWriter stdout)
    {
        string opName = o.Operator.OpName(parse);
        string domain = o.Operator.DomainOf(parse);
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

        bool torch = OperatorOptions.IsTorch(domain);
        var attributes = o.Operator.Attributes(parse, wantIndices: outputIndices is not null && opName.Contains("max_pool", StringComparison.Ordinal));
        int[]? outputShape = !torch && opName == "MaxUnpool" ? OperatorOptions.ParseInts(parse, o.Operator.OutputSize, allowNone: false) : null;

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
}
