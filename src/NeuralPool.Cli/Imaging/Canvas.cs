namespace NeuralPool.Cli.Imaging;

/// <summary>
/// An RGB picture to draw diagrams on: filled rectangles, frames and text in the built-in bitmap font
/// (<see cref="BitmapFont"/>) at integer scales. Coordinates are pixels from the top-left corner; whatever falls
/// outside the picture is clipped.
/// </summary>
internal sealed class Canvas
{
    /// <summary>A <paramref name="width"/> × <paramref name="height"/> picture filled with <paramref name="background"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is below 1.</exception>
    public Canvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Image = ImageTensor.Create(3, height, width);
        Fill(0, 0, width, height, background);
    }

    /// <summary>The width in pixels.</summary>
    public int Width { get; }

    /// <summary>The height in pixels.</summary>
    public int Height { get; }

    /// <summary>The picture: an RGB image tensor (see <see cref="ImageTensor"/>).</summary>
    public DenseTensor<float> Image { get; }

    /// <summary>Paints the rectangle with its top-left corner at (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public void Fill(int left, int top, int width, int height, Rgb colour)
    {
        int x0 = Math.Max(0, left), x1 = Math.Min(Width, left + width), y0 = Math.Max(0, top), y1 = Math.Min(Height, top + height);
        int plane = Width * Height;
        for (int y = y0; y < y1; y++)
        {
            int row = y * Width;
            Image.Data.AsSpan(row + x0, Math.Max(0, x1 - x0)).Fill(colour.R);
            Image.Data.AsSpan(plane + row + x0, Math.Max(0, x1 - x0)).Fill(colour.G);
            Image.Data.AsSpan((2 * plane) + row + x0, Math.Max(0, x1 - x0)).Fill(colour.B);
        }
    }

    /// <summary>Paints a frame <paramref name="thickness"/> pixels wide just inside the rectangle.</summary>
    public void Frame(int left, int top, int width, int height, int thickness, Rgb colour)
    {
        Fill(left, top, width, thickness, colour);
        Fill(left, top + height - thickness, width, thickness, colour);
        Fill(left, top, thickness, height, colour);
        Fill(left + width - thickness, top, thickness, height, colour);
    }

    /// <summary>Draws one line of text with its top-left corner at (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public void Text(int left, int top, string text, Rgb colour, int scale = 1) =>
        BitmapFont.Draw(Image, top, left, text, [colour.R, colour.G, colour.B], scale);

    /// <summary>Draws one line of text centred on (<paramref name="centreX"/>, <paramref name="centreY"/>).</summary>
    public void TextCentred(int centreX, int centreY, string text, Rgb colour, int scale = 1) =>
        Text(centreX - (BitmapFont.Width(text, scale) / 2), centreY - (BitmapFont.GlyphHeight * scale / 2), text, colour, scale);
}
