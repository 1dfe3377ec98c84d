using System.Diagnostics;
using System.Globalization;
using NeuralPool.Training;
using NeuralPool.Training.Data;
using NeuralPool.Training.Layers;
using NeuralPool.Training.Models;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Cli.Training;

/// <summary>
/// One model of the zoo trained epoch by epoch: built from the setup's seed, with the setup's optimizer and a
/// <see cref="Trainer"/> of the setup's shuffle seed, so every run of one setup starts from the same draws and sees
/// the same images in the same order, whatever its pooling. After each epoch the model is evaluated on the test set;
/// training and evaluation are timed separately (wall clock).
/// <para>
/// A run <b>diverges</b> when the running training loss stops being finite, or when a layer rejects the values it is
/// given after at least one step has been taken (stochastic pooling refuses NaN and infinite activations, GeM, mixed
/// and detail-preserving pooling non-finite parameters). The epoch ends there, the model is still evaluated (a
/// model whose layers refuse its values is reported as not measured), and <see cref="Diverged"/> stays set.
/// </para>
/// </summary>
internal sealed class TrainingRun
{
    private readonly TrainingSetup _setup;
    private readonly Trainer _trainer;

    /// <summary>A new run of <paramref name="setup"/> with <paramref name="pooling"/>.</summary>
    public TrainingRun(TrainingSetup setup, PoolingMethod pooling)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _setup = setup;
        Pooling = pooling;
        Model = ModelZoo.Create<float>(setup.Model, pooling, setup.Seed, Options);
        Optimizer = setup.CreateOptimizer(Model);
        _trainer = new Trainer(Model, Optimizer, setup.BatchSize, setup.ShuffleSeed);
    }

    /// <summary>The model's options (the zoo's defaults, which fit Fashion-MNIST).</summary>
    public ModelOptions Options { get; } = new();

    /// <summary>The pooling method.</summary>
    public PoolingMethod Pooling { get; }

    /// <summary>The model being trained.</summary>
    public Sequential<float> Model { get; }

    /// <summary>The optimizer over the model's parameters.</summary>
    public Optimizer<float> Optimizer { get; }

    /// <summary>Epochs run so far (a diverged epoch included).</summary>
    public int EpochsRun { get; private set; }

    /// <summary>Whether the training has diverged.</summary>
    public bool Diverged { get; private set; }

    /// <summary>
    /// The shape (C, H, W) of what enters the classifier: the input of the model's <see cref="Flatten{T}"/> for
    /// images of <paramref name="data"/>.
    /// </summary>
    public int[] ClassifierInput(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] shape = [1, data.Channels, data.Height, data.Width];
        foreach (var layer in Model.Layers)
        {
            if (layer is Flatten<float>)
            {
                return shape[1..];
            }

            shape = layer.OutputShape(shape);
        }

        throw new InvalidOperationException("the model has no Flatten layer.");
    }

    /// <summary>
    /// Trains one epoch on <paramref name="train"/> (reporting progress after every step), then evaluates on
    /// <paramref name="test"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has diverged.</exception>
    public EpochSummary TrainEpoch(ImageDataset train, ImageDataset test, Action<TrainingProgress>? progress)
    {
        if (Diverged)
        {
            throw new InvalidOperationException("the run has diverged.");
        }

        TrainingProgress last = default;
        string? reason = null;
        var clock = Stopwatch.StartNew();
        double loss;
        try
        {
            loss = _trainer.TrainEpoch(train, p =>
            {
                last = p;
                if (!double.IsFinite(p.Loss))
                {
                    reason = string.Create(CultureInfo.InvariantCulture, $"train loss {p.Loss} after {p.Images} images");
                    throw new OperationCanceledException(reason);
                }

                progress?.Invoke(p);
            }).Loss;
        }
        catch (OperationCanceledException) when (reason is not null)
        {
            loss = last.Loss;
        }
        catch (ArgumentException ex) when (last.Images > 0 || EpochsRun > 0)
        {
            // Only values change after a first successful step, so a layer's refusal now is about non-finite values.
            reason = CliApplication.Describe(ex);
            loss = double.NaN;
        }

        var trainTime = clock.Elapsed;
        Diverged = reason is not null;
        EpochsRun++;
        var evaluation = Stopwatch.StartNew();
        ConfusionMatrix? matrix = null;
        try
        {
            matrix = Trainer.Evaluate(Model, test);
        }
        catch (ArgumentException) when (Diverged)
        {
            // The diverged model's values are refused by one of its layers: no accuracy to measure.
        }

        return new EpochSummary(EpochsRun, _setup.Epochs, loss, last.Images, trainTime, matrix, evaluation.Elapsed, reason);
    }
}

/// <summary>What one epoch of a <see cref="TrainingRun"/> gave.</summary>
/// <param name="Epoch">The epoch's number, from 1.</param>
/// <param name="Epochs">The number of epochs planned.</param>
/// <param name="Loss">The mean training loss over the epoch's images (non-finite when the run diverged).</param>
/// <param name="Images">Training images seen.</param>
/// <param name="TrainTime">Wall-clock time of the training steps.</param>
/// <param name="Matrix">The test set's confusion matrix after the epoch, or null when the diverged model could not be evaluated.</param>
/// <param name="EvalTime">Wall-clock time of the evaluation.</param>
/// <param name="Divergence">Why the run diverged in this epoch, or null.</param>
internal sealed record EpochSummary(int Epoch, int Epochs, double Loss, int Images, TimeSpan TrainTime, ConfusionMatrix? Matrix,
    TimeSpan EvalTime, string? Divergence)
{
    /// <summary>Whether the run diverged in this epoch.</summary>
    public bool Diverged => Divergence is not null;

    /// <summary>The epoch's report line.</summary>
    public string Line
    {
        get
        {
            double seconds = TrainTime.TotalSeconds;
            string accuracy = Matrix is null ? "test accuracy not measured" : Invariant($"test accuracy {100 * Matrix.Accuracy:F2}%");
            string line = Invariant($"epoch {Epoch}/{Epochs}: train loss {Loss:F4}, {accuracy}, epoch time {seconds:F2} s ({Images / Math.Max(seconds, 1e-9):F0} images/s), test {EvalTime.TotalSeconds:F2} s");
            return Diverged ? $"{line}; diverged: {Divergence}" : line;
        }
    }

    /// <summary>The epoch's summary for a progress bar's label.</summary>
    public string Short
    {
        get
        {
            string accuracy = Matrix is null ? "test n/a" : Invariant($"test {100 * Matrix.Accuracy:F2}%");
            string text = Invariant($"epoch {Epoch}/{Epochs}  loss {Loss:F4}  {accuracy}  {TrainTime.TotalSeconds:F1} s");
            return Diverged ? text + "  diverged" : text;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
