using System.Text;

namespace NeuralPool.Training;

/// <summary>Counts of (actual class, predicted class) pairs, with the accuracy and a text table.</summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>An empty matrix over <paramref name="classes"/> classes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 1.</exception>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        _counts = new long[classes * classes];
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Number of examples counted.</summary>
    public long Total { get; private set; }

    /// <summary>Number of examples whose prediction is their class.</summary>
    public long Correct { get; private set; }

    /// <summary>Correct / Total (0 when nothing was counted).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>How many examples of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted] => _counts[(Index(actual) * Classes) + Index(predicted)];

    /// <summary>Counts one example.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside [0, Classes).</exception>
    public void Add(int actual, int predicted)
    {
        _counts[(Index(actual) * Classes) + Index(predicted)]++;
        Total++;
        if (actual == predicted)
        {
            Correct++;
        }
    }

    /// <summary>
    /// The matrix as text: one row per actual class (labelled with <paramref name="names"/>, or the class numbers),
    /// one column per predicted class, and each row's recall at the end.
    /// </summary>
    public string Format(IReadOnlyList<string>? names = null)
    {
        string Name(int i) => names is not null && i < names.Count ? names[i] : i.ToString();
        int labelWidth = Math.Max("actual \\ predicted".Length, Enumerable.Range(0, Classes).Max(i => Name(i).Length));
        int cell = Math.Max(5, _counts.Max().ToString().Length + 1);
        var text = new StringBuilder();
        text.Append("actual \\ predicted".PadRight(labelWidth));
        for (int j = 0; j < Classes; j++)
        {
            text.Append(j.ToString().PadLeft(cell));
        }

        text.Append("   recall").Append('\n');
        for (int i = 0; i < Classes; i++)
        {
            text.Append($"{i} {Name(i)}".PadRight(labelWidth + 2)[..(labelWidth)]);
            long row = 0;
            for (int j = 0; j < Classes; j++)
            {
                text.Append(this[i, j].ToString().PadLeft(cell));
                row += this[i, j];
            }

            text.Append(row == 0 ? "        -" : $"{100.0 * this[i, i] / row,8:F1}%").Append('\n');
        }

        return text.ToString();
    }

    private int Index(int c)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)c, (uint)Classes, "class");
        return c;
    }
}
