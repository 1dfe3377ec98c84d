using System.Numerics;
using NeuralPool.Training.Layers;
using NeuralPool.Training.Models;

namespace NeuralPool.Training.Export;

/// <summary>
/// Writes a <see cref="Sequential{T}"/> model as an ONNX model (opset <see cref="Opset"/>, IR version
/// <see cref="IrVersion"/>) that computes the model's evaluation-mode forward pass, whatever its
/// <see cref="Layer{T}.Training"/> flag: input <c>input</c>, float (batch, C, S, S) with C and S from the
/// <see cref="ModelOptions"/> and a symbolic <c>batch</c>; output <c>logits</c>, float (batch, classes). Every
/// parameter and buffer becomes a float32 initializer under its <c>state_dict</c> name (raw little-endian data), and
/// each layer becomes standard ONNX operators:
/// <list type="bullet">
/// <item><c>Conv2d</c> → Conv; <c>Linear</c> → Gemm (transB = 1); <c>ReLU</c> → Relu; <c>Flatten</c> → Flatten (axis 1);
/// <c>BatchNorm2d</c> → BatchNormalization with the running mean and variance and the layer's ε; <c>Dropout</c> → nothing
/// (the identity in evaluation).</item>
/// <item><c>MaxPool2d</c>, <c>AvgPool2d</c>, <c>AdaptiveAvgPool2d</c> → MaxPool / AveragePool (pads, strides, dilations,
/// count_include_pad, ceil_mode as the layer has them), or GlobalMaxPool / GlobalAveragePool for an adaptive 1×1 output;
/// adaptive bins are exported when they all have one size (the input divisible by the output).</item>
/// <item><c>LpPool2d</c> → LpPool when p is an integer and the input is non-negative (after a ReLU) or p is even, where
/// ONNX's <c>|x|^p</c> equals PyTorch's <c>x^p</c>; otherwise PyTorch's formula itself:
/// <c>Pow(AveragePool(Pow(x, p))·k, 1/p)</c>.</item>
/// <item><c>GemPool2d</c> → <c>Pow(AveragePool(Pow(Max(x, ε), p)), 1/p)</c> (padding not counted); <c>MixedPool2d</c> →
/// <c>a·MaxPool + (1 − a)·AveragePool</c>; <c>GatedPool2d</c> → the same mix with <c>s = Sigmoid(Conv(x, gate))</c> run
/// on every channel alone (a Reshape to one channel); <c>StochasticPool2d</c> → its evaluation form
/// <c>AveragePool(x²)/AveragePool(x)</c> (0 where the window sums to 0); <c>LipPool2d</c> → the logit Conv (and
/// <c>12·Sigmoid</c>), then <c>AveragePool(x·e^l)/AveragePool(e^l)</c>.</item>
/// <item><c>SoftPool2d</c> and <c>DetailPreservingPool2d</c> → each window tap as a strided Slice and the formula
/// over the taps with elementwise operators (SoftPool subtracts each window's maximum before Exp, as the library
/// does, so no exponential overflows; padding taps are padded with float's lowest value, whose weight is 0);
/// <c>BlurPool2d</c> → Pad (reflect) and a depthwise Conv (group C) with the binomial filter; <c>MaxBlurPool2d</c> →
/// MaxPool at stride 1 followed by the same.</item>
/// </list>
/// A layer whose semantics no such composition reproduces exactly throws <see cref="NotSupportedException"/> naming
/// the layer and the reason: <c>FractionalMaxPool2d</c> (new random windows on every pass, in evaluation too),
/// adaptive bins of different sizes, AvgPool2d's divisor override and dilation, windows of more than
/// <see cref="MaxTaps"/> taps for the tap-by-tap layers, detail-preserving windows with padding, BatchNorm2d without
/// running statistics, and layer types the exporter does not know.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set of the default domain the models use.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version written (8, the version of opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The graph output's name.</summary>
    public const string OutputName = "logits";

    /// <summary>The most window taps SoftPool and detail-preserving pooling are exported with (one Slice node per tap).</summary>
    public const int MaxTaps = 64;

    /// <summary>The pooling methods of <see cref="ModelZoo"/> whose models can be exported (every one but <see cref="PoolingMethod.Fractional"/>).</summary>
    public static IReadOnlyList<PoolingMethod> ExportablePooling { get; } =
        [.. Enum.GetValues<PoolingMethod>().Where(m => m != PoolingMethod.Fractional)];

    private const string Exportable = "Exportable pooling methods: max, avg, lp, adaptive-max and adaptive-avg (output 1×1 or bins of one size), "
        + "gem, softpool, mixed, gated, stochastic (its evaluation form), blur, maxblur, lip, dpp and none; fractional is not.";

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> as an ONNX model: to a temporary file in the same
    /// folder, then renamed over the target, so a failure never leaves a partial file under the target's name.
    /// </summary>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="model">The model (float or double parameters; written as float32).</param>
    /// <param name="options">The options the model was built with: the input's channels and size, the classes (defaults when null).</param>
    /// <param name="metadata">Key/value pairs stored in the model's <c>metadata_props</c> (e.g. the input normalisation).</param>
    /// <param name="overwrite">Replace an existing file (default); without it an existing file is left as it is and an <see cref="IOException"/> is thrown.</param>
    /// <returns>The number of nodes, initializers, parameters and bytes written.</returns>
    /// <exception cref="NotSupportedException">A layer cannot be exported exactly; the message names it and lists the exportable pooling methods.</exception>
    /// <exception cref="ArgumentException">The model does not take the options' input or does not give (N, classes) logits.</exception>
    /// <exception cref="IOException">The file cannot be written, or exists and <paramref name="overwrite"/> is false.</exception>
    public static OnnxExportSummary Save<T>(string path, Sequential<T> model, ModelOptions? options = null, IReadOnlyDictionary<string, string>? metadata = null, bool overwrite = true)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(path);
        using var buffer = new MemoryStream();
        var summary = Write(buffer, model, options, metadata);

        AtomicFile.Write(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), overwrite);

        return summary;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="stream"/> as an ONNX model (see the class remarks).</summary>
    /// <param name="stream">Receives the model's bytes.</param>
    /// <param name="model">The model (float or double parameters; written as float32).</param>
    /// <param name="options">The options the model was built with: the input's channels and size, the classes (defaults when null).</param>
    /// <param name="metadata">Key/value pairs stored in the model's <c>metadata_props</c>.</param>
    /// <returns>The number of nodes, initializers, parameters and bytes written.</returns>
    /// <exception cref="NotSupportedException">A layer cannot be exported exactly; the message names it and lists the exportable pooling methods. Nothing is written then.</exception>
    /// <exception cref="ArgumentException">The model does not take the options' input or does not give (N, classes) logits. Nothing is written then.</exception>
    public static OnnxExportSummary Write<T>(Stream stream, Sequential<T> model, ModelOptions? options = null, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(model);
        var o = options ?? new ModelOptions();
        int[] inputShape = [1, o.InputChannels, o.ImageSize, o.ImageSize];
        int[] outputShape = model.OutputShape(inputShape);
        if (outputShape.Length != 2 || outputShape[1] != o.Classes)
        {
            ThrowHelper.Argument(nameof(model), $"the model turns a {ThrowHelper.Format(inputShape)} input into {ThrowHelper.Format(outputShape)}; ONNX export needs (N, {o.Classes}) logits.");
        }

        var exporter = new Exporter<T>(inputShape);
        exporter.Sequence(model, "");
        var graph = exporter.Finish(outputShape);
        string version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0";
        long bytes = graph.WriteModel(stream, IrVersion, Opset, "NeuralPool.Training", version, model.ToString(), metadata ?? new Dictionary<string, string>());
        return new OnnxExportSummary(graph.NodeCount, exporter.Initializers, model.ParameterCount(), bytes);
    }

    /// <summary>Translates layers in order, tracking the current value, its shape (batch 1) and whether it is known to be non-negative.</summary>
    private sealed class Exporter<T>
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        private readonly OnnxGraph _g = new();
        private string _x;
        private int[] _shape;
        private bool _nonNegative;
        private string _layer = "";

        public Exporter(int[] inputShape)
        {
            _shape = inputShape;
            _x = _g.Input(InputName, [.. inputShape.Select(d => (long)d)]);
        }

        public int Initializers { get; private set; }

        public void Sequence(Sequential<T> model, string prefix)
        {
            for (int i = 0; i < model.Layers.Count; i++)
            {
                var layer = model.Layers[i];
                if (layer is Sequential<T> inner)
                {
                    Sequence(inner, $"{prefix}{i}.");
                    continue;
                }

                _g.Scope = $"{prefix}{i}";
                _layer = $"layer {prefix}{i} ({layer})";
                Layer(layer);
                _shape = layer.OutputShape(_shape);
            }
        }

        public OnnxGraph Finish(int[] outputShape)
        {
            _g.Scope = "";
            _g.Output(_x, OutputName, [.. outputShape.Select(d => (long)d)]);
            return _g;
        }

        private void Layer(Layer<T> layer)
        {
            switch (layer)
            {
                case Conv2d<T> conv:
                    _x = Conv(conv, _x, "");
                    _nonNegative = false;
                    break;
                case Linear<T> linear:
                    _x = _g.Add("Gemm", linear.Bias is null ? [_x, Param(linear.Weight, "weight")] : [_x, Param(linear.Weight, "weight"), Param(linear.Bias, "bias")],
                        null, OnnxAttribute.Of("transB", 1L));
                    _nonNegative = false;
                    break;
                case ReLU<T>:
                    _x = _g.Add("Relu", [_x]);
                    _nonNegative = true;
                    break;
                case Flatten<T>:
                    _x = _g.Add("Flatten", [_x], null, OnnxAttribute.Of("axis", 1L));
                    break;
                case Dropout<T>:
                    break;
                case BatchNorm2d<T> bn:
                    BatchNorm(bn);
                    break;
                case MaxPool2d<T> max:
                    _x = Pool("MaxPool", Resolve(max.Window, max), _x, null);
                    break;
                case AvgPool2d<T> avg:
                    if (avg.DivisorOverride is { } divisor)
                    {
                        throw Unsupported($"AvgPool2d's divisor_override ({divisor}) has no ONNX AveragePool counterpart.");
                    }

                    _x = Pool("AveragePool", Resolve(avg.Window, avg), _x, null, avg.CountIncludePad);
                    break;
                case AdaptiveAvgPool2d<T> adaptive:
                    _x = Pool("AveragePool", Resolve(adaptive.Window, adaptive), _x, null);
                    break;
                case LpPool2d<T> lp:
                    LpPool(lp);
                    break;
                case GemPool2d<T> gem:
                    Gem(gem);
                    break;
                case SoftPool2d<T> soft:
                    SoftPool(soft);
                    break;
                case MixedPool2d<T> mixed:
                    Mixed(mixed);
                    break;
                case GatedPool2d<T> gated:
                    Gated(gated);
                    break;
                case StochasticPool2d<T> stochastic:
                    Stochastic(stochastic);
                    break;
                case BlurPool2d<T> blur:
                    _x = Blur(_x, _shape, blur.FilterSize, blur.Stride);
                    break;
                case MaxBlurPool2d<T> maxBlur:
                    MaxBlur(maxBlur);
                    break;
                case LipPool2d<T> lip:
                    Lip(lip);
                    break;
                case DetailPreservingPool2d<T> dpp:
                    DetailPreserving(dpp);
                    break;
                case FractionalMaxPool2d<T>:
                    throw Unsupported("fractional max pooling draws new random window positions on every forward pass, in evaluation too (PyTorch's semantics), which no ONNX operator reproduces.");
                default:
                    throw Unsupported($"the ONNX export knows Conv2d, Linear, ReLU, Flatten, Dropout, BatchNorm2d and the pooling layers of NeuralPool.Training, not {layer.GetType().Name}.");
            }
        }

        private string Conv(Conv2d<T> conv, string x, string sub)
        {
            string prefix = sub.Length == 0 ? "" : sub + ".";
            string w = Param(conv.Weight, prefix + "weight");
            string[] inputs = conv.Bias is null ? [x, w] : [x, w, Param(conv.Bias, prefix + "bias")];
            return _g.Add("Conv", inputs, sub.Length == 0 ? null : sub,
                OnnxAttribute.Of("kernel_shape", conv.KernelSize.H, conv.KernelSize.W),
                OnnxAttribute.Of("strides", conv.Stride.H, conv.Stride.W),
                OnnxAttribute.Of("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W),
                OnnxAttribute.Of("dilations", conv.Dilation.H, conv.Dilation.W),
                OnnxAttribute.Of("group", 1L));
        }

        private void BatchNorm(BatchNorm2d<T> bn)
        {
            if (bn.RunningMean is null || bn.RunningVar is null)
            {
                throw Unsupported("a BatchNorm2d without running statistics normalises with the batch's statistics in evaluation; ONNX BatchNormalization uses stored ones.");
            }

            int c = bn.NumFeatures;
            string scale = bn.Weight is null ? _g.Floats("scale", [c], Filled(c, 1f)) : Param(bn.Weight, "weight");
            string shift = bn.Bias is null ? _g.Floats("shift", [c], Filled(c, 0f)) : Param(bn.Bias, "bias");
            string mean = Values(bn.RunningMean, "running_mean", [c]);
            string variance = Values(bn.RunningVar, "running_var", [c]);
            Initializers += (bn.Weight is null ? 1 : 0) + (bn.Bias is null ? 1 : 0);
            _x = _g.Add("BatchNormalization", [_x, scale, shift, mean, variance], "batchnorm", OnnxAttribute.Of("epsilon", (float)bn.Eps));
            _nonNegative = false;
        }

        private void LpPool(LpPool2d<T> lp)
        {
            var s = Resolve(lp.Window, lp);
            double p = lp.NormType;
            bool integer = p >= 1 && p <= int.MaxValue && p == Math.Floor(p);
            if (integer && (_nonNegative || p % 2 == 0) && !s.Ceil && !s.Global)
            {
                // |x|^p = x^p here, so ONNX's LpPool (with abs) is PyTorch's (without).
                _x = _g.Add("LpPool", [_x], null, [.. WindowAttributes(s, dilations: false), OnnxAttribute.Of("p", (long)p)]);
                return;
            }

            // PyTorch's formula: (mean over the valid taps of x^p · kernel size)^(1/p).
            string powered = p == 1 ? _x : p == 2 ? _g.Add("Mul", [_x, _x], "square") : _g.Add("Pow", [_x, _g.Scalar(Float(T.CreateChecked(p)))], "pow");
            string mean = Pool("AveragePool", s, powered, "mean", countIncludePad: false);
            string sum = _g.Add("Mul", [mean, _g.Scalar(s.KH * s.KW)], "sum");
            _x = _g.Add("Pow", [sum, _g.Scalar(Float(T.One / T.CreateChecked(p)))], "root");
        }

        private void Gem(GemPool2d<T> gem)
        {
            var s = Resolve(gem.Window, gem);
            string p = Param(gem.P, "p");
            string clamped = _g.Add("Max", [_x, _g.Scalar(Float(T.CreateChecked(gem.Epsilon)))], "clamp");
            string powered = _g.Add("Pow", [clamped, p], "pow");
            string mean = Pool("AveragePool", s, powered, "mean", countIncludePad: false);
            _x = _g.Add("Pow", [mean, _g.Add("Reciprocal", [p], "inverse_p")], "root");
            _nonNegative = true;
        }

        private void SoftPool(SoftPool2d<T> soft)
        {
            var s = Resolve(soft.Window, soft);
            if (s.Global)
            {
                // One window per plane: the plane's maximum is the window's.
                string axes = _g.Int64s(2, 3);
                string m = _g.Add("ReduceMax", [_x], "max", OnnxAttribute.Of("axes", 2L, 3L), OnnxAttribute.Of("keepdims", 1L));
                string e = _g.Add("Exp", [_g.Add("Sub", [_x, m], "shifted")], "weight");
                string num = _g.Add("ReduceSum", [_g.Add("Mul", [e, _x], "weighted"), axes], "numerator", OnnxAttribute.Of("keepdims", 1L));
                string den = _g.Add("ReduceSum", [e, axes], "denominator", OnnxAttribute.Of("keepdims", 1L));
                _x = _g.Add("Div", [num, den], "softpool");
                return;
            }

            // Each window's taps as strided slices; padding taps get float's lowest value, whose weight e^(lowest − max) is 0.
            string[] taps = Taps(s, float.MinValue, requireFull: false);
            string max = _g.Add("Max", taps, "max");
            var weights = new string[taps.Length];
            var products = new string[taps.Length];
            for (int t = 0; t < taps.Length; t++)
            {
                weights[t] = _g.Add("Exp", [_g.Add("Sub", [taps[t], max], "shifted")], "weight");
                products[t] = _g.Add("Mul", [weights[t], taps[t]], "weighted");
            }

            _x = _g.Add("Div", [_g.Add("Sum", products, "numerator"), _g.Add("Sum", weights, "denominator")], "softpool");
        }

        private void Mixed(MixedPool2d<T> mixed)
        {
            var s = Resolve(mixed.Window, mixed);
            string a = Param(mixed.A, "a");
            string max = Pool("MaxPool", s, _x, "max");
            string avg = Pool("AveragePool", s, _x, "avg", mixed.CountIncludePad);
            string oneMinusA = _g.Add("Sub", [_g.Scalar(1f), a], "one_minus_a");
            _x = _g.Add("Add", [_g.Add("Mul", [a, max], "max_part"), _g.Add("Mul", [oneMinusA, avg], "avg_part")], "mixed");
            double value = double.CreateChecked(mixed.A.Data[0]);
            _nonNegative &= value >= 0 && value <= 1;
        }

        private void Gated(GatedPool2d<T> gated)
        {
            var s = Resolve(gated.Window, gated);
            int c = _shape[1];
            var output = gated.OutputShape(_shape);

            // ωᵀx over every window of every channel: one convolution with the (kh, kw) gate on the channels taken one at a time.
            string gate = Param(gated.Gate, "gate", [1, 1, s.KH, s.KW]);
            string planes = _g.Add("Reshape", [_x, _g.Int64s(-1, 1, _shape[2], _shape[3])], "planes");
            string dot = _g.Add("Conv", [planes, gate], "dot", [.. WindowAttributes(s, dilations: true)]);
            string sigmoid = _g.Add("Sigmoid", [dot], "gate_sigmoid");
            string g = _g.Add("Reshape", [sigmoid, _g.Int64s(-1, c, output[2], output[3])], "gate_value");
            string max = Pool("MaxPool", s, _x, "max");
            string avg = Pool("AveragePool", s, _x, "avg", gated.CountIncludePad);
            string oneMinusG = _g.Add("Sub", [_g.Scalar(1f), g], "one_minus_gate");
            _x = _g.Add("Add", [_g.Add("Mul", [g, max], "max_part"), _g.Add("Mul", [oneMinusG, avg], "avg_part")], "gated");
        }

        private void Stochastic(StochasticPool2d<T> stochastic)
        {
            // Evaluation: Σa² / Σa per window (the averages' common divisor cancels), 0 for a window summing to 0.
            var s = Resolve(stochastic.Window, stochastic);
            string squares = Pool("AveragePool", s, _g.Add("Mul", [_x, _x], "square"), "squares");
            string sums = Pool("AveragePool", s, _x, "sums");
            string ratio = _g.Add("Div", [squares, sums], "ratio");
            string positive = _g.Add("Greater", [sums, _g.Scalar(0f)], "positive");
            _x = _g.Add("Where", [positive, ratio, _g.Scalar(0f)], "stochastic");
        }

        private string Blur(string x, int[] shape, int filterSize, int stride)
        {
            int c = shape[1], before = (filterSize - 1) / 2, after = filterSize / 2;
            if (shape[2] <= Math.Max(before, after) || shape[3] <= Math.Max(before, after))
            {
                throw Unsupported($"reflection padding of {Math.Max(before, after)} needs a larger input than {shape[2]}×{shape[3]}.");
            }

            if (filterSize > 1)
            {
                x = _g.Add("Pad", [x, _g.Int64s(0, 0, before, before, 0, 0, after, after)], "reflect", OnnxAttribute.Of("mode", "reflect"));
            }

            // The normalised binomial filter's outer product, one copy per channel (a depthwise convolution).
            double[] taps = Binomial(filterSize);
            var filter = new float[c * filterSize * filterSize];
            for (int ch = 0; ch < c; ch++)
            {
                for (int a = 0; a < filterSize; a++)
                {
                    for (int b = 0; b < filterSize; b++)
                    {
                        filter[(((ch * filterSize) + a) * filterSize) + b] = Float(T.CreateChecked(taps[a] * taps[b]));
                    }
                }
            }

            string weight = _g.Floats("filter", [c, 1, filterSize, filterSize], filter);
            Initializers++;
            return _g.Add("Conv", [x, weight], "blur",
                OnnxAttribute.Of("kernel_shape", filterSize, filterSize),
                OnnxAttribute.Of("strides", stride, stride),
                OnnxAttribute.Of("group", (long)c));
        }

        private void MaxBlur(MaxBlurPool2d<T> maxBlur)
        {
            int k = maxBlur.KernelSize;
            string max = _g.Add("MaxPool", [_x], "max", OnnxAttribute.Of("kernel_shape", k, k), OnnxAttribute.Of("strides", 1L, 1L));
            _x = Blur(max, [_shape[0], _shape[1], _shape[2] - k + 1, _shape[3] - k + 1], maxBlur.FilterSize, maxBlur.Stride);
        }

        private void Lip(LipPool2d<T> lip)
        {
            var s = Resolve(lip.Window, lip);
            string z = Conv(lip.Logit, _x, "logit");
            string logits = lip.SoftGate
                ? _g.Add("Mul", [_g.Add("Sigmoid", [z], "sigmoid"), _g.Scalar(Float(T.CreateChecked(LipPool2d<T>.SoftGateCoefficient)))], "softgate")
                : z;
            string e = _g.Add("Exp", [logits], "importance");
            string num = Pool("AveragePool", s, _g.Add("Mul", [e, _x], "weighted"), "numerator");
            string den = Pool("AveragePool", s, e, "denominator");
            _x = _g.Add("Div", [num, den], "lip");
        }

        private void DetailPreserving(DetailPreservingPool2d<T> dpp)
        {
            var s = Resolve(dpp.Window, dpp);
            if (s.Global)
            {
                throw Unsupported($"a global window of {_shape[2] * _shape[3]} taps is more than the {MaxTaps} the tap-by-tap export writes.");
            }

            string[] taps = Taps(s, 0f, requireFull: true);
            int c = dpp.Channels;
            string k = _g.Scalar(taps.Length);

            // t = window mean, d = x − t (asymmetric: max(0, d)), e = d² + ε, r = e / mean(e), w = r^λ + β, y = Σ w·x / Σ w.
            string guide = _g.Add("Div", [_g.Add("Sum", taps, "tap_sum"), k], "guide");
            var deviations = new string[taps.Length];
            for (int q = 0; q < taps.Length; q++)
            {
                string d = _g.Add("Sub", [taps[q], guide], "deviation");
                if (dpp.Variant == NeuralPool.Operators.DppVariant.Asymmetric)
                {
                    d = _g.Add("Relu", [d], "deviation_above");
                }

                deviations[q] = _g.Add("Add", [_g.Add("Mul", [d, d], "squared"), _g.Scalar(Float(T.CreateChecked(NeuralPool.Operators.DetailPreservingPool.DefaultEpsilon)))], "energy");
            }

            string meanEnergy = _g.Add("Div", [_g.Add("Sum", deviations, "energy_sum"), k], "mean_energy");
            string lambda = Param(dpp.Lambda, "lambda", [c, 1, 1]);
            string alpha = Param(dpp.Alpha, "alpha", [c, 1, 1]);
            string exponent = _g.Add("Mul", [_g.Add("Exp", [lambda], "exp_lambda"), _g.Scalar(0.5f)], "exponent");
            string beta = _g.Add("Exp", [_g.Add("Min", [alpha, _g.Scalar(Float(T.CreateChecked(NeuralPool.Operators.DetailPreservingPool.AlphaCap)))], "alpha_capped")], "beta");
            var weights = new string[taps.Length];
            var products = new string[taps.Length];
            for (int q = 0; q < taps.Length; q++)
            {
                string ratio = _g.Add("Div", [deviations[q], meanEnergy], "ratio");
                weights[q] = _g.Add("Add", [_g.Add("Pow", [ratio, exponent], "power"), beta], "weight");
                products[q] = _g.Add("Mul", [weights[q], taps[q]], "weighted");
            }

            _x = _g.Add("Div", [_g.Add("Sum", products, "numerator"), _g.Add("Sum", weights, "denominator")], "dpp");
        }

        /// <summary>One strided Slice per window tap (kernel row-major): tap (a, b) of every window, shaped like the output.</summary>
        private string[] Taps(Window s, float padValue, bool requireFull)
        {
            if (s.KH * s.KW > MaxTaps)
            {
                throw Unsupported($"a window of {s.KH * s.KW} taps is more than the {MaxTaps} the tap-by-tap export writes.");
            }

            int h = _shape[2], w = _shape[3];
            int endH = Math.Max(0, ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) + 1 - s.PH - h);
            int endW = Math.Max(0, ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) + 1 - s.PW - w);
            string x = _x;
            if (s.PH > 0 || s.PW > 0 || endH > 0 || endW > 0)
            {
                if (requireFull)
                {
                    throw Unsupported("windows that reach into the padding (or past the input in ceil mode) have fewer taps, which the tap-by-tap export does not reproduce; use windows inside the input.");
                }

                x = _g.Add("Pad", [x, _g.Int64s(0, 0, s.PH, s.PW, 0, 0, endH, endW), _g.Scalar(padValue)], "pad");
            }

            string axes = _g.Int64s(2, 3), steps = _g.Int64s(s.SH, s.SW);
            var taps = new string[s.KH * s.KW];
            for (int a = 0; a < s.KH; a++)
            {
                for (int b = 0; b < s.KW; b++)
                {
                    string starts = _g.Int64s(a * s.DH, b * s.DW);
                    string ends = _g.Int64s((a * s.DH) + ((s.OH - 1) * s.SH) + 1, (b * s.DW) + ((s.OW - 1) * s.SW) + 1);
                    taps[(a * s.KW) + b] = _g.Add("Slice", [x, starts, ends, axes, steps], $"tap{a}_{b}");
                }
            }

            return taps;
        }

        /// <summary>MaxPool or AveragePool (or their global forms) over the windows.</summary>
        private string Pool(string op, Window s, string x, string? label, bool countIncludePad = false)
        {
            if (s.Global)
            {
                return _g.Add(op == "MaxPool" ? "GlobalMaxPool" : "GlobalAveragePool", [x], label);
            }

            if (op == "AveragePool" && (s.DH != 1 || s.DW != 1))
            {
                throw Unsupported($"ONNX AveragePool has dilations only from opset 19; this export writes opset {Opset}.");
            }

            var attributes = WindowAttributes(s, dilations: op == "MaxPool");
            if (op == "AveragePool" && countIncludePad)
            {
                attributes.Add(OnnxAttribute.Of("count_include_pad", 1L));
            }

            return _g.Add(op, [x], label, [.. attributes]);
        }

        private static List<OnnxAttribute> WindowAttributes(Window s, bool dilations)
        {
            var attributes = new List<OnnxAttribute>
            {
                OnnxAttribute.Of("kernel_shape", s.KH, s.KW),
                OnnxAttribute.Of("strides", s.SH, s.SW),
                OnnxAttribute.Of("pads", s.PH, s.PW, s.PH, s.PW),
            };
            if (dilations && (s.DH != 1 || s.DW != 1))
            {
                attributes.Add(OnnxAttribute.Of("dilations", s.DH, s.DW));
            }

            if (s.Ceil)
            {
                attributes.Add(OnnxAttribute.Of("ceil_mode", 1L));
            }

            return attributes;
        }

        /// <summary>
        /// The windows of <paramref name="window"/> over the current input as ONNX sees them: sliding windows as they
        /// are (ceil mode only where it adds a window), adaptive bins as sliding windows when every bin has one size,
        /// an adaptive 1×1 output as a global window.
        /// </summary>
        private Window Resolve(PoolWindow window, Layer<T> layer)
        {
            int h = _shape[2], w = _shape[3];
            int[] output = layer.OutputShape(_shape);
            int oh = output[2], ow = output[3];
            if (window.OutputSize is { } o)
            {
                if (o.H == 1 && o.W == 1)
                {
                    return new Window(h, w, 1, 1, 0, 0, 1, 1, false, true, 1, 1);
                }

                if (h % o.H != 0 || w % o.W != 0)
                {
                    throw Unsupported($"adaptive bins of output ({o.H}, {o.W}) over a {h}×{w} input differ in size, which no ONNX pooling window reproduces (exportable: output 1×1, or an output that divides the input).");
                }

                return new Window(h / o.H, w / o.W, h / o.H, w / o.W, 0, 0, 1, 1, false, false, oh, ow);
            }

            var (kh, kw) = window.KernelSize;
            var (sh, sw) = window.Stride;
            var (ph, pw) = window.Padding;
            var (dh, dw) = window.Dilation;
            bool ceil = false;
            if (window.CeilMode)
            {
                // Ceil mode matters only where it adds a window; ONNX (opset ≤ 18) keeps a last window that starts in
                // the right padding, which PyTorch drops, so the two must agree on the output size.
                int floorH = ((h + (2 * ph) - (dh * (kh - 1)) - 1) / sh) + 1, floorW = ((w + (2 * pw) - (dw * (kw - 1)) - 1) / sw) + 1;
                int ceilH = CeilDiv(h + (2 * ph) - (dh * (kh - 1)) - 1, sh) + 1, ceilW = CeilDiv(w + (2 * pw) - (dw * (kw - 1)) - 1, sw) + 1;
                ceil = oh != floorH || ow != floorW;
                if (ceil && (oh != ceilH || ow != ceilW))
                {
                    throw Unsupported($"in ceil mode PyTorch gives a {oh}×{ow} output here and ONNX's AveragePool/MaxPool {ceilH}×{ceilW} (ONNX keeps a last window that starts in the padding).");
                }
            }

            return new Window(kh, kw, sh, sw, ph, pw, dh, dw, ceil, false, oh, ow);
        }

        private static int CeilDiv(int a, int b) => (a + b - 1) / b;

        /// <summary>Row f − 1 of Pascal's triangle divided by its sum 2^(f−1): BlurPool's normalised binomial filter.</summary>
        private static double[] Binomial(int f)
        {
            var row = new double[f];
            row[0] = 1;
            for (int i = 1; i < f; i++)
            {
                for (int j = i; j > 0; j--)
                {
                    row[j] += row[j - 1];
                }
            }

            double sum = Math.Pow(2, f - 1);
            return [.. row.Select(v => v / sum)];
        }

        /// <summary>A parameter as a float initializer named after it (optionally with other dimensions of the same length).</summary>
        private string Param(Parameter<T> p, string name, long[]? dims = null)
        {
            Initializers++;
            return _g.Floats(name, dims ?? [.. p.Shape.ToArray().Select(d => (long)d)], ToFloat(p.Data));
        }

        private string Values(T[] values, string name, long[] dims)
        {
            Initializers++;
            return _g.Floats(name, dims, ToFloat(values));
        }

        /// <summary>The values as float32: a float array itself (only read), others converted.</summary>
        private static float[] ToFloat(T[] values)
        {
            if (values is float[] floats)
            {
                return floats;
            }

            var converted = new float[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                converted[i] = Float(values[i]);
            }

            return converted;
        }

        private static float Float(T value) => float.CreateTruncating(value);

        private static float[] Filled(int count, float value)
        {
            var a = new float[count];
            a.AsSpan().Fill(value);
            return a;
        }

        private NotSupportedException Unsupported(string reason) =>
            new($"cannot export {_layer} to ONNX: {reason} {Exportable}");
    }

    /// <summary>Pooling windows in ONNX's terms: kernel, stride, padding (both sides), dilation, ceil mode, global, output size.</summary>
    private readonly record struct Window(int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, bool Ceil, bool Global, int OH, int OW);
}

/// <summary>What <see cref="OnnxExport"/> wrote.</summary>
/// <param name="Nodes">The graph's nodes.</param>
/// <param name="Initializers">The initializers holding the model's parameters, buffers and fixed filters (not counting small constants).</param>
/// <param name="Parameters">The model's learnable scalars (<see cref="Layer{T}.ParameterCount"/>).</param>
/// <param name="Bytes">The size of the model file.</param>
public sealed record OnnxExportSummary(int Nodes, int Initializers, long Parameters, long Bytes);
