using NeuralPool.Cli.Imaging;

namespace NeuralPool.Tests.Imaging;

public class BitmapFontTests
{
    private static string Render(string text)
    {
        var canvas = ImageTensor.Create(1, BitmapFont.GlyphHeight, text.Length * BitmapFont.Advance);
        BitmapFont.Draw(canvas, 0, 0, text, 1f);
        int w = canvas.Shape[3];
        return string.Join('\n', Enumerable.Range(0, BitmapFont.GlyphHeight)
            .Select(y => new string([.. Enumerable.Range(0, w).Select(x => canvas.Data[(y * w) + x] == 1f ? '#' : '.')])));
    }

    [Fact]
    public void DrawsTheGlyphRows()
    {
        Assert.Equal(
            "..#...\n" +
            ".##...\n" +
            "..#...\n" +
            "..#...\n" +
            "..#...\n" +
            "..#...\n" +
            ".###..",
            Render("1"));
    }

    [Fact]
    public void UnknownCharactersAreQuestionMarksAndSpaceIsBlank()
    {
        Assert.Equal(Render("?"), Render("\u00e9"));
        Assert.DoesNotContain('#', Render("  "));
    }

    [Fact]
    public void DrawingClipsAtTheEdges()
    {
        var canvas = ImageTensor.Create(3, 4, 4);
        BitmapFont.Draw(canvas, -3, -2, "MW", 0.5f);
        Assert.Contains(0.5f, canvas.Data);
        Assert.All(canvas.Data, v => Assert.True(v is 0f or 0.5f));
    }
}
