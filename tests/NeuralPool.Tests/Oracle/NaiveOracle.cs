namespace NeuralPool.Tests.Oracle;

/// <summary>ONNX <c>auto_pad</c>, as the oracle understands it (independent of the library's enum).</summary>
internal enum OracleAutoPad
{
    NotSet,
    SameUpper,
    SameLower,
    Valid,
}

/// <summary>A pooled tensor: channels-first values, plane-local indices (max only) and its shape.</summary>
internal sealed record OracleResult(double[] Values, long[] Indices, int[] Shape);

/// <summary>
/// The naive reference for every pooling operator: plain nested loops over channels-first
/// <c>double[]</c> tensors (N, C, spatial...), accumulating in double, written from the semantics in
/// the spec sheet (§1 PyTorch, §2 ONNX). It shares no code with the library: windows come from
/// <see cref="OracleAxis"/>, output sizes from <see cref="OutputSize"/>.
/// </summary>
internal static class NaiveOracle
{
    // ------------------------------------------------------------------ geometry

    /// <summary>
    /// Output extent of a sliding axis: <c>floor((in + pb + pe - eff) / s) + 1</c>, or ceil in ceil mode,
    /// where <c>eff = (k-1)*d + 1</c>; in ceil mode a last window that would start in the right padding
    /// (<c>(out-1)*s &gt;= in + pb</c>) is dropped.
    /// </summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceilMode)
    {
        int effective = ((kernel - 1) * dilation) + 1;
        double ratio = (double)(input + padBegin + padEnd - effective) / stride;
        int output = (int)(ceilMode ? Math.Ceiling(ratio) : Math.Floor(ratio)) + 1;
        if (ceilMode && (output - 1) * stride >= input + padBegin)
        {
            output--;
        }

        return output;
    }

    /// <summary>ONNX auto_pad: the output extent and the begin/end padding of one axis.</summary>
    public static (int Output, int PadBegin, int PadEnd) OnnxAutoPadding(int input, int kernel, int stride, int dilation, OracleAutoPad autoPad)
    {
        int effective = ((kernel - 1) * dilation) + 1;
        switch (autoPad)
        {
            case OracleAutoPad.SameUpper:
            case OracleAutoPad.SameLower:
                int output = (int)Math.Ceiling((double)input / stride);
                int total = Math.Max(0, ((output - 1) * stride) + effective - input);
                int small = total / 2, large = total - small;
                return autoPad == OracleAutoPad.SameUpper ? (output, small, large) : (output, large, small);
            case OracleAutoPad.Valid:
                return ((int)Math.Floor((double)(input - effective) / stride) + 1, 0, 0);
            default:
                throw new ArgumentException("explicit pads have no auto padding", nameof(autoPad));
        }
    }

    /// <summary>Axes of PyTorch max/avg/lp pooling; each parameter has one value or one per spatial axis; stride null means the kernel.</summary>
    public static OracleAxis[] TorchAxes(int[] shape, int[] kernel, int[]? stride, int[]? padding, int[]? dilation, bool ceilMode)
    {
        int rank = shape.Length - 2;
        var axes = new OracleAxis[rank];
        for (int i = 0; i < rank; i++)
        {
            int k = Per(kernel, i, 0), s = stride is null ? k : Per(stride, i, k), p = Per(padding, i, 0), d = Per(dilation, i, 1);
            int o = OutputSize(shape[2 + i], k, s, p, p, d, ceilMode);
            axes[i] = OracleAxis.Sliding(shape[2 + i], o, k, s, p, p, d);
        }

        return axes;
    }

