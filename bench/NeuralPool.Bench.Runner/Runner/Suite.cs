using System.Text.Json;

namespace NeuralPool.Bench.Runner;

/// <summary>The pooling family of a suite case.</summary>
internal enum PoolKind
{
    Max,
    Avg,
    AdaptiveMax,
    AdaptiveAvg,
}

/// <summary>
/// One case of <c>suite.json</c>: a <c>torch.nn.functional</c> pooling call (op name, logical channels-first
/// shape, attributes with torch names and torch defaults), forward or backward.
/// </summary>
internal sealed record SuiteCase
{
    public required string Name { get; init; }
    public required string Op { get; init; }
    public required PoolKind Kind { get; init; }
    public required int SpatialRank { get; init; }
    public required int[] Shape { get; init; }
    public required bool Backward { get; init; }

    /// <summary>Kernel, stride, padding, dilation expanded to one value per spatial axis (sliding ops).</summary>
    public int[] Kernel { get; init; } = [];
    public int[] Stride { get; init; } = [];
    public int[] Padding { get; init; } = [];
    public int[] Dilation { get; init; } = [];
    public bool CeilMode { get; init; }
    public bool CountIncludePad { get; init; } = true;
    public int? DivisorOverride { get; init; }
    public bool ReturnIndices { get; init; }

    /// <summary>Adaptive output size, one value per spatial axis.</summary>
    public int[] OutputSize { get; init; } = [];

    public bool IsMax => Kind is PoolKind.Max or PoolKind.AdaptiveMax;
    public bool IsAdaptive => Kind is PoolKind.AdaptiveMax or PoolKind.AdaptiveAvg;

    /// <summary>Max forward with indices, or max backward (which consumes the forward's indices).</summary>
    public bool UsesIndices => IsMax && (ReturnIndices || Backward);

    public int N => Shape[0];
    public int C => Shape[1];
    public long PlaneIn => Shape.Skip(2).Aggregate(1L, (a, b) => a * b);
    public long InputLength => N * (long)C * PlaneIn;

    /// <summary>The layouts this case runs in: channels-first, then channels-last.</summary>
    public IReadOnlyList<string> Layouts => SpatialRank switch
    {
        1 => ["ncl", "nlc"],
        2 => ["nchw", "nhwc"],
        _ => ["ncdhw", "ndhwc"],
    };

    public static IReadOnlyList<SuiteCase> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cases = new List<SuiteCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            cases.Add(Parse(c));
        }

        return cases;
    }

    private static SuiteCase Parse(JsonElement c)
    {
        string name = c.GetProperty("name").GetString()!;
        string op = c.GetProperty("op").GetString()!;
        int[] shape = [.. c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        bool backward = c.TryGetProperty("pass", out var pass) && pass.GetString() == "backward";
        var attrs = c.TryGetProperty("attributes", out var a) ? a : default;

        int rank = op[^2] switch
        {
            '1' => 1,
            '2' => 2,
            '3' => 3,
            _ => throw new FormatException($"case {name}: op {op} has no 1d/2d/3d suffix."),
        };
        if (shape.Length != rank + 2)
        {
            throw new FormatException($"case {name}: shape [{string.Join(", ", shape)}] does not fit {op}.");
        }

        var kind = op[..^2] switch
        {
            "max_pool" => PoolKind.Max,
            "avg_pool" => PoolKind.Avg,
            "adaptive_max_pool" => PoolKind.AdaptiveMax,
            "adaptive_avg_pool" => PoolKind.AdaptiveAvg,
            _ => throw new FormatException($"case {name}: op {op} is not supported by the runner."),
        };

        if (kind is PoolKind.AdaptiveMax or PoolKind.AdaptiveAvg)
        {
            return new SuiteCase
            {
                Name = name, Op = op, Kind = kind, SpatialRank = rank, Shape = shape, Backward = backward,
                OutputSize = Ints(attrs, "output_size", rank, null) ?? throw new FormatException($"case {name}: output_size is required."),
                ReturnIndices = Bool(attrs, "return_indices", false),
            };
        }

        int[] kernel = Ints(attrs, "kernel_size", rank, null) ?? throw new FormatException($"case {name}: kernel_size is required.");
        return new SuiteCase
        {
            Name = name, Op = op, Kind = kind, SpatialRank = rank, Shape = shape, Backward = backward,
            Kernel = kernel,
            Stride = Ints(attrs, "stride", rank, null) ?? kernel,
            Padding = Ints(attrs, "padding", rank, 0)!,
            Dilation = Ints(attrs, "dilation", rank, 1)!,
            CeilMode = Bool(attrs, "ceil_mode", false),
            CountIncludePad = Bool(attrs, "count_include_pad", true),
            DivisorOverride = attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty("divisor_override", out var d) && d.ValueKind == JsonValueKind.Number
                ? d.GetInt32() : null,
            ReturnIndices = Bool(attrs, "return_indices", false),
        };
    }

    /// <summary>An int or int list attribute expanded to <paramref name="rank"/> values; null/missing gives the default.</summary>
    private static int[]? Ints(JsonElement attrs, string key, int rank, int? fallback)
    {
        if (attrs.ValueKind != JsonValueKind.Object || !attrs.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return fallback is { } f ? Enumerable.Repeat(f, rank).ToArray() : null;
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return Enumerable.Repeat(v.GetInt32(), rank).ToArray();
        }

        int[] values = [.. v.EnumerateArray().Select(e => e.GetInt32())];
        return values.Length == 1 ? Enumerable.Repeat(values[0], rank).ToArray() : values;
    }

    private static bool Bool(JsonElement attrs, string key, bool fallback) =>
        attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : fallback;
}
