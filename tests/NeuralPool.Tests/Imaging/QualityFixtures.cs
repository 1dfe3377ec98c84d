using System.Text.Json;
using NeuralPool.Interop;
using NeuralPool.Tests.Cli;

namespace NeuralPool.Tests.Imaging;

/// <summary>The committed skimage and torch cases in tests/fixtures/quality (tools/reference/gen_quality_fixtures.py).</summary>
internal static class QualityFixtures
{
    public static string Folder => Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", "quality");

    /// <summary>The cases of one kind ("ssim" or "bilinear") as xunit rows: the case name.</summary>
    public static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases().Where(c => c.GetProperty("kind").GetString() == kind))
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    public static JsonElement Case(string name) => Cases().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>An image tensor stored as a float32 (1, C, H, W) array.</summary>
    public static DenseTensor<float> Image(string file)
    {
        var array = Npy.Read(Path.Combine(Folder, file));
        return new DenseTensor<float>(array.GetData<float>(), array.Shape);
    }

    private static List<JsonElement> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "cases.json")));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
