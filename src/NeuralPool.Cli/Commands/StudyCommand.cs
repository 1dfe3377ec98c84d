using System.CommandLine;
using System.Globalization;
using NeuralPool.Cli.Imaging;
using NeuralPool.Cli.Study;

namespace NeuralPool.Cli.Commands;

/// <summary>
/// <c>neuralpool study detail IMAGE... [-o OUTDIR] [--factors 2,4]</c>: how much fine detail each pooling method
/// loses on real images (<see cref="DetailStudy"/>). Prints the table (per image, then the mean over images), writes
/// it as OUTDIR/detail.csv and one contact sheet per image as OUTDIR/detail-NAME.png. Every image is read and
/// checked before anything is computed or written.
/// </summary>
internal static class StudyCommand
{
    /// <summary>The CSV file's name in the output folder.</summary>
    public const string CsvName = "detail.csv";

    public static Command Create(TextWriter stdout)
    {
        var images = new Argument<string[]>("images")
        {
            Description = "Image files (PNG, JPEG, BMP); grey, grey+alpha, RGB or RGBA. Alpha is carried through the pooling and left out of the metrics and the sheet.",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string>("--output-dir", "-o")
        {
            Description = "Folder for detail.csv and the contact sheets detail-NAME.png (created if missing; default: the current folder).",
            DefaultValueFactory = _ => ".",
        };
        var factors = new Option<string>("--factors")
        {
            Description = "Downsampling factors (kernel = stride), comma-separated integers of at least 2.",
            DefaultValueFactory = _ => "2,4",
        };
        string methods = string.Join("; ", DetailMethods.All.Select(m => $"{m.Name}: {m.Description}"));
        var detail = new Command("detail", "Downsample each image with every pooling method (kernel = stride = factor), resize back bilinearly, and compare with the original: PSNR and SSIM per method and factor, a CSV and a contact sheet per image. Methods: " + methods + ".")
        {
            images,
            outDir,
            factors,
        };
        detail.SetAction(parse => RunDetail(parse.GetValue(images) ?? [], parse.GetValue(outDir) ?? ".", parse.GetValue(factors) ?? "2,4", stdout));
        return new Command("study", "Studies of what pooling keeps and loses, on real images.") { detail };
    }

    /// <summary>Runs the detail study; returns the exit code.</summary>
    /// <exception cref="CliException">An argument is invalid (exit code 2).</exception>
    /// <exception cref="ImageFileException">An image cannot be read or is too small (exit code 1).</exception>
    public static int RunDetail(string[] paths, string outDir, string factorList, TextWriter stdout)
    {
        int[] factors = ParseFactors(factorList);
        if (File.Exists(outDir))
        {
            throw new CliException($"--output-dir: '{outDir}' is a file, not a folder.");
        }

        foreach (string path in paths)
        {
            // System.CommandLine hands an unknown option to the images argument.
            if (path.StartsWith('-') && !File.Exists(path))
            {
                throw new CliException($"unrecognized option '{path}'; run 'neuralpool study detail --help' for the options.");
            }
        }

        var methods = DetailMethods.All;
        var names = Names(paths);
        var read = new List<(string Name, DenseTensor<float> Image)>();
        for (int i = 0; i < paths.Length; i++)
        {
            var image = ImageFile.Read(paths[i]);
            DetailStudy.CheckSize(paths[i], image, factors);
            read.Add((names[i], image));
        }

        var studies = read.Select(r => DetailStudy.Run(r.Name, r.Image, factors, methods)).ToList();
        var rows = DetailReport.Rows(studies);
        stdout.Write(DetailReport.Table(rows));

        Directory.CreateDirectory(outDir);
        string csv = Path.Combine(outDir, CsvName);
        File.WriteAllText(csv, DetailReport.Csv(rows));
        stdout.WriteLine($"wrote {csv}");
        foreach (var study in studies)
        {
            string sheet = Path.Combine(outDir, SheetName(study.Name));
            ImageFile.WritePng(sheet, ContactSheet.Draw(study, factors, methods));
            stdout.WriteLine($"wrote {sheet}");
        }

        return CliApplication.ExitOk;
    }

    /// <summary>The contact sheet's file name for an image name.</summary>
    public static string SheetName(string imageName) => $"detail-{imageName}.png";

    /// <summary>A comma list of distinct integers of at least 2.</summary>
    /// <exception cref="CliException">The list is empty or holds anything else.</exception>
    public static int[] ParseFactors(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var factors = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out factors[i]) || factors[i] < 2)
            {
                throw new CliException($"--factors: '{parts[i]}' in '{text}' is not an integer of at least 2.");
            }
        }

        if (factors.Distinct().Count() != factors.Length)
        {
            throw new CliException($"--factors: '{text}' repeats a factor.");
        }

        return factors;
    }

    /// <summary>Each image's name: its file name without extension, with -2, -3, ... added to repeats so that sheet files stay apart.</summary>
    private static string[] Names(string[] paths)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new string[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            string stem = Path.GetFileNameWithoutExtension(paths[i]);
            stem = stem.Length == 0 ? "image" : stem;
            int count = seen[stem] = seen.GetValueOrDefault(stem) + 1;
            names[i] = count == 1 ? stem : $"{stem}-{count}";
        }

        return names;
    }
}
