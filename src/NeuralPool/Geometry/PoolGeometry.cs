namespace NeuralPool.Geometry;

/// <summary>Which PyTorch pooling function a geometry is validated for (their argument checks differ).</summary>
public enum TorchPoolKind
{
    /// <summary><c>max_pool1d/2d/3d</c>.</summary>
    Max,

    /// <summary><c>avg_pool1d/2d/3d</c>.</summary>
    Average,

    /// <summary><c>lp_pool1d/2d/3d</c> (no padding, no dilation).</summary>
    Power,
}

/// <summary>ONNX <c>auto_pad</c>.</summary>
public enum AutoPad
{
    /// <summary>Explicit <c>pads</c>.</summary>
    NotSet,

    /// <summary>Output <c>ceil(in / stride)</c>, odd padding at the end.</summary>
    SameUpper,

    /// <summary>Output <c>ceil(in / stride)</c>, odd padding at the beginning.</summary>
    SameLower,

    /// <summary>No padding.</summary>
    Valid,
}

/// <summary>
/// The one place that validates pooling parameters and computes output sizes, padding, ceil mode and
/// window bounds. Every axis is normalised to three spatial axes (D, H, W); missing leading axes are
/// unit axes, so 1-D pooling runs on (1, 1, L) and 2-D on (1, H, W). Created once, reused by every call.
/// </summary>
public readonly record struct PoolGeometry
{
    /// <summary>Batch size.</summary>
    public int N { get; init; }

    /// <summary>Channels.</summary>
    public int C { get; init; }

    /// <summary>Number of spatial axes of the caller's tensor (1, 2 or 3).</summary>
    public int SpatialRank { get; init; }

    /// <summary>Memory layout of input and output.</summary>
    public TensorLayout Layout { get; init; }

    /// <summary>Depth axis (unit for 1-D and 2-D pooling).</summary>
    public PoolAxis D { get; init; }

    /// <summary>Height axis (unit for 1-D pooling).</summary>
    public PoolAxis H { get; init; }

    /// <summary>Width axis (the innermost spatial axis).</summary>
    public PoolAxis W { get; init; }

    /// <summary>Elements of one input spatial plane.</summary>
    public long InputPlane => (long)D.In * H.In * W.In;

    /// <summary>Elements of one output spatial plane.</summary>
    public long OutputPlane => (long)D.Out * H.Out * W.Out;

    /// <summary>Total input elements.</summary>
    public long InputLength => (long)N * C * InputPlane;

    /// <summary>Total output elements.</summary>
    public long OutputLength => (long)N * C * OutputPlane;

    /// <summary>Product of the kernel extents (the <c>K</c> of PyTorch's lp_pool formula).</summary>
    public long KernelVolume => (long)D.Kernel * H.Kernel * W.Kernel;

    /// <summary>The axis for spatial dimension <paramref name="i"/> of the caller's tensor.</summary>
    public PoolAxis Spatial(int i) => (SpatialRank - i) switch
    {
        1 => W,
        2 => H,
        3 => D,
        _ => throw new ArgumentOutOfRangeException(nameof(i)),
    };

    /// <summary>The input shape in the caller's order (physical, following <see cref="Layout"/>).</summary>
    public int[] InputShape => Shape(output: false);

    /// <summary>The output shape in the caller's order (physical, following <see cref="Layout"/>).</summary>
    public int[] OutputShape => Shape(output: true);

    private int[] Shape(bool output)
    {
        var shape = new int[SpatialRank + 2];
        int first = Layout == TensorLayout.ChannelsFirst ? 2 : 1;
        shape[0] = N;
        shape[Layout == TensorLayout.ChannelsFirst ? 1 : SpatialRank + 1] = C;
        for (int i = 0; i < SpatialRank; i++)
        {
            shape[first + i] = output ? Spatial(i).Out : Spatial(i).In;
        }

        return shape;
    }

    /// <summary>
    /// Geometry of PyTorch's <c>max_pool</c>, <c>avg_pool</c> and <c>lp_pool</c> with PyTorch's checks:
    /// kernel, stride and dilation positive, padding non-negative and at most half the kernel, output at
    /// least 1, and in ceil mode the last window dropped when it would start in the right padding.
    /// </summary>
    /// <param name="inputShape">N, C, spatial (channels-first) or N, spatial, C (channels-last).</param>
    /// <param name="layout">Memory layout of <paramref name="inputShape"/>.</param>
    /// <param name="spatialRank">1, 2 or 3.</param>
    /// <param name="kernelSize">One value for all axes or one per axis.</param>
    /// <param name="stride">Empty for PyTorch's default (the kernel size), else one value or one per axis.</param>
    /// <param name="padding">Empty for 0, else one value or one per axis (both sides).</param>
    /// <param name="dilation">Empty for 1, else one value or one per axis.</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <param name="kind">Which function's checks apply.</param>
    /// <exception cref="ArgumentException">Any parameter is out of range; the message names it.</exception>
    public static PoolGeometry Torch(ReadOnlySpan<int> inputShape, TensorLayout layout, int spatialRank,
        ReadOnlySpan<int> kernelSize, ReadOnlySpan<int> stride, ReadOnlySpan<int> padding, ReadOnlySpan<int> dilation,
        bool ceilMode, TorchPoolKind kind)
    {
        var (n, c, sizes) = SplitShape(inputShape, layout, spatialRank);
        Span<int> k = stackalloc int[3], s = stackalloc int[3], p = stackalloc int[3], d = stackalloc int[3];
        Expand(kernelSize, spatialRank, 0, "kernelSize", k);
        Expand(stride.IsEmpty ? kernelSize : stride, spatialRank, 0, "stride", s);
        Expand(padding, spatialRank, 0, "padding", p);
        Expand(dilation, spatialRank, 1, "dilation", d);
        if (kind == TorchPoolKind.Power && !padding.IsEmpty && p[..spatialRank].ContainsAnyExcept(0))
        {
            ThrowHelper.Argument(nameof(padding), "lp_pool takes no padding.");
        }

        var axes = new PoolAxis[3];
        for (int i = 0; i < spatialRank; i++)
        {
            if (k[i] <= 0)
            {
                ThrowHelper.Argument(nameof(kernelSize), $"kernel size should be greater than zero, but got {ThrowHelper.Format(k[..spatialRank])}.");
            }

            if (s[i] <= 0)
            {
                ThrowHelper.Argument(nameof(stride), $"stride should be greater than zero, but got {ThrowHelper.Format(s[..spatialRank])}.");
            }

            if (d[i] <= 0)
            {
                ThrowHelper.Argument(nameof(dilation), $"dilation should be greater than zero, but got {ThrowHelper.Format(d[..spatialRank])}.");
            }

            if (p[i] < 0)
            {
                ThrowHelper.Argument(nameof(padding), $"padding should be non-negative, but got {ThrowHelper.Format(p[..spatialRank])}.");
            }

            if (p[i] > k[i] / 2)
            {
                ThrowHelper.Argument(nameof(padding), $"padding {p[i]} exceeds half the kernel size {k[i]} on spatial axis {i} (PyTorch requires padding <= kernel_size / 2).");
            }

            if (kind == TorchPoolKind.Average && spatialRank == 3 && sizes[i] < k[i])
            {
                ThrowHelper.Argument(nameof(inputShape), $"avg_pool3d input {ThrowHelper.Format(sizes)} is smaller than the kernel {ThrowHelper.Format(k[..3])} on spatial axis {i}.");
            }

            int o = OutputSize(sizes[i], k[i], s[i], p[i], p[i], d[i], ceilMode);
            if (o < 1)
            {
                ThrowHelper.Argument(nameof(inputShape), $"input spatial size {ThrowHelper.Format(sizes)} is too small for kernel {ThrowHelper.Format(k[..spatialRank])} with padding {ThrowHelper.Format(p[..spatialRank])} and dilation {ThrowHelper.Format(d[..spatialRank])}: output size on spatial axis {i} would be {o}.");
            }

            axes[i] = PoolAxis.Sliding(sizes[i], o, k[i], s[i], p[i], p[i], d[i]);
        }

        return Assemble(n, c, spatialRank, layout, axes);
    }

    /// <summary>
    /// Geometry of the ONNX pooling operators (MaxPool, AveragePool, LpPool) with ONNX defaults:
    /// strides 1, pads 0, dilations 1, auto_pad NOTSET.
    /// </summary>
    /// <param name="inputShape">N, C, spatial (channels-first) or N, spatial, C (channels-last).</param>
    /// <param name="layout">Memory layout of <paramref name="inputShape"/>.</param>
    /// <param name="kernelShape">One value per spatial axis (required).</param>
    /// <param name="strides">Empty for 1, else one per axis.</param>
    /// <param name="pads">Empty for 0, else begin values then end values (2 × rank).</param>
    /// <param name="dilations">Empty for 1, else one per axis.</param>
    /// <param name="autoPad">ONNX auto_pad; when not <see cref="AutoPad.NotSet"/> the pads are computed and <paramref name="pads"/> must be empty or zero.</param>
    /// <param name="ceilMode">Round the output size up (explicit pads only).</param>
    /// <exception cref="ArgumentException">Any parameter is out of range; the message names it.</exception>
    public static PoolGeometry Onnx(ReadOnlySpan<int> inputShape, TensorLayout layout, ReadOnlySpan<int> kernelShape,
        ReadOnlySpan<int> strides, ReadOnlySpan<int> pads, ReadOnlySpan<int> dilations, AutoPad autoPad, bool ceilMode)
    {
        int rank = inputShape.Length - 2;
        if (rank < 1 || rank > 3)
        {
            ThrowHelper.Argument(nameof(inputShape), $"input shape {ThrowHelper.Format(inputShape)} must have 3 to 5 dimensions (N, C and 1 to 3 spatial axes).");
        }

        if (kernelShape.Length != rank)
        {
            ThrowHelper.Argument(nameof(kernelShape), $"kernel_shape {ThrowHelper.Format(kernelShape)} must have one value per spatial axis ({rank}).");
        }

        if (!strides.IsEmpty && strides.Length != rank)
        {
            ThrowHelper.Argument(nameof(strides), $"strides {ThrowHelper.Format(strides)} must have one value per spatial axis ({rank}).");
        }

        if (!dilations.IsEmpty && dilations.Length != rank)
        {
            ThrowHelper.Argument(nameof(dilations), $"dilations {ThrowHelper.Format(dilations)} must have one value per spatial axis ({rank}).");
        }

        if (!pads.IsEmpty && pads.Length != 2 * rank)
        {
            ThrowHelper.Argument(nameof(pads), $"pads {ThrowHelper.Format(pads)} must have two values per spatial axis ({2 * rank}: all begins, then all ends).");
        }

        if (autoPad != AutoPad.NotSet && pads.ContainsAnyExcept(0))
        {
            ThrowHelper.Argument(nameof(pads), $"pads {ThrowHelper.Format(pads)} cannot be combined with auto_pad {autoPad}.");
        }

        var (n, c, sizes) = SplitShape(inputShape, layout, rank);
        var axes = new PoolAxis[3];
        for (int i = 0; i < rank; i++)
        {
            int k = kernelShape[i];
            int s = strides.IsEmpty ? 1 : strides[i];
            int d = dilations.IsEmpty ? 1 : dilations[i];
            int pb = pads.IsEmpty ? 0 : pads[i];
            int pe = pads.IsEmpty ? 0 : pads[i + rank];
            if (k <= 0)
            {
                ThrowHelper.Argument(nameof(kernelShape), $"kernel_shape {ThrowHelper.Format(kernelShape)} must be positive.");
            }

            if (s <= 0)
            {
                ThrowHelper.Argument(nameof(strides), $"strides {ThrowHelper.Format(strides)} must be positive.");
            }

            if (d <= 0)
            {
                ThrowHelper.Argument(nameof(dilations), $"dilations {ThrowHelper.Format(dilations)} must be positive.");
            }

            if (pb < 0 || pe < 0)
            {
                ThrowHelper.Argument(nameof(pads), $"pads {ThrowHelper.Format(pads)} must be non-negative.");
            }

            long effective = ((long)(k - 1) * d) + 1;
            if (pb >= effective || pe >= effective)
            {
                ThrowHelper.Argument(nameof(pads), $"pads {ThrowHelper.Format(pads)} must be smaller than the effective kernel size {effective} on spatial axis {i}.");
            }

            int o;
            switch (autoPad)
            {
                case AutoPad.SameUpper:
                case AutoPad.SameLower:
                    o = (int)(((long)sizes[i] + s - 1) / s);
                    long total = Math.Max(0, ((long)(o - 1) * s) + effective - sizes[i]);
                    pb = (int)(autoPad == AutoPad.SameUpper ? total / 2 : total - (total / 2));
                    pe = (int)(total - pb);
                    break;
                case AutoPad.Valid:
                    o = OutputSize(sizes[i], k, s, 0, 0, d, ceilMode: false);
                    break;
                default:
                    o = OutputSize(sizes[i], k, s, pb, pe, d, ceilMode);
                    break;
            }

            if (o < 1)
            {
                ThrowHelper.Argument(nameof(inputShape), $"input spatial size {ThrowHelper.Format(sizes)} is too small for kernel_shape {ThrowHelper.Format(kernelShape)}: output size on spatial axis {i} would be {o}.");
            }

            axes[i] = PoolAxis.Sliding(sizes[i], o, k, s, pb, pe, d);
        }

        return Assemble(n, c, rank, layout, axes);
    }

    /// <summary>
    /// Geometry of PyTorch's adaptive pooling: output <paramref name="outputSize"/> (one value for all
    /// axes or one per axis; a negative entry keeps that input extent, like PyTorch's <c>None</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A shape or size is invalid.</exception>
    public static PoolGeometry Adaptive(ReadOnlySpan<int> inputShape, TensorLayout layout, int spatialRank, ReadOnlySpan<int> outputSize)
    {
        var (n, c, sizes) = SplitShape(inputShape, layout, spatialRank);
        if (outputSize.Length != 1 && outputSize.Length != spatialRank)
        {
            ThrowHelper.Argument(nameof(outputSize), $"output size {ThrowHelper.Format(outputSize)} must have 1 or {spatialRank} values.");
        }

        var axes = new PoolAxis[3];
        for (int i = 0; i < spatialRank; i++)
        {
            int o = outputSize[outputSize.Length == 1 ? 0 : i];
            if (o < 0)
            {
                o = sizes[i];
            }

            if (sizes[i] == 0 && o > 0)
            {
                ThrowHelper.Argument(nameof(inputShape), $"input spatial size {ThrowHelper.Format(sizes)} has an empty axis {i}; adaptive pooling needs a non-empty input.");
            }

            axes[i] = PoolAxis.AdaptiveBins(sizes[i], o);
        }

        return Assemble(n, c, spatialRank, layout, axes);
    }

    /// <summary>Geometry of global pooling: one window over the whole spatial extent.</summary>
    public static PoolGeometry Global(ReadOnlySpan<int> inputShape, TensorLayout layout)
    {
        int rank = inputShape.Length - 2;
        if (rank < 1 || rank > 3)
        {
            ThrowHelper.Argument(nameof(inputShape), $"input shape {ThrowHelper.Format(inputShape)} must have 3 to 5 dimensions (N, C and 1 to 3 spatial axes).");
        }

        return Adaptive(inputShape, layout, rank, [1]);
    }

    /// <summary>The output extent of a sliding window axis (PyTorch's <c>pooling_output_shape_pad_lr</c>, ONNX's explicit-pads rule).</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceilMode)
    {
        long numerator = (long)input + padBegin + padEnd - ((long)dilation * (kernel - 1)) - 1 + (ceilMode ? stride - 1 : 0);
        long o = (long)Math.Floor((double)numerator / stride) + 1;
        if (ceilMode && (o - 1) * stride >= (long)input + padBegin)
        {
            o--;
        }

        return (int)Math.Clamp(o, int.MinValue, int.MaxValue);
    }

    private static PoolGeometry Assemble(int n, int c, int rank, TensorLayout layout, PoolAxis[] axes)
    {
        var g = new PoolGeometry
        {
            N = n,
            C = c,
            SpatialRank = rank,
            Layout = layout,
            D = rank == 3 ? axes[0] : PoolAxis.Unit,
            H = rank >= 2 ? axes[rank - 2] : PoolAxis.Unit,
            W = axes[rank - 1],
        };
        if (g.InputLength > int.MaxValue || g.OutputLength > int.MaxValue)
        {
            ThrowHelper.Argument("inputShape", $"tensor of {Math.Max(g.InputLength, g.OutputLength)} elements exceeds the span limit of {int.MaxValue} elements.");
        }

        return g;
    }

    internal static (int N, int C, int[] Sizes) SplitShape(ReadOnlySpan<int> shape, TensorLayout layout, int spatialRank)
    {
        if (spatialRank < 1 || spatialRank > 3)
        {
            ThrowHelper.Argument(nameof(spatialRank), $"spatial rank {spatialRank} must be 1, 2 or 3.");
        }

        if (shape.Length != spatialRank + 2)
        {
            string names = spatialRank switch { 1 => "N, C, L", 2 => "N, C, H, W", _ => "N, C, D, H, W" };
            ThrowHelper.Argument("inputShape", $"input shape {ThrowHelper.Format(shape)} must have {spatialRank + 2} dimensions ({names} in channels-first order or with C last).");
        }

        foreach (int v in shape)
        {
            if (v < 0)
            {
                ThrowHelper.Argument("inputShape", $"input shape {ThrowHelper.Format(shape)} has a negative dimension.");
            }
        }

        bool first = layout == TensorLayout.ChannelsFirst;
        int c = first ? shape[1] : shape[^1];
        int[] sizes = (first ? shape[2..] : shape[1..^1]).ToArray();
        return (shape[0], c, sizes);
    }

    private static void Expand(ReadOnlySpan<int> values, int rank, int fallback, string name, Span<int> into)
    {
        into.Fill(1);
        if (values.IsEmpty)
        {
            into[..rank].Fill(fallback);
            return;
        }

        if (values.Length == 1)
        {
            into[..rank].Fill(values[0]);
            return;
        }

        if (values.Length != rank)
        {
            ThrowHelper.Argument(name, $"{name} {ThrowHelper.Format(values)} must have 1 or {rank} values.");
        }

        values.CopyTo(into);
    }
}
