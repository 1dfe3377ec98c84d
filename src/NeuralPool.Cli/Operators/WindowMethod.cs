using NeuralPool.Geometry;

namespace NeuralPool.Cli.Operators;

/// <summary>A float32 pooling method that reduces every window of <paramref name="geometry"/> of <paramref name="input"/> into <paramref name="output"/>.</summary>
/// <param name="geometry">The windows (and the shapes of input and output).</param>
/// <param name="input">The input tensor's data.</param>
/// <param name="output">One value per window.</param>
internal delegate void WindowMethod(PoolGeometry geometry, ReadOnlySpan<float> input, Span<float> output);
