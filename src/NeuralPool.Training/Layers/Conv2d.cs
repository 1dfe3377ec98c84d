using System.Numerics;
using NeuralPool.Training.Kernels;

namespace NeuralPool.Training.Layers;

/// <summary>
/// 2-D convolution (PyTorch <c>nn.Conv2d</c>, groups = 1): <c>y[n][o][i][j] = b[o] + Σ_{c,u,v} W[o][c][u][v]·x[n][c][i·sh − ph + u·dh][j·sw − pw + v·dw]</c>
/// (zero outside the input). Weight (out, in, kh, kw), bias (out).
/// <para>
/// Forward, per image: the column matrix of the image (<see cref="Im2Col"/>, K = in·kh·kw rows, P = oh·ow
/// columns; the image itself for a 1×1 stride-1 kernel) and one matrix product <c>Y = W·col</c> into an output
/// pre-filled with the bias. Keeps the input. Backward, per image: the column matrix again,
/// <c>dW += dY·colᵀ</c>, <c>db += Σ_p dY</c>, and <c>dcol = Wᵀ·dY</c> folded back by the adjoint of the column
/// matrix into the input gradient.
/// </para>
/// <para>
/// Threads and determinism: images are split over threads. The weight gradient is summed per group of images
/// (min(N, 16) fixed groups, images in order within a group) and the group sums are added to the gradient in group
/// order, so results do not depend on the thread count.
/// </para>
/// </summary>
public sealed class Conv2d<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private const int MaxGroups = 16;
    private DenseTensor<T>? _input, _output, _gradInput;
    private T[] _weightPartials = [], _biasPartials = [];

    /// <summary>A square-kernel convolution.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="stride">Stride on both axes.</param>
    /// <param name="padding">Zero padding on both sides of both axes.</param>
    /// <param name="dilation">Dilation on both axes.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="init">Initialisation (PyTorch's default unless told).</param>
    /// <param name="random">Generator for the initial values (a generator seeded with 0 when null).</param>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, bool bias = true,
        InitScheme init = InitScheme.TorchDefault, SeededRandom? random = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), bias, init, random)
    {
    }

    /// <summary>A convolution with per-axis sizes (height, width).</summary>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation,
        bool bias = true, InitScheme init = InitScheme.TorchDefault, SeededRandom? random = null)
    {
        if (inChannels <= 0 || outChannels <= 0)
        {
            ThrowHelper.Argument(inChannels <= 0 ? nameof(inChannels) : nameof(outChannels), $"channel counts must be positive, got in {inChannels}, out {outChannels}.");
        }

        if (kernelSize.H <= 0 || kernelSize.W <= 0 || stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0)
        {
            ThrowHelper.Argument(nameof(kernelSize), $"kernel size {kernelSize}, stride {stride} and dilation {dilation} must be positive.");
        }

        if (padding.H < 0 || padding.W < 0)
        {
            ThrowHelper.Argument(nameof(padding), $"padding {padding} must be non-negative.");
        }

        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Weight = new Parameter<T>(outChannels, inChannels, kernelSize.H, kernelSize.W);
        Bias = bias ? new Parameter<T>(outChannels) : null;
        ResetParameters(init, random ?? new SeededRandom(0));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel (height, width).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Stride (height, width).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding (height, width), applied on both sides.</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Dilation (height, width).</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>The weight, (out, in, kh, kw).</summary>
    public Parameter<T> Weight { get; }

    /// <summary>The bias, (out), or null.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>Re-initialises weight and bias (fan-in = in·kh·kw).</summary>
    public void ResetParameters(InitScheme init, SeededRandom random) =>
        Init.Apply(init, Weight, Bias, InChannels * KernelSize.H * KernelSize.W, random);

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var g = Geometry(inputShape);
        return [inputShape[0], OutChannels, g.OH, g.OW];
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = Geometry(input.Shape);
        int n = input.Shape[0], k = g.K, p = g.P, cout = OutChannels;
        int inPlane = g.C * g.H * g.W, outPlane = cout * p;
        var output = Reuse(ref _output, [n, cout, g.OH, g.OW]);
        _input = input;
        T[] x = input.Data, y = output.Data, w = Weight.Data;
        T[]? b = Bias?.Data;
        bool innerThreads = n < TrainingSettings.Threads;

        void Images(int n0, int n1)
        {
            Span<T> col = g.IsPointwise ? default : Scratch<T>.Get(Scratch<T>.Columns, k * p).AsSpan(0, k * p);
            for (int i = n0; i < n1; i++)
            {
                ReadOnlySpan<T> image = x.AsSpan(i * inPlane, inPlane);
                ReadOnlySpan<T> cols = image;
                if (!g.IsPointwise)
                {
                    Im2Col.Forward(g, image, col);
                    cols = col;
                }

                Span<T> dst = y.AsSpan(i * outPlane, outPlane);
                if (b is not null)
                {
                    for (int o = 0; o < cout; o++)
                    {
                        dst.Slice(o * p, p).Fill(b[o]);
                    }
                }

                Gemm.Multiply<T>(false, false, cout, p, k, w, k, cols, p, dst, p, accumulate: b is not null, parallel: innerThreads);
            }
        }

        if (innerThreads)
        {
            Images(0, n);
        }
        else
        {
            WorkerTeam.For(n, Images);
        }

        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var input = Saved(_input);
        CheckGradient(gradOutput, _output!.Shape);
        var g = Geometry(input.Shape);
        int n = input.Shape[0], k = g.K, p = g.P, cout = OutChannels;
        int inPlane = g.C * g.H * g.W, outPlane = cout * p, wLength = cout * k;
        int groups = Math.Min(n, MaxGroups);
        if (_weightPartials.Length < groups * wLength)
        {
            _weightPartials = new T[groups * wLength];
            _biasPartials = new T[groups * cout];
        }

        var gradInput = InputGradient ? Reuse(ref _gradInput, input.Shape) : null;
        T[] x = input.Data, gy = gradOutput.Data, w = Weight.Data, wp = _weightPartials, bp = _biasPartials;
        T[]? gx = gradInput?.Data;
        bool bias = Bias is not null, innerThreads = groups < TrainingSettings.Threads;

        void Groups(int g0, int g1)
        {
            Span<T> col = g.IsPointwise ? default : Scratch<T>.Get(Scratch<T>.Columns, k * p).AsSpan(0, k * p);
            Span<T> dcol = g.IsPointwise || gx is null ? default : Scratch<T>.Get(Scratch<T>.ColumnGradients, k * p).AsSpan(0, k * p);
            for (int grp = g0; grp < g1; grp++)
            {
                Span<T> dw = wp.AsSpan(grp * wLength, wLength);
                Span<T> db = bp.AsSpan(grp * cout, cout);
                int first = (int)((long)n * grp / groups), end = (int)((long)n * (grp + 1) / groups);
                for (int i = first; i < end; i++)
                {
                    ReadOnlySpan<T> image = x.AsSpan(i * inPlane, inPlane);
                    ReadOnlySpan<T> cols = image;
                    if (!g.IsPointwise)
                    {
                        Im2Col.Forward(g, image, col);
                        cols = col;
                    }

                    ReadOnlySpan<T> dy = gy.AsSpan(i * outPlane, outPlane);
                    Gemm.Multiply(false, true, cout, k, p, dy, p, cols, p, dw, k, accumulate: i != first, parallel: innerThreads);
                    if (bias)
                    {
                        for (int o = 0; o < cout; o++)
                        {
                            T s = T.CreateTruncating(Simd.Sum(dy.Slice(o * p, p)));
                            db[o] = i == first ? s : db[o] + s;
                        }
                    }

                    if (gx is not null)
                    {
                        Span<T> dx = gx.AsSpan(i * inPlane, inPlane);
                        if (g.IsPointwise)
                        {
                            Gemm.Multiply(true, false, k, p, cout, w, k, dy, p, dx, p, parallel: innerThreads);
                        }
                        else
                        {
                            Gemm.Multiply(true, false, k, p, cout, w, k, dy, p, dcol, p, parallel: innerThreads);
                            Im2Col.Backward(g, dcol, dx);
                        }
                    }
                }
            }
        }

        if (innerThreads)
        {
            Groups(0, groups);
        }
        else
        {
            WorkerTeam.For(groups, Groups);
        }

        for (int grp = 0; grp < groups; grp++)
        {
            Simd.Add<T>(wp.AsSpan(grp * wLength, wLength), Weight.Grad);
            if (Bias is not null)
            {
                Simd.Add<T>(bp.AsSpan(grp * cout, cout), Bias.Grad);
            }
        }

        return gradInput ?? NoGradient;
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Conv2d({InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}{(Dilation == (1, 1) ? "" : $", dilation={Dilation}")}{(Bias is null ? ", bias=False" : "")})";

    private ConvGeometry Geometry(ReadOnlySpan<int> shape)
    {
        ThrowHelper.CheckImageBatch("Conv2d", shape, InChannels);
        var g = new ConvGeometry(shape[1], shape[2], shape[3], KernelSize.H, KernelSize.W, Stride.H, Stride.W, Padding.H, Padding.W, Dilation.H, Dilation.W);
        if (shape[2] + (2 * Padding.H) < (Dilation.H * (KernelSize.H - 1)) + 1 || shape[3] + (2 * Padding.W) < (Dilation.W * (KernelSize.W - 1)) + 1)
        {
            ThrowHelper.Argument("input", $"Conv2d input of shape {ThrowHelper.Format(shape)} is smaller than the kernel {KernelSize} with dilation {Dilation} and padding {Padding}.");
        }

        return g;
    }
}
