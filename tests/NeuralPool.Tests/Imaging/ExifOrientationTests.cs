using NeuralPool.Cli.Imaging;

namespace NeuralPool.Tests.Imaging;

public class ExifOrientationTests
{
    /// <summary>A 12 x 20 RGB picture, every pixel different and no symmetry, with a white 2 x 2 block in its stored top-left corner.</summary>
    private static DenseTensor<float> Stored()
    {
        var image = TestImages.Exact(3, 12, 20, seed: 5);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 2; y++)
            {
                for (int x = 0; x < 2; x++)
                {
                    image.Data[(((c * 12) + y) * 20) + x] = 1f;
                }
            }
        }

        return image;
    }

    private static float At(DenseTensor<float> image, int c, int y, int x) => image.Data[(((c * image.Shape[2]) + y) * image.Shape[3]) + x];

    /// <summary>The picture mirrored about its main diagonal.</summary>
    private static DenseTensor<float> Transpose(DenseTensor<float> s) => Build(s, s.Shape[3], s.Shape[2], (c, y, x) => At(s, c, x, y));

    private static DenseTensor<float> FlipX(DenseTensor<float> s) => Build(s, s.Shape[2], s.Shape[3], (c, y, x) => At(s, c, y, s.Shape[3] - 1 - x));

    private static DenseTensor<float> FlipY(DenseTensor<float> s) => Build(s, s.Shape[2], s.Shape[3], (c, y, x) => At(s, c, s.Shape[2] - 1 - y, x));

    private static DenseTensor<float> Build(DenseTensor<float> s, int h, int w, Func<int, int, int, float> value)
    {
        var result = ImageTensor.Create(s.Shape[1], h, w);
        for (int c = 0; c < s.Shape[1]; c++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    result.Data[(((c * h) + y) * w) + x] = value(c, y, x);
                }
            }
        }

        return result;
    }

    /// <summary>What the viewer should see for each orientation, built from flips and the transpose (TIFF 6.0's definitions).</summary>
    private static DenseTensor<float> Upright(DenseTensor<float> s, int orientation) => orientation switch
    {
        1 => s,
        2 => FlipX(s),
        3 => FlipY(FlipX(s)),
        4 => FlipY(s),
        5 => Transpose(s),
        6 => FlipX(Transpose(s)),       // stored turned 90 degrees clockwise
        7 => FlipY(FlipX(Transpose(s))),
        _ => FlipY(Transpose(s)),       // 8: turned 90 degrees anticlockwise
    };

    public static TheoryData<int, bool> Orientations()
    {
        var data = new TheoryData<int, bool>();
        for (int o = 1; o <= 8; o++)
        {
            data.Add(o, false);
            data.Add(o, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void JpegPixelsAreTurnedUpright(int orientation, bool bigEndian)
    {
        byte[] jpeg = TestImages.Jpeg(Stored(), quality: 95);
        var stored = ImageFile.Decode(jpeg, "plain.jpg");
        byte[] tagged = TestImages.WithOrientation(jpeg, orientation, bigEndian);

        Assert.Equal(orientation, ExifOrientation.Read(tagged));
        var upright = ImageFile.Decode(tagged, "tagged.jpg");

        var expected = Upright(stored, orientation);
        Assert.Equal(expected.Shape.ToArray(), upright.Shape.ToArray());
        Assert.Equal(expected.Data, upright.Data);
    }

    /// <summary>Where the stored top-left corner ends up on display, by the TIFF definitions of the eight orientations.</summary>
    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, false, true)]
    [InlineData(3, true, true)]
    [InlineData(4, true, false)]
    [InlineData(5, false, false)]
    [InlineData(6, false, true)]
    [InlineData(7, true, true)]
    [InlineData(8, true, false)]
    public void TheStoredCornerLandsWhereTheTagSays(int orientation, bool bottom, bool right)
    {
        var upright = ImageOrientation.Apply(Stored(), orientation);
        int h = upright.Shape[2], w = upright.Shape[3];

        Assert.Equal(orientation >= 5 ? (20, 12) : (12, 20), (h, w));
        Assert.Equal(1f, At(upright, 0, bottom ? h - 1 : 0, right ? w - 1 : 0));
    }

    [Fact]
    public void BadMetadataReadsAsUpright()
    {
        byte[] jpeg = TestImages.Jpeg(TestImages.Exact(3, 8, 8));
        byte[][] damaged =
        [
            jpeg,
            TestImages.WithOrientation(jpeg, 9, false),
            TestImages.WithOrientation(jpeg, 0, true),
            TestImages.WithApp1(jpeg, [.. "Exif\0\0"u8, (byte)'I', (byte)'I']),
            TestImages.WithApp1(jpeg, [.. "Exif\0\0"u8, (byte)'I', (byte)'I', 42, 0, 0xFF, 0xFF, 0xFF, 0x7F]),
            TestImages.WithApp1(jpeg, [.. "Exif\0\0"u8, (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0xFF, 0xFF]),
            TestImages.WithApp1(jpeg, [.. "Exif\0\0"u8, (byte)'X', (byte)'X', 0, 42, 0, 0, 0, 8]),
            TestImages.WithApp1(jpeg, [.. "http://ns.adobe.com/xap/1.0/\0"u8]),
        ];

        Assert.All(damaged, bytes => Assert.Equal(ExifOrientation.Upright, ExifOrientation.Read(bytes)));
        Assert.All(damaged, bytes => Assert.Equal(new[] { 1, 3, 8, 8 }, ImageFile.Decode(bytes, "x.jpg").Shape.ToArray()));
    }
}