    /// <summary>Axes of ONNX pooling: pads are [begins..., ends...]; strides and dilations default to 1.</summary>
    public static OracleAxis[] OnnxAxes(int[] shape, int[] kernelShape, int[]? strides, int[]? pads, int[]? dilations, OracleAutoPad autoPad, bool ceilMode)
    {
        int rank = shape.Length - 2;
        var axes = new OracleAxis[rank];
        for (int i = 0; i < rank; i++)
        {
            int k = kernelShape[i], s = strides is null ? 1 : strides[i], d = dilations is null ? 1 : dilations[i];
            int o, pb, pe;
            if (autoPad == OracleAutoPad.NotSet)
            {
                pb = pads is null ? 0 : pads[i];
                pe = pads is null ? 0 : pads[i + rank];
                o = OutputSize(shape[2 + i], k, s, pb, pe, d, ceilMode);
            }
            else
            {
                (o, pb, pe) = OnnxAutoPadding(shape[2 + i], k, s, d, autoPad);
            }

            axes[i] = OracleAxis.Sliding(shape[2 + i], o, k, s, pb, pe, d);
        }

        return axes;
    }

    /// <summary>Axes of PyTorch adaptive pooling (one output size or one per spatial axis).</summary>
    public static OracleAxis[] AdaptiveAxes(int[] shape, int[] outputSize)
    {
        int rank = shape.Length - 2;
        var axes = new OracleAxis[rank];
        for (int i = 0; i < rank; i++)
        {
            axes[i] = OracleAxis.Adaptive(shape[2 + i], Per(outputSize, i, 0));
        }

        return axes;
    }

    /// <summary>The output shape (N, C, outputs per axis).</summary>
    public static int[] OutputShape(int[] shape, OracleAxis[] axes)
    {
        var result = new int[shape.Length];
        result[0] = shape[0];
        result[1] = shape[1];
        for (int i = 0; i < axes.Length; i++)
        {
            result[2 + i] = axes[i].Out;
        }

        return result;
    }

    // ------------------------------------------------------------------ forward

