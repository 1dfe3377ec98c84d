using System.Globalization;

namespace NeuralPool.Cli.Imaging;

/// <summary>A colour for drawing on RGB image tensors: red, green and blue in [0, 1].</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
internal readonly record struct Rgb(float R, float G, float B)
{
    /// <summary>White.</summary>
    public static Rgb White => new(1f, 1f, 1f);

    /// <summary>Black.</summary>
    public static Rgb Black => new(0f, 0f, 0f);

    /// <summary>The colour of a six-digit hexadecimal code such as "1f77b4".</summary>
    /// <exception cref="FormatException">The text is not six hexadecimal digits.</exception>
    public static Rgb FromHex(string hex)
    {
        if (hex.Length != 6 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
        {
            throw new FormatException($"'{hex}' is not a six-digit hexadecimal colour.");
        }

        return new Rgb(((v >> 16) & 0xFF) / 255f, ((v >> 8) & 0xFF) / 255f, (v & 0xFF) / 255f);
    }

    /// <summary>This colour moved a fraction <paramref name="t"/> (0 to 1) of the way towards <paramref name="other"/>.</summary>
    public Rgb Towards(Rgb other, float t) => new(R + ((other.R - R) * t), G + ((other.G - G) * t), B + ((other.B - B) * t));
}
