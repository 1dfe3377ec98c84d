namespace NeuralPool.Cli.Imaging;

/// <summary>An image as read from a file: its pixels and the precision of the file's samples.</summary>
/// <param name="Pixels">The image tensor (see <see cref="ImageTensor"/>), upright.</param>
/// <param name="BitDepth">16 for a 16-bit PNG, 8 for every other file.</param>
internal sealed record LoadedImage(DenseTensor<float> Pixels, int BitDepth);
