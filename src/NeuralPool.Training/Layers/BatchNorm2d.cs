using System.Numerics;
using NeuralPool.Training.Kernels;

namespace NeuralPool.Training.Layers;

/// <summary>
/// Batch normalisation over (N, H, W) per channel (PyTorch <c>nn.BatchNorm2d</c>). Training: with the batch mean μ and
/// the biased variance σ² of each channel (M = N·H·W values), <c>y = x·α + β'</c> with <c>α = γ/√(σ² + ε)</c> and
/// <c>β' = β − μ·α</c> (PyTorch's CPU transform), and the running statistics become
/// <c>(1 − m)·running + m·batch</c> with the unbiased variance <c>σ²·M/(M − 1)</c> for the running variance.
/// Evaluation: the same transform with the running mean and variance. Defaults ε = 1e-5, momentum m = 0.1,
/// γ = 1, β = 0, running mean 0, running variance 1.
/// <para>
/// Backward (training), with <c>d = Σ dy</c> and <c>p = Σ (x − μ)·dy</c> per channel:
/// <c>dx = (dy − d/M − (x − μ)·p/(M(σ² + ε)))·γ/√(σ² + ε)</c>, <c>dγ += p/√(σ² + ε)</c>, <c>dβ += d</c>; evaluation:
/// <c>dx = dy·γ/√(running σ² + ε)</c>. Statistics are summed in double (each row of W values in T lanes, rows
/// added in order), one channel per work item, so results do not depend on the thread count. Forward keeps the input,
/// the mean and 1/√(σ² + ε) it used.
/// </para>
/// </summary>
public sealed class BatchNorm2d<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private DenseTensor<T>? _input, _output, _gradInput;
    private double[] _mean = [], _invStd = [];
    private bool _batchStatistics;

    /// <summary>Batch normalisation of <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Added to the variance, positive.</param>
    /// <param name="momentum">Weight of the batch statistics in the running ones, in [0, 1].</param>
    /// <param name="affine">Learn γ and β.</param>
    /// <param name="trackRunningStats">Keep running statistics (and use them in evaluation); without, evaluation uses batch statistics.</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    {
        if (numFeatures <= 0)
        {
            ThrowHelper.Argument(nameof(numFeatures), $"the channel count must be positive, got {numFeatures}.");
        }

        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
        {
            ThrowHelper.Argument(!(eps > 0) ? nameof(eps) : nameof(momentum), $"eps must be positive and momentum in [0, 1], got eps {eps}, momentum {momentum}.");
        }

        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = new Parameter<T>(numFeatures);
            Weight.Data.AsSpan().Fill(T.One);
            Bias = new Parameter<T>(numFeatures);
        }

        if (trackRunningStats)
        {
            RunningMean = new T[numFeatures];
            RunningVar = new T[numFeatures];
            RunningVar.AsSpan().Fill(T.One);
        }
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>ε, added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Momentum of the running statistics.</summary>
    public double Momentum { get; }

    /// <summary>γ, or null without affine parameters.</summary>
    public Parameter<T>? Weight { get; }

    /// <summary>β, or null without affine parameters.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>The running mean, or null when running statistics are not tracked.</summary>
    public T[]? RunningMean { get; }

    /// <summary>The running (unbiased) variance, or null when running statistics are not tracked.</summary>
    public T[]? RunningVar { get; }

    /// <summary>Training batches seen (PyTorch's <c>num_batches_tracked</c>).</summary>
    public long NumBatchesTracked { get; set; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        ThrowHelper.CheckImageBatch("BatchNorm2d", inputShape, NumFeatures);
        return inputShape.ToArray();
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Forward(DenseTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ThrowHelper.CheckImageBatch("BatchNorm2d", input.Shape, NumFeatures);
        int n = input.Shape[0], c = NumFeatures, hw = input.Shape[2] * input.Shape[3];
        long count = (long)n * hw;
        _batchStatistics = Training || RunningMean is null;
        if (_batchStatistics && count <= 1)
        {
            ThrowHelper.Argument(nameof(input), $"BatchNorm2d expected more than 1 value per channel when training, got input of shape {ThrowHelper.Format(input.Shape)}.");
        }

        var output = Reuse(ref _output, input.Shape);
        _input = input;
        if (_mean.Length != c)
        {
            _mean = new double[c];
            _invStd = new double[c];
        }

        T[] x = input.Data, y = output.Data;
        WorkerTeam.For(c, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double mean, variance;
                if (_batchStatistics)
                {
                    double sum = 0;
                    for (int i = 0; i < n; i++)
                    {
                        sum += Simd.Sum<T>(x.AsSpan(((i * c) + ch) * hw, hw));
                    }

                    mean = sum / count;
                    double squares = 0;
                    T mu = T.CreateChecked(mean);
                    for (int i = 0; i < n; i++)
                    {
                        squares += Simd.SquaredDeviations<T>(x.AsSpan(((i * c) + ch) * hw, hw), mu);
                    }

                    variance = squares / count;
                    if (Training && RunningMean is not null)
                    {
                        T m = T.CreateChecked(Momentum), keep = T.CreateChecked(1 - Momentum);
                        RunningMean[ch] = (m * T.CreateChecked(mean)) + (keep * RunningMean[ch]);
                        RunningVar![ch] = (m * T.CreateChecked(squares / (count - 1))) + (keep * RunningVar[ch]);
                    }
                }
                else
                {
                    mean = double.CreateChecked(RunningMean![ch]);
                    variance = double.CreateChecked(RunningVar![ch]);
                }

                double invStd = 1 / Math.Sqrt(variance + Eps);
                _mean[ch] = mean;
                _invStd[ch] = invStd;
                double gamma = Weight is null ? 1 : double.CreateChecked(Weight.Data[ch]);
                double beta = Bias is null ? 0 : double.CreateChecked(Bias.Data[ch]);
                T alpha = T.CreateChecked(invStd * gamma), shift = T.CreateChecked(beta - (mean * invStd * gamma));
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * hw;
                    Simd.Affine<T>(x.AsSpan(at, hw), alpha, shift, y.AsSpan(at, hw));
                }
            }
        });

        if (Training && RunningMean is not null)
        {
            NumBatchesTracked++;
        }

        return output;
    }

    /// <inheritdoc/>
    public override DenseTensor<T> Backward(DenseTensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var input = Saved(_input);
        CheckGradient(gradOutput, input.Shape);
        int n = input.Shape[0], c = NumFeatures, hw = input.Shape[2] * input.Shape[3];
        long count = (long)n * hw;
        var gradInput = InputGradient ? Reuse(ref _gradInput, input.Shape) : null;
        T[] x = input.Data, gy = gradOutput.Data;
        T[]? gx = gradInput?.Data;
        WorkerTeam.For(c, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double mean = _mean[ch], invStd = _invStd[ch];
                double sumDy = 0, dot = 0;
                T mu = T.CreateChecked(mean);
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * hw;
                    sumDy += Simd.Sum<T>(gy.AsSpan(at, hw));
                    dot += Simd.CenteredDot<T>(x.AsSpan(at, hw), mu, gy.AsSpan(at, hw));
                }

                if (Weight is not null)
                {
                    Weight.Grad[ch] += T.CreateChecked(dot * invStd);
                    Bias!.Grad[ch] += T.CreateChecked(sumDy);
                }

                if (gx is null)
                {
                    continue;
                }

                double gamma = Weight is null ? 1 : double.CreateChecked(Weight.Data[ch]);
                T scale = T.CreateChecked(invStd * gamma);
                if (!_batchStatistics)
                {
                    for (int i = 0; i < n; i++)
                    {
                        int at = ((i * c) + ch) * hw;
                        Simd.Affine<T>(gy.AsSpan(at, hw), scale, T.Zero, gx.AsSpan(at, hw));
                    }

                    continue;
                }

                // dx = (dy − mean(dy) − (x − μ)·p·invStd²/M)·γ·invStd.
                T gradMean = T.CreateChecked(sumDy / count), proj = T.CreateChecked(dot * invStd * invStd / count);
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * hw;
                    Simd.BatchNormGradient<T>(x.AsSpan(at, hw), gy.AsSpan(at, hw), gradMean, mu, proj, scale, gx.AsSpan(at, hw));
                }
            }
        });

        return gradInput ?? NoGradient;
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        if (Weight is not null)
        {
            yield return ("weight", Weight);
            yield return ("bias", Bias!);
        }
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, T[] Values)> NamedBuffers()
    {
        if (RunningMean is not null)
        {
            yield return ("running_mean", RunningMean);
            yield return ("running_var", RunningVar!);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"BatchNorm2d({NumFeatures}, eps={Eps}, momentum={Momentum})";
}