    /// <summary>PyTorch max_pool1d/2d/3d with return_indices.</summary>
    public static OracleResult TorchMaxPool(double[] x, int[] shape, int[] kernel, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        MaxPool(x, shape, TorchAxes(shape, kernel, stride, padding, dilation, ceilMode));

    /// <summary>PyTorch avg_pool1d/2d/3d.</summary>
    public static OracleResult TorchAvgPool(double[] x, int[] shape, int[] kernel, int[]? stride = null, int[]? padding = null, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null) =>
        AvgPool(x, shape, TorchAxes(shape, kernel, stride, padding, null, ceilMode), countIncludePad, divisorOverride);

    /// <summary>PyTorch lp_pool1d/2d/3d.</summary>
    public static OracleResult TorchLpPool(double[] x, int[] shape, double normType, int[] kernel, int[]? stride = null, bool ceilMode = false) =>
        TorchLpPool(x, shape, TorchAxes(shape, kernel, stride, null, null, ceilMode), normType);

    /// <summary>PyTorch adaptive_max_pool1d/2d/3d with return_indices.</summary>
    public static OracleResult AdaptiveMaxPool(double[] x, int[] shape, int[] outputSize) => MaxPool(x, shape, AdaptiveAxes(shape, outputSize));

    /// <summary>PyTorch adaptive_avg_pool1d/2d/3d.</summary>
    public static OracleResult AdaptiveAvgPool(double[] x, int[] shape, int[] outputSize) =>
        AvgPool(x, shape, AdaptiveAxes(shape, outputSize), countIncludePad: false, divisorOverride: null);

    /// <summary>ONNX MaxPool; <see cref="OracleResult.Indices"/> are plane-local (see <see cref="OnnxIndices"/>).</summary>
    public static OracleResult OnnxMaxPool(double[] x, int[] shape, int[] kernelShape, int[]? strides = null, int[]? pads = null, int[]? dilations = null,
        OracleAutoPad autoPad = OracleAutoPad.NotSet, bool ceilMode = false) =>
        MaxPool(x, shape, OnnxAxes(shape, kernelShape, strides, pads, dilations, autoPad, ceilMode));

    /// <summary>ONNX AveragePool (count_include_pad defaults to 0).</summary>
    public static OracleResult OnnxAveragePool(double[] x, int[] shape, int[] kernelShape, int[]? strides = null, int[]? pads = null, int[]? dilations = null,
        OracleAutoPad autoPad = OracleAutoPad.NotSet, bool ceilMode = false, bool countIncludePad = false) =>
        AvgPool(x, shape, OnnxAxes(shape, kernelShape, strides, pads, dilations, autoPad, ceilMode), countIncludePad, null);

    /// <summary>ONNX LpPool: <c>(Σ |x|^p)^(1/p)</c> over the window, padding contributing 0.</summary>
    public static OracleResult OnnxLpPool(double[] x, int[] shape, int p, int[] kernelShape, int[]? strides = null, int[]? pads = null, int[]? dilations = null,
        OracleAutoPad autoPad = OracleAutoPad.NotSet, bool ceilMode = false) =>
        OnnxLpPool(x, shape, OnnxAxes(shape, kernelShape, strides, pads, dilations, autoPad, ceilMode), p);

    /// <summary>
    /// Max over every window; the first valid tap seeds the maximum, then a tap replaces it when
    /// <c>v &gt; max || isnan(v)</c> (ties: first wins; NaN: last NaN wins). An empty window gives -∞ and index -1.
    /// </summary>
    public static OracleResult MaxPool(double[] x, int[] shape, OracleAxis[] axes)
    {
        var a = Normalize(axes);
        var outShape = OutputShape(shape, axes);
        long planes = (long)shape[0] * shape[1];
        int inPlane = Plane(a, output: false), outPlane = Plane(a, output: true);
        var y = new double[planes * outPlane];
        var idx = new long[planes * outPlane];
        for (long p = 0; p < planes; p++)
        {
            foreach (var (o, od, oh, ow) in Outputs(a))
            {
                double best = double.NegativeInfinity;
                long at = -1;
                bool first = true;
                foreach (int t in Taps(a, od, oh, ow))
                {
                    double v = x[(p * inPlane) + t];
                    if (first || v > best || double.IsNaN(v))
                    {
                        best = v;
                        at = t;
                        first = false;
                    }
                }

                y[(p * outPlane) + o] = best;
                idx[(p * outPlane) + o] = at;
            }
        }

        return new OracleResult(y, idx, outShape);
    }

    /// <summary>
    /// Sum of the valid taps divided by divisorOverride, else (countIncludePad ? taps inside input or declared
    /// padding : valid taps); an empty window gives 0.
    /// </summary>
    public static OracleResult AvgPool(double[] x, int[] shape, OracleAxis[] axes, bool countIncludePad, int? divisorOverride)
    {
        var a = Normalize(axes);
        long planes = (long)shape[0] * shape[1];
        int inPlane = Plane(a, output: false), outPlane = Plane(a, output: true);
        var y = new double[planes * outPlane];
        for (long p = 0; p < planes; p++)
        {
            foreach (var (o, od, oh, ow) in Outputs(a))
            {
                var taps = Taps(a, od, oh, ow);
                if (taps.Count == 0)
                {
                    continue;
                }

                double sum = 0;
                foreach (int t in taps)
                {
                    sum += x[(p * inPlane) + t];
                }

                y[(p * outPlane) + o] = sum / AvgDivisor(a, od, oh, ow, taps.Count, countIncludePad, divisorOverride);
            }
        }

        return new OracleResult(y, [], OutputShape(shape, axes));
    }

    /// <summary>
    /// PyTorch lp_pool: <c>a = avg_pool(x^p)</c> over the valid taps (no padding), then
    /// <c>y = (sign(a) * relu(|a|) * K)^(1/p)</c> with K the product of the kernel sizes. No absolute value.
    /// </summary>
    public static OracleResult TorchLpPool(double[] x, int[] shape, OracleAxis[] axes, double p)
    {
        var powered = x.Select(v => Math.Pow(v, p)).ToArray();
        var avg = AvgPool(powered, shape, axes, countIncludePad: true, divisorOverride: null);
        double k = KernelVolume(axes);
        var y = avg.Values.Select(a => Math.Pow(Sign(a) * Math.Max(Math.Abs(a), 0) * k, 1 / p)).ToArray();
        return avg with { Values = y };
    }

    /// <summary>ONNX LpPool: <c>y = (Σ_window |x|^p)^(1/p)</c>, padding contributing 0.</summary>
    public static OracleResult OnnxLpPool(double[] x, int[] shape, OracleAxis[] axes, int p)
    {
        var a = Normalize(axes);
        long planes = (long)shape[0] * shape[1];
        int inPlane = Plane(a, output: false), outPlane = Plane(a, output: true);
        var y = new double[planes * outPlane];
        for (long pl = 0; pl < planes; pl++)
        {
            foreach (var (o, od, oh, ow) in Outputs(a))
            {
                double sum = 0;
                foreach (int t in Taps(a, od, oh, ow))
                {
                    sum += Math.Pow(Math.Abs(x[(pl * inPlane) + t]), p);
                }

                y[(pl * outPlane) + o] = Math.Pow(sum, 1.0 / p);
            }
        }

        return new OracleResult(y, [], OutputShape(shape, axes));
    }

    /// <summary>
    /// ONNX MaxPool indices from plane-local ones: flat over the whole N·C·spatial tensor; row-major
    /// <c>plane*P + (d*H + h)*W + w</c>, or with storage_order 1 <c>plane*P + h + w*H + d*H*W</c>. -1 stays -1.
    /// </summary>
    public static long[] OnnxIndices(long[] planeLocal, int[] inputShape, int[] outputShape, bool columnMajor)
    {
        int rank = inputShape.Length - 2;
        int dIn = rank == 3 ? inputShape[2] : 1, hIn = rank >= 2 ? inputShape[^2] : 1, wIn = inputShape[^1];
        long inPlane = (long)dIn * hIn * wIn;
        long outPlane = 1;
        for (int i = 2; i < outputShape.Length; i++)
        {
            outPlane *= outputShape[i];
        }

        var result = new long[planeLocal.Length];
        for (long i = 0; i < planeLocal.Length; i++)
        {
            long local = planeLocal[i];
            if (local < 0)
            {
                result[i] = -1;
                continue;
            }

            long plane = i / outPlane;
            long d = local / ((long)hIn * wIn), h = local / wIn % hIn, w = local % wIn;
            long code = columnMajor ? h + (w * hIn) + (d * hIn * wIn) : local;
            result[i] = (plane * inPlane) + code;
        }

        return result;
    }

    /// <summary>PyTorch max_unpool: a zero output, then <c>y[n, c, idx] = x</c> in memory order (the last write wins).</summary>
    public static double[] MaxUnpool(double[] x, long[] indices, int[] inputShape, int[] outputSpatial)
    {
        long planes = (long)inputShape[0] * inputShape[1];
        long inPlane = Product(inputShape.AsSpan(2)), outPlane = Product(outputSpatial);
        var y = new double[planes * outPlane];
        for (long p = 0; p < planes; p++)
        {
            for (long i = 0; i < inPlane; i++)
            {
                long at = indices[(p * inPlane) + i];
                if (at < 0 || at >= outPlane)
                {
                    throw new ArgumentOutOfRangeException(nameof(indices), $"index {at} outside the output plane of {outPlane}");
                }

                y[(p * outPlane) + at] = x[(p * inPlane) + i];
            }
        }

        return y;
    }

    // ------------------------------------------------------------------ backward

    /// <summary>Max pooling backward: zero, then <c>dx[n, c, idx[o]] += dy[o]</c> (plane-local indices; -1 skipped).</summary>
    public static double[] MaxPoolBackward(double[] gradOutput, long[] indices, int[] inputShape, int[] outputShape)
    {
        long planes = (long)inputShape[0] * inputShape[1];
        long inPlane = Product(inputShape.AsSpan(2)), outPlane = Product(outputShape.AsSpan(2));
        var dx = new double[planes * inPlane];
        for (long p = 0; p < planes; p++)
        {
            for (long o = 0; o < outPlane; o++)
            {
                long at = indices[(p * outPlane) + o];
                if (at >= 0)
                {
                    dx[(p * inPlane) + at] += gradOutput[(p * outPlane) + o];
                }
            }
        }

        return dx;
    }

    /// <summary>Average pooling backward: every valid tap of window o receives <c>dy[o] / divisor(o)</c>.</summary>
    public static double[] AvgPoolBackward(double[] gradOutput, int[] inputShape, OracleAxis[] axes, bool countIncludePad, int? divisorOverride)
    {
        var a = Normalize(axes);
        long planes = (long)inputShape[0] * inputShape[1];
        int inPlane = Plane(a, output: false), outPlane = Plane(a, output: true);
        var dx = new double[planes * inPlane];
        for (long p = 0; p < planes; p++)
        {
            foreach (var (o, od, oh, ow) in Outputs(a))
            {
                var taps = Taps(a, od, oh, ow);
                if (taps.Count == 0)
                {
                    continue;
                }

                double share = gradOutput[(p * outPlane) + o] / AvgDivisor(a, od, oh, ow, taps.Count, countIncludePad, divisorOverride);
                foreach (int t in taps)
                {
                    dx[(p * inPlane) + t] += share;
                }
            }
        }

        return dx;
    }

    /// <summary>
    /// PyTorch lp_pool backward (spec §1.4): <c>dy/dx_i = (K/n) x_i^(p-1) y^(1-p)</c> for every valid tap i of a
    /// window with n valid taps, and 0 for a window whose average of x^p is 0.
    /// </summary>
    public static double[] TorchLpPoolBackward(double[] x, double[] gradOutput, int[] shape, OracleAxis[] axes, double p)
    {
        var a = Normalize(axes);
        var y = TorchLpPool(x, shape, axes, p).Values;
        double k = KernelVolume(axes);
        long planes = (long)shape[0] * shape[1];
        int inPlane = Plane(a, output: false), outPlane = Plane(a, output: true);
        var dx = new double[planes * inPlane];
        for (long pl = 0; pl < planes; pl++)
        {
            foreach (var (o, od, oh, ow) in Outputs(a))
            {
                var taps = Taps(a, od, oh, ow);
                double sum = 0;
                foreach (int t in taps)
                {
                    sum += Math.Pow(x[(pl * inPlane) + t], p);
                }

                if (sum == 0 || taps.Count == 0)
                {
                    continue;
                }

                double yo = y[(pl * outPlane) + o], g = gradOutput[(pl * outPlane) + o];
                foreach (int t in taps)
                {
                    dx[(pl * inPlane) + t] += g * (k / taps.Count) * Math.Pow(x[(pl * inPlane) + t], p - 1) * Math.Pow(yo, 1 - p);
                }
            }
        }

        return dx;
    }

    /// <summary>ONNX LpPool backward (spec §2.4): <c>dy/dx_i = sign(x_i) |x_i|^(p-1) y^(1-p)</c>, 0 where y = 0.</summary>
    public static double[] OnnxLpPoolBackward(double[] x, double[] gradOutput, int[] shape, OracleAxis[] axes, int p)
    {
        var a = Normalize(axes);
        var y = OnnxLpPool(x, shape, axes, p).Values;
        long planes = (long)shape[0] * shape[1];
        int inPlane = Plane(a, output: false), outPlane = Plane(a, output: true);
        var dx = new double[planes * inPlane];
        for (long pl = 0; pl < planes; pl++)
        {
            foreach (var (o, od, oh, ow) in Outputs(a))
            {
                double yo = y[(pl * outPlane) + o], g = gradOutput[(pl * outPlane) + o];
                if (yo == 0)
                {
                    continue;
                }

                foreach (int t in Taps(a, od, oh, ow))
                {
                    double v = x[(pl * inPlane) + t];
                    dx[(pl * inPlane) + t] += g * Sign(v) * Math.Pow(Math.Abs(v), p - 1) * Math.Pow(yo, 1 - p);
                }
            }
        }

        return dx;
    }

    /// <summary>Max unpooling backward, a gather: <c>dx[n, c, i] = dy[n, c, idx[i]]</c>.</summary>
    public static double[] MaxUnpoolBackward(double[] gradOutput, long[] indices, int[] inputShape, int[] outputSpatial)
    {
        long planes = (long)inputShape[0] * inputShape[1];
        long inPlane = Product(inputShape.AsSpan(2)), outPlane = Product(outputSpatial);
        var dx = new double[planes * inPlane];
        for (long p = 0; p < planes; p++)
        {
            for (long i = 0; i < inPlane; i++)
            {
                dx[(p * inPlane) + i] = gradOutput[(p * outPlane) + indices[(p * inPlane) + i]];
            }
        }

        return dx;
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Product of the declared kernel extents.</summary>
    public static double KernelVolume(OracleAxis[] axes)
    {
        double k = 1;
        foreach (var axis in axes)
        {
            k *= axis.Kernel;
        }

        return k;
    }

    /// <summary>Plane-local flat indices <c>(d*H + h)*W + w</c> of the valid taps of one window, in D, H, W scan order.</summary>
    /// <summary>Every output position of one plane in row-major order, with its flat index.</summary>
    private static IEnumerable<(int O, int Od, int Oh, int Ow)> Outputs(OracleAxis[] a)
    {
        int o = 0;
        for (int od = 0; od < a[0].Out; od++)
        {
            for (int oh = 0; oh < a[1].Out; oh++)
            {
                for (int ow = 0; ow < a[2].Out; ow++)
                {
                    yield return (o++, od, oh, ow);
                }
            }
        }
    }

    private static List<int> Taps(OracleAxis[] a, int od, int oh, int ow)
    {
        var taps = new List<int>();
        foreach (int d in a[0].Valid[od])
        {
            foreach (int h in a[1].Valid[oh])
            {
                foreach (int w in a[2].Valid[ow])
                {
                    taps.Add((((d * a[1].In) + h) * a[2].In) + w);
                }
            }
        }

        return taps;
    }

    private static double AvgDivisor(OracleAxis[] a, int od, int oh, int ow, int validTaps, bool countIncludePad, int? divisorOverride)
    {
        if (divisorOverride is { } d)
        {
            return d;
        }

        return countIncludePad ? (double)a[0].Counted[od] * a[1].Counted[oh] * a[2].Counted[ow] : validTaps;
    }

    /// <summary>Pads the spatial axes to (D, H, W) with unit axes in front.</summary>
    private static OracleAxis[] Normalize(OracleAxis[] axes) => axes.Length switch
    {
        1 => [OracleAxis.Unit, OracleAxis.Unit, axes[0]],
        2 => [OracleAxis.Unit, axes[0], axes[1]],
        3 => axes,
        _ => throw new ArgumentException("1 to 3 spatial axes", nameof(axes)),
    };

    private static int Plane(OracleAxis[] a, bool output) => output ? a[0].Out * a[1].Out * a[2].Out : a[0].In * a[1].In * a[2].In;

    private static long Product(ReadOnlySpan<int> values)
    {
        long p = 1;
        foreach (int v in values)
        {
            p *= v;
        }

        return p;
    }

    private static int Per(int[]? values, int i, int fallback) =>
        values is null || values.Length == 0 ? fallback : values[values.Length == 1 ? 0 : i];

    /// <summary>torch.sign: -1, 0 or 1, NaN for NaN.</summary>
    private static double Sign(double v) => double.IsNaN(v) ? double.NaN : Math.Sign(v);
}
