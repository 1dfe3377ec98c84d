using System.CommandLine;
using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Study;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool gallery IMAGE [-o DIR] [--size N] [--overwrite]</c>: one picture through every pooling method of the
/// detail study at kernel sizes 2, 4 and 8, as a labelled contact sheet DIR/gallery-NAME.png (<see cref="Gallery"/>).
/// </summary>
internal static class GalleryCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(TextWriter stdout)
    {
        var image = new Argument<string>("image") { Description = "A PNG, JPEG or BMP picture of at least 16x16 pixels." };
        var outDir = new Option<string>("--output-dir", "-o") { Description = "Folder for gallery-NAME.png (created if missing; default: the current folder).", DefaultValueFactory = _ => "." };
        var size = new Option<int?>("--size") { Description = "Shrink the picture first (adaptive average pooling) so that its longer side is at most this many pixels." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing sheet." };
        var command = new Command("gallery", $"Pool one picture with every method of the detail study at kernel sizes {string.Join(", ", Gallery.Kernels)}; write a labelled contact sheet.")
        {
            image, outDir, size, overwrite,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(image)!, folder = parse.GetValue(outDir)!;
            if (parse.GetValue(size) is < 1 and var bad)
            {
                throw new CliException($"--size: {bad} is not a positive number of pixels.");
            }

            if (File.Exists(folder))
            {
                throw new CliException($"--output-dir: '{folder}' is a file, not a folder.");
            }

            var picture = ImageFile.Read(path);
            if (parse.GetValue(size) is { } longest)
            {
                picture = Gallery.Shrink(picture, longest);
            }

            string name = Path.GetFileNameWithoutExtension(path);
            var sheet = Gallery.Draw(path, picture, DetailMethods.All);
            Directory.CreateDirectory(folder);
            string file = Path.Combine(folder, $"gallery-{(name.Length == 0 ? "image" : name)}.png");
            ImageFile.WritePng(file, sheet, overwrite: parse.GetValue(overwrite));
            var (_, h, w) = ImageTensor.Size(sheet);
            stdout.WriteLine($"wrote {file}: {w}x{h}");
            return CliApplication.ExitOk;
        });
        return command;
    }
}
