using NeuralPool.Operators;

namespace NeuralPool.Cli.Explain;

/// <summary>The methods <c>neuralpool explain</c> draws, one row each; every value comes from the library's operator.</summary>
internal static class ExplainMethods
{
    /// <summary>Every method, in help order.</summary>
    public static IReadOnlyList<ExplainMethod> All { get; } =
    [
        new("max", "max pooling", "maximum", "max", (g, x, y) => MaxPool.Forward(g, x, y), PicksOne: true),
        new("avg", "average pooling", "mean", "mean", (g, x, y) => AvgPool.Forward(g, x, y), PicksOne: false),
        new("lp", "power-average pooling (Lp, p = 2)", "L2 norm", "l2", (g, x, y) => LpPool.Forward(g, x, 2.0, y), PicksOne: false),
        new("gem", "generalized-mean pooling (GeM, p = 3)", "cubic mean", "gem3", (g, x, y) => GemPool.Forward(g, x, 3f, y), PicksOne: false),
        new("softpool", "SoftPool", "softmax-weighted mean", "softpool", (g, x, y) => SoftPool.Forward(g, x, y), PicksOne: false),
        new("stochastic", "stochastic pooling (evaluation)", "expected pick (sum x^2 / sum x)", "stochastic", (g, x, y) => StochasticPool.ForwardEval(g, x, y), PicksOne: false),
        new("mixed", "mixed pooling (a = 0.5)", "half max plus half mean", "mixed", (g, x, y) => MixedPool.Forward(g, x, 0.5f, y), PicksOne: false),
    ];

    /// <summary>The method named <paramref name="name"/>.</summary>
    /// <exception cref="CliException">No method has that name.</exception>
    public static ExplainMethod Find(string name) =>
        All.FirstOrDefault(m => m.Name.Equals(name, StringComparison.Ordinal))
        ?? throw new CliException($"--op: '{name}' is not a method explain draws (methods: {string.Join(", ", All.Select(m => m.Name))}).");
}
