using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Operators;

namespace NeuralPool.Cli.Pictures;

/// <summary>One picture to pool: the file it is read from and the PNG file its result goes to.</summary>
/// <param name="Input">The PNG, JPEG or BMP file.</param>
/// <param name="Output">The PNG file to write.</param>
internal sealed record ImageJob(string Input, string Output)
{
    /// <summary>
    /// Reads the picture, pools it with <paramref name="op"/> and writes the result atomically as PNG with the input's
    /// bit depth (16-bit PNG stays 16-bit). Any problem with this one picture — unreadable, too small for the
    /// operator, output already there without <paramref name="overwrite"/>, unwritable — becomes the outcome's error.
    /// </summary>
    public ImageOutcome Run(ImageOperator op, bool overwrite)
    {
        try
        {
            AtomicFile.CheckTarget(Output, overwrite); // before the work; the atomic rename settles races
            var image = ImageFile.Load(Input);
            var (c, h, w) = ImageTensor.Size(image.Pixels);
            var pooled = op.Apply(image.Pixels);
            var (_, ph, pw) = ImageTensor.Size(pooled);
            ImageFile.WritePng(Output, pooled, image.BitDepth, overwrite);
            return new ImageOutcome(this, null, $"{w}x{h} -> {pw}x{ph}, {c} channel{(c == 1 ? "" : "s")}, {image.BitDepth}-bit");
        }
        catch (ImageFileException ex)
        {
            return new ImageOutcome(this, ex.Message, string.Empty);
        }
        catch (Exception ex) when (ex is ArgumentException or OperatorException or UnsupportedOperatorException)
        {
            return new ImageOutcome(this, $"image '{Input}' cannot be pooled: {CliApplication.Describe(ex)}", string.Empty);
        }
    }
}

/// <summary>What became of one <see cref="ImageJob"/>.</summary>
/// <param name="Job">The job.</param>
/// <param name="Error">Why it failed (one line naming the file), or null when the output was written.</param>
/// <param name="Detail">For a written output: the sizes before and after, the channels and the bit depth.</param>
internal sealed record ImageOutcome(ImageJob Job, string? Error, string Detail)
{
    /// <summary>True when the output was written.</summary>
    public bool Succeeded => Error is null;
}
