using System.Text.Json;
using NeuralPool.Cli.Operators;

namespace NeuralPool.Cli.Conformance;

/// <summary>A conformance case: a folder holding <c>node.json</c>, <c>input_N.npy</c> and <c>output_N.npy</c> (see FORMAT.md).</summary>
internal sealed class ConformanceCase
{
    public required string Directory { get; init; }

    /// <summary>The case's path relative to the suite folder it was found under, with '/' separators.</summary>
    public required string Path { get; init; }

    public string? Domain { get; init; }

    public required string OpType { get; init; }

    public required IReadOnlyDictionary<string, JsonElement> Attributes { get; init; }

    public required IReadOnlyList<string> Inputs { get; init; }

    public required IReadOnlyList<string> Outputs { get; init; }

    public bool Grad { get; init; }

    /// <summary>The inputs whose gradients are the outputs (grad cases); default the first input.</summary>
    public IReadOnlyList<string> GradInputs { get; init; } = [];

    public double? Rtol { get; init; }

    public double? Atol { get; init; }

    /// <summary>The case folder's own name.</summary>
    public string Name => System.IO.Path.GetFileName(Directory.TrimEnd(System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar));

    public string InputFile(int i) => System.IO.Path.Combine(Directory, $"input_{i}.npy");

    public string OutputFile(int i) => System.IO.Path.Combine(Directory, $"output_{i}.npy");

    /// <summary>Reads <c>node.json</c>.</summary>
    /// <exception cref="OperatorException">node.json is missing, not JSON or lacks a required key.</exception>
    public static ConformanceCase Load(string directory, string path)
    {
        string file = System.IO.Path.Combine(directory, "node.json");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new OperatorException($"node.json is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new OperatorException("node.json must hold a JSON object.");
            }

            var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (root.TryGetProperty("attributes", out var attrs) && attrs.ValueKind != JsonValueKind.Null)
            {
                if (attrs.ValueKind != JsonValueKind.Object)
                {
                    throw new OperatorException("node.json: 'attributes' must be an object.");
                }

                foreach (var p in attrs.EnumerateObject())
                {
                    attributes[p.Name] = p.Value.Clone();
                }
            }

            var inputs = Strings(root, "inputs", required: true);
            bool grad = Bool(root, "grad");
            var gradInputs = Strings(root, "grad_inputs", required: false);
            return new ConformanceCase
            {
                Directory = directory,
                Path = path,
                Domain = OptionalString(root, "domain"),
                OpType = OptionalString(root, "op_type") ?? throw new OperatorException("node.json: 'op_type' is missing."),
                Attributes = attributes,
                Inputs = inputs,
                Outputs = Strings(root, "outputs", required: true),
                Grad = grad,
                GradInputs = gradInputs.Count > 0 || inputs.Count == 0 ? gradInputs : [inputs[0]],
                Rtol = Number(root, "rtol"),
                Atol = Number(root, "atol"),
            };
        }
    }

    private static string? OptionalString(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new OperatorException($"node.json: '{key}' must be a string.");
    }

    private static List<string> Strings(JsonElement root, string key, bool required)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new OperatorException($"node.json: '{key}' is missing.") : [];
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new OperatorException($"node.json: '{key}' must be a list of names.");
        }

        return v.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    private static bool Bool(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new OperatorException($"node.json: '{key}' must be true or false."),
        };
    }

    private static double? Number(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.GetDouble() >= 0
            ? v.GetDouble()
            : throw new OperatorException($"node.json: '{key}' must be a non-negative number.");
    }
}
