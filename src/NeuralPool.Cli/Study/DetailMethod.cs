namespace NeuralPool.Cli.Study;

/// <summary>
/// Shrinks a channels-first image (1, C, H, W), H and W multiples of <paramref name="factor"/>, by that factor:
/// returns the (1, C, H / factor, W / factor) result's data.
/// </summary>
/// <param name="image">The image data, planar.</param>
/// <param name="shape">(1, C, H, W).</param>
/// <param name="factor">The pooling kernel and stride.</param>
internal delegate float[] Downsampler(float[] image, int[] shape, int factor);

/// <summary>One pooling method of the detail study.</summary>
/// <param name="Name">Short name used in the table, the CSV and the contact sheet.</param>
/// <param name="Description">What the method computes, for the help text and the docs.</param>
/// <param name="Downsample">The method at kernel = stride = factor.</param>
internal sealed record DetailMethod(string Name, string Description, Downsampler Downsample);
