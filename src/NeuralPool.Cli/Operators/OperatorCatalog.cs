using System.Text.Json;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// Maps (domain, operator name, attributes as JSON values) to a library call; shared by <c>apply</c> and <c>conform</c>.
/// Domains: <c>torch</c> (<c>torch.nn.functional</c> names and defaults), <c>torchvision</c> (<c>torchvision.ops</c>) and ONNX (<c>""</c>, <c>onnx</c> or <c>ai.onnx</c>).
/// </summary>
internal static class OperatorCatalog
{
    public const string TorchDomain = "torch";
    public const string TorchvisionDomain = "torchvision";
    public const string OnnxDomain = "onnx";

    /// <summary>The canonical domain name (<see cref="TorchDomain"/> or <see cref="OnnxDomain"/>), or null when not supported.</summary>
    public static string? NormalizeDomain(string? domain) => domain switch
    {
        null or "" or "onnx" or "ai.onnx" => OnnxDomain,
        "torch" => TorchDomain,
        "torchvision" => TorchvisionDomain,
        _ => null,
    };

    /// <summary>Resolves an operator.</summary>
    /// <param name="domain">torch, onnx, ai.onnx or empty (ONNX).</param>
    /// <param name="opType">The function or operator name.</param>
    /// <param name="attributes">Attributes with the domain's names; JSON null means absent.</param>
    /// <param name="grad">Resolve the backward operator: inputs are the forward inputs then the gradient of output 0; the output is the gradient of the first input.</param>
    /// <param name="outputCount">Number of requested outputs (ONNX MaxPool: 2 adds Indices).</param>
    /// <exception cref="UnsupportedOperatorException">The domain, operator, an attribute or the gradient is not supported.</exception>
    /// <exception cref="OperatorException">An attribute value is invalid.</exception>
    public static PoolOperator Resolve(string? domain, string opType, IReadOnlyDictionary<string, JsonElement> attributes, bool grad = false, int outputCount = 1)
    {
        return NormalizeDomain(domain) switch
        {
            TorchDomain => TorchOperators.Resolve(opType, attributes, grad),
            TorchvisionDomain => TorchvisionOperators.Resolve(opType, attributes, grad),
            OnnxDomain => OnnxOperators.Resolve(opType, attributes, grad, outputCount),
            _ => throw new UnsupportedOperatorException($"domain '{domain}' is not supported (supported: torch, torchvision, ONNX)."),
        };
    }

    /// <summary>The domain an operator name belongs to when none is given: ONNX for ONNX operator names, torchvision for its region ops, else torch.</summary>
    public static string GuessDomain(string opType) =>
        OnnxOperators.Names.Contains(opType, StringComparer.Ordinal) ? OnnxDomain
        : TorchvisionOperators.Names.Contains(opType, StringComparer.Ordinal) ? TorchvisionDomain
        : TorchDomain;
}
