using System.Globalization;
using System.Text.Json;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// Typed access to an operator's attributes given as JSON values (node.json, or built from command-line options).
/// An attribute outside the operator's known set is unsupported; a known one with a bad value is an <see cref="OperatorException"/>.
/// A JSON <c>null</c> is the same as an absent attribute.
/// </summary>
internal sealed class AttributeReader
{
    private readonly string _op;
    private readonly IReadOnlyDictionary<string, JsonElement> _values;

    public AttributeReader(string op, IReadOnlyDictionary<string, JsonElement> values, params string[] known)
    {
        _op = op;
        _values = values;
        foreach (string key in values.Keys.Order(StringComparer.Ordinal))
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                string list = known.Length == 0 ? "it takes none" : "known: " + string.Join(", ", known);
                throw new UnsupportedOperatorException($"{op}: attribute '{key}' is not supported ({list}).");
            }
        }
    }

    public bool Has(string name) => _values.TryGetValue(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>An integer tuple given as a number or a list; absent or null gives an empty array. With <paramref name="allowNone"/> a null entry becomes -1.</summary>
    public int[] Ints(string name, bool allowNone = false)
    {
        if (!_values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind == JsonValueKind.Array)
        {
            var result = new int[v.GetArrayLength()];
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                result[i++] = item.ValueKind == JsonValueKind.Null && allowNone ? -1 : ToInt(name, item);
            }

            return result;
        }

        return [ToInt(name, v)];
    }

    /// <summary>A required integer tuple.</summary>
    public int[] RequiredInts(string name, bool allowNone = false)
    {
        if (!Has(name))
        {
            throw new OperatorException($"{_op}: attribute '{name}' is required.");
        }

        return Ints(name, allowNone);
    }

    public int? Int(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _values[name];
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 1)
        {
            v = v[0];
        }

        return ToInt(name, v);
    }

    public double? Double(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _values[name];
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d))
        {
            return d;
        }

        throw Bad(name, v, "a number");
    }

    /// <summary>A number or a list of numbers; absent or null gives an empty array.</summary>
    public double[] Doubles(string name)
    {
        if (!Has(name))
        {
            return [];
        }

        var v = _values[name];
        if (v.ValueKind == JsonValueKind.Array)
        {
            var result = new double[v.GetArrayLength()];
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                result[i++] = item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out double e) ? e : throw Bad(name, item, "a number");
            }

            return result;
        }

        return [Double(name)!.Value];
    }

    /// <summary>A boolean given as true/false or 0/1.</summary>
    public bool Bool(string name, bool fallback)
    {
        if (!Has(name))
        {
            return fallback;
        }

        var v = _values[name];
        switch (v.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number when v.TryGetInt64(out long n) && n is 0 or 1:
                return n == 1;
            default:
                throw Bad(name, v, "true/false or 0/1");
        }
    }

    public string? String(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _values[name];
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad(name, v, "a string");
    }

    private int ToInt(string name, JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt32(out int i))
            {
                return i;
            }

            if (v.TryGetDouble(out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
            {
                return (int)d;
            }
        }

        throw Bad(name, v, "an integer or a list of integers");
    }

    private OperatorException Bad(string name, JsonElement v, string what) =>
        new($"{_op}: attribute '{name}' must be {what}, got {v.GetRawText()}.");

    public static string Format(ReadOnlySpan<int> values) =>
        "(" + string.Join(", ", values.ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture))) + ")";
}
