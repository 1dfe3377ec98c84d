using NeuralPool.Cli.Operators;

namespace NeuralPool.Cli.Explain;

/// <summary>One pooling method that <c>neuralpool explain</c> can draw.</summary>
/// <param name="Name">The <c>--op</c> name.</param>
/// <param name="Title">The method's name in titles, e.g. "max pooling".</param>
/// <param name="Keeps">What the method keeps of each window, e.g. "maximum" or "mean".</param>
/// <param name="Function">The reduction's short name in formulas, e.g. "max" in "max(1, 2, 5, 6) = 6".</param>
/// <param name="Forward">The library call, on windows of kernel = stride (floor mode, no padding).</param>
/// <param name="PicksOne">The method picks one value of each window (max pooling): that value is marked, and the backward pass is shown.</param>
internal sealed record ExplainMethod(string Name, string Title, string Keeps, string Function, WindowMethod Forward, bool PicksOne);
