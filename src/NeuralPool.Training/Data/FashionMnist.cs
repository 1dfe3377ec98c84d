namespace NeuralPool.Training.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 60,000 training and 10,000 test grey 28×28 pictures of clothing in
/// 10 classes, read from the four gzipped IDX files that Debian's package <c>dataset-fashion-mnist</c> installs in
/// <see cref="DefaultDirectory"/>.
/// <para>
/// Pixels are scaled to [0, 1] (byte / 255, torchvision's <c>ToTensor</c>) and, with <see cref="Normalization.Standard"/>,
/// then standardised as the usual <c>transforms.Normalize((0.2860,), (0.3530,))</c> does: <c>(x − 0.2860) / 0.3530</c>,
/// the mean and standard deviation of the training pixels. The same constants are used for both splits.
/// </para>
/// </summary>
public static class FashionMnist
{
    /// <summary>Where <c>dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The command that installs the files.</summary>
    public const string InstallHint = "apt-get install dataset-fashion-mnist";

    /// <summary>Mean of the training pixels after scaling to [0, 1] (torchvision's usual constant).</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training pixels after scaling to [0, 1] (torchvision's usual constant).</summary>
    public const float StandardDeviation = 0.3530f;

    /// <summary>Image height and width.</summary>
    public const int ImageSide = 28;

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The image and label file names of a split.</summary>
    public static (string Images, string Labels) FileNames(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        DatasetSplit.Test => ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split."),
    };

    /// <summary>
    /// Loads the first <paramref name="limit"/> examples (all when null) of a split from <paramref name="directory"/>
    /// (default <see cref="DefaultDirectory"/>), as a (N, 1, 28, 28) data set.
    /// </summary>
    /// <exception cref="DatasetException">A file is missing or corrupt: wrong magic number, images not 28×28, image and
    /// label counts that differ, a label outside [0, 10), truncated or damaged data. The message names the file and says
    /// <c>apt-get install dataset-fashion-mnist</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public static ImageDataset Load(DatasetSplit split, int? limit = null, string? directory = null, Normalization normalization = Normalization.Standard)
    {
        if (limit is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(limit));
        }

        directory ??= DefaultDirectory;
        var (imageName, labelName) = FileNames(split);
        string imagePath = Path.Combine(directory, imageName), labelPath = Path.Combine(directory, labelName);

        var (imageDims, imageCount, pixels) = ReadFile(imagePath, 3, limit);
        if (imageDims[1] != ImageSide || imageDims[2] != ImageSide)
        {
            throw Corrupt(imagePath, $"holds {imageDims[1]}×{imageDims[2]} images, Fashion-MNIST's are {ImageSide}×{ImageSide}");
        }

        var (_, labelCount, labelBytes) = ReadFile(labelPath, 1, limit);
        if (labelCount != imageCount)
        {
            throw Corrupt(labelPath, $"holds {labelCount} labels but '{imagePath}' holds {imageCount} images");
        }

        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= ClassNames.Count)
            {
                throw Corrupt(labelPath, $"has label {labels[i]} at position {i}, outside [0, {ClassNames.Count})");
            }
        }

        return new ImageDataset(ToFloats(pixels, normalization), labels, 1, ImageSide, ImageSide, ClassNames);
    }

    /// <summary>Pixel bytes to floats: <c>b / 255</c>, then <c>(x − Mean) / StandardDeviation</c> for <see cref="Normalization.Standard"/>.</summary>
    public static float[] ToFloats(ReadOnlySpan<byte> pixels, Normalization normalization)
    {
        var values = new float[pixels.Length];
        bool standard = normalization == Normalization.Standard;
        for (int i = 0; i < pixels.Length; i++)
        {
            // Division rather than a multiplication by 1/255, as ToTensor computes it.
            float x = pixels[i] / 255f;
            values[i] = standard ? (x - Mean) / StandardDeviation : x;
        }

        return values;
    }

    private static (int[] Dimensions, int FileCount, byte[] Data) ReadFile(string path, int rank, int? limit)
    {
        if (!File.Exists(path))
        {
            throw new DatasetException($"Fashion-MNIST file '{path}' not found; install the data set with `{InstallHint}`.");
        }

        try
        {
            return IdxFile.Read(path, rank, limit);
        }
        catch (DatasetException ex)
        {
            throw new DatasetException($"{ex.Message} Reinstall the data set with `{InstallHint}`.", ex);
        }
    }

    private static DatasetException Corrupt(string path, string what) =>
        new($"Fashion-MNIST file '{path}' {what}; reinstall the data set with `{InstallHint}`.");
}

/// <summary>A part of a data set.</summary>
public enum DatasetSplit
{
    /// <summary>The training examples.</summary>
    Train,

    /// <summary>The test examples.</summary>
    Test,
}

/// <summary>How pixel values are mapped to floats.</summary>
public enum Normalization
{
    /// <summary>Byte / 255, in [0, 1] (torchvision's <c>ToTensor</c>).</summary>
    UnitRange,

    /// <summary>Byte / 255, then the data set's mean subtracted and divided by its standard deviation (<c>Normalize</c>).</summary>
    Standard,
}
