namespace NeuralPool.Training.Data;

/// <summary>
/// Labelled images in memory: <see cref="Count"/> images of <see cref="Channels"/>×<see cref="Height"/>×<see cref="Width"/>
/// floats, one after another (NCHW), and one class label in [0, <see cref="ClassNames"/>.Count) per image.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>A data set over <paramref name="images"/> (not copied) and <paramref name="labels"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The lengths do not agree with the sizes, or a label is out of range.</exception>
    public ImageDataset(float[] images, int[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (channels <= 0 || height <= 0 || width <= 0 || classNames.Count == 0)
        {
            ThrowHelper.Argument(nameof(channels), $"channels {channels}, height {height}, width {width} and the class count {classNames.Count} must be positive.");
        }

        if ((long)labels.Length * channels * height * width != images.Length)
        {
            ThrowHelper.Argument(nameof(images), $"{labels.Length} labels need {(long)labels.Length * channels * height * width} image values of {channels}×{height}×{width}, got {images.Length}.");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
            {
                ThrowHelper.Argument(nameof(labels), $"label {labels[i]} of image {i} is outside [0, {classNames.Count}).");
            }
        }

        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassNames = classNames;
    }

    /// <summary>The image values, image after image, each channels × height × width.</summary>
    public float[] Images { get; }

    /// <summary>The class of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image.</summary>
    public int Channels { get; }

    /// <summary>Image height.</summary>
    public int Height { get; }

    /// <summary>Image width.</summary>
    public int Width { get; }

    /// <summary>Values per image.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The class names, by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// Copies the images <c>order[start..start+count]</c> into <paramref name="batch"/> (count, C, H, W) and their labels
    /// into <paramref name="labels"/> (count values).
    /// </summary>
    /// <exception cref="ArgumentException">The range lies outside <paramref name="order"/>, an index is out of range, or the buffers have the wrong size.</exception>
    public void CopyBatch(ReadOnlySpan<int> order, int start, int count, Span<float> batch, Span<int> labels)
    {
        if (start < 0 || count < 0 || start + count > order.Length)
        {
            ThrowHelper.Argument(nameof(start), $"batch [{start}, {start + count}) lies outside the order of {order.Length} indices.");
        }

        if (batch.Length != count * ImageSize || labels.Length != count)
        {
            ThrowHelper.Argument(nameof(batch), $"a batch of {count} needs {count * ImageSize} values and {count} labels, got {batch.Length} and {labels.Length}.");
        }

        int size = ImageSize;
        for (int i = 0; i < count; i++)
        {
            int index = order[start + i];
            if ((uint)index >= (uint)Count)
            {
                ThrowHelper.Argument(nameof(order), $"image index {index} is outside [0, {Count}).");
            }

            Images.AsSpan(index * size, size).CopyTo(batch.Slice(i * size, size));
            labels[i] = Labels[index];
        }
    }
}
