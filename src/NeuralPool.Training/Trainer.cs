using System.Diagnostics;
using NeuralPool.Training.Data;
using NeuralPool.Training.Optimizers;

namespace NeuralPool.Training;

/// <summary>
/// Mini-batch training of a float model with softmax cross-entropy. Each epoch visits the data in a new order drawn
/// from one <see cref="SeededRandom"/> of the shuffle seed (Fisher–Yates), in batches of <see cref="BatchSize"/> with a
/// smaller last batch (PyTorch's <c>DataLoader(shuffle=True, drop_last=False)</c>): zero the gradients, forward, loss,
/// backward, optimizer step. With the same seeds and data, training is bitwise reproducible (the layers' results do not
/// depend on the thread count).
/// </summary>
public sealed class Trainer
{
    private readonly CrossEntropyLoss<float> _loss = new();
    private readonly SeededRandom _shuffle;

    /// <summary>A trainer of <paramref name="model"/> with <paramref name="optimizer"/> (over the model's parameters).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    public Trainer(Layer<float> model, Optimizer<float> optimizer, int batchSize, ulong shuffleSeed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Model = model;
        Optimizer = optimizer;
        BatchSize = batchSize;
        _shuffle = new SeededRandom(shuffleSeed);
    }

    /// <summary>The model being trained.</summary>
    public Layer<float> Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer<float> Optimizer { get; }

    /// <summary>Images per step.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// One pass over <paramref name="data"/> in training mode. <paramref name="progress"/>, when given, is called on
    /// the calling thread after every step. The returned loss is the mean over all images of the epoch (each batch's
    /// mean loss weighted by its size).
    /// </summary>
    /// <exception cref="ArgumentException">The data set is empty or its images do not fit the model.</exception>
    public EpochResult TrainEpoch(ImageDataset data, Action<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            ThrowHelper.Argument(nameof(data), "the training set is empty.");
        }

        int[] order = Shuffle(data.Count);
        Model.Training = true;
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        int done = 0;
        DenseTensor<float>? batch = null;
        int[] labels = [];
        for (int start = 0; start < data.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, data.Count - start);
            if (batch is null || batch.Shape[0] != n)
            {
                batch = new DenseTensor<float>([n, data.Channels, data.Height, data.Width]);
                labels = new int[n];
            }

            data.CopyBatch(order, start, n, batch.Data, labels);
            Optimizer.ZeroGrad();
            double loss = _loss.Forward(Model.Forward(batch), labels);
            Model.Backward(_loss.Backward());
            Optimizer.Step();
            lossSum += loss * n;
            done += n;
            progress?.Invoke(new TrainingProgress(done, data.Count, lossSum / done, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
        }

        return new EpochResult(lossSum / done, done, clock.Elapsed);
    }

    /// <summary>
    /// The predictions of <paramref name="model"/> on <paramref name="data"/> in evaluation mode (the arg-max logit, the
    /// first on ties), counted against the labels; the model's mode is restored afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The images do not fit the model or it has fewer outputs than the data set has classes.</exception>
    public static ConfusionMatrix Evaluate(Layer<float> model, ImageDataset data, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var matrix = new ConfusionMatrix(data.ClassNames.Count);
        bool training = model.Training;
        model.Training = false;
        try
        {
            int[] order = [.. Enumerable.Range(0, data.Count)];
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, data.Count - start);
                var batch = new DenseTensor<float>([n, data.Channels, data.Height, data.Width]);
                var labels = new int[n];
                data.CopyBatch(order, start, n, batch.Data, labels);
                var logits = model.Forward(batch);
                int k = logits.Shape[1];
                if (logits.Rank != 2 || k != data.ClassNames.Count)
                {
                    ThrowHelper.Argument(nameof(model), $"the model gives logits of shape {ThrowHelper.Format(logits.Shape)} for {data.ClassNames.Count} classes.");
                }

                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<float> row = logits.Data.AsSpan(i * k, k);
                    int best = 0;
                    for (int j = 1; j < k; j++)
                    {
                        if (row[j] > row[best])
                        {
                            best = j;
                        }
                    }

                    matrix.Add(labels[i], best);
                }
            }
        }
        finally
        {
            model.Training = training;
        }

        return matrix;
    }

    /// <summary>A Fisher–Yates permutation of [0, count) from the shuffle generator.</summary>
    private int[] Shuffle(int count)
    {
        int[] order = [.. Enumerable.Range(0, count)];
        for (int i = count - 1; i > 0; i--)
        {
            // Lemire's multiply-shift: a uniform index in [0, i] from 32 random bits (bias below 2^-32 · count).
            int j = (int)(((_shuffle.NextUInt64() >> 32) * (ulong)(i + 1)) >> 32);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}

/// <summary>Progress within an epoch: images done of the total, the mean loss so far and the speed.</summary>
public readonly record struct TrainingProgress(int Images, int Total, double Loss, double ImagesPerSecond);

/// <summary>An epoch's mean training loss, the number of images and the time it took.</summary>
public sealed record EpochResult(double Loss, int Images, TimeSpan Time);
