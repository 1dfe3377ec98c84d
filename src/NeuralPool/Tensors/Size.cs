namespace NeuralPool;

/// <summary>
/// A size argument that, like PyTorch's <c>int or tuple</c>, is either one value for every spatial axis or
/// one value per axis: <c>3</c>, <c>(3, 2)</c>, <c>(2, 3, 3)</c> or <c>new[] { 3, 2 }</c> all convert implicitly.
/// The default value is empty (the parameter's own default applies).
/// </summary>
public readonly struct Size : IEquatable<Size>
{
    private readonly int[]? _values;

    /// <summary>Creates a size from explicit values.</summary>
    public Size(params int[] values) => _values = (int[])values.Clone();

    /// <summary>The values (empty for the default).</summary>
    public ReadOnlySpan<int> Values => _values;

    /// <summary>True when no value was given.</summary>
    public bool IsEmpty => _values is null || _values.Length == 0;

    public static implicit operator Size(int value) => new(value);

    public static implicit operator Size(int[] values) => new(values);

    public static implicit operator Size((int, int) v) => new(v.Item1, v.Item2);

    public static implicit operator Size((int, int, int) v) => new(v.Item1, v.Item2, v.Item3);

    public static bool operator ==(Size left, Size right) => left.Equals(right);

    public static bool operator !=(Size left, Size right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(Size other) => Values.SequenceEqual(other.Values);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Size s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int v in Values)
        {
            h.Add(v);
        }

        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => IsEmpty ? "()" : "(" + string.Join(", ", _values!) + ")";
}
