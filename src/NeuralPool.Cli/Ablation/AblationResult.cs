using NeuralPool.Cli.Training;

namespace NeuralPool.Cli.Ablation;

/// <summary>
/// What one pooling method gave in an ablation: the model's size, the shape entering its classifier, and per epoch the
/// training loss, the test accuracy and the times.
/// </summary>
/// <param name="Method">The pooling name (<c>none</c>: strided convolutions instead of pooling).</param>
/// <param name="Parameters">Learnable scalars of the model, those of learnable pooling layers included.</param>
/// <param name="FeatureShape">The classifier's input per image: (C, H, W) entering the model's Flatten.</param>
/// <param name="Epochs">The epochs run, in order (fewer than planned when the run diverged).</param>
/// <param name="Divergence">Why the run diverged, or null.</param>
internal sealed record AblationResult(string Method, long Parameters, IReadOnlyList<int> FeatureShape,
    IReadOnlyList<EpochSummary> Epochs, string? Divergence)
{
    /// <summary>Whether the run diverged.</summary>
    public bool Diverged => Divergence is not null;

    /// <summary>Features per image entering the classifier: C·H·W.</summary>
    public long Features => FeatureShape.Aggregate(1L, (a, d) => a * d);

    /// <summary>The final test accuracy in [0, 1], or null when the last model could not be evaluated.</summary>
    public double? Accuracy => Epochs[^1].Matrix?.Accuracy;

    /// <summary>Correctly classified test images after the last epoch, or null.</summary>
    public long? Correct => Epochs[^1].Matrix?.Correct;

    /// <summary>Test images, or null.</summary>
    public long? Total => Epochs[^1].Matrix?.Total;

    /// <summary>The test accuracy after each epoch (null where not measured).</summary>
    public IEnumerable<double?> EpochAccuracies => Epochs.Select(e => e.Matrix?.Accuracy);

    /// <summary>The last epoch's mean training loss.</summary>
    public double Loss => Epochs[^1].Loss;

    /// <summary>Training time of all epochs, in seconds (evaluation excluded).</summary>
    public double TrainSeconds => Epochs.Sum(e => e.TrainTime.TotalSeconds);

    /// <summary>Mean training time per epoch, in seconds.</summary>
    public double SecondsPerEpoch => TrainSeconds / Epochs.Count;

    /// <summary>Evaluation time of all epochs, in seconds.</summary>
    public double EvalSeconds => Epochs.Sum(e => e.EvalTime.TotalSeconds);

    /// <summary>The shape as C×H×W.</summary>
    public string ShapeText => string.Join('×', FeatureShape);
}
