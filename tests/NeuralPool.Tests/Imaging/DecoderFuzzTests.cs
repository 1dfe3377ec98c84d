using System.Diagnostics;
using NeuralPool.Cli.Imaging;
using NeuralPool.Interop;
using NeuralPool.Tests.Cli;
using Xunit.Abstractions;

namespace NeuralPool.Tests.Imaging;

/// <summary>
/// A seeded mutation fuzzer for the file decoders: valid PNG (8- and 16-bit, interlaced, colour keys), JPEG (with Exif
/// orientation) and .npy files are mutated — bits flipped, bytes and 32-bit words set to edge values, ranges cut,
/// repeated or inserted, files truncated or spliced — and fed to the image reader and the .npy reader for a bounded
/// time (NEURALPOOL_FUZZ_SECONDS per decoder, 2 by default). Every input must decode or fail with the decoder's
/// documented exception (<see cref="ImageFileException"/>, <see cref="NpyFormatException"/>); another exception, or
/// one input taking longer than <see cref="HangLimit"/>, fails the test with the input in base64.
/// </summary>
public class DecoderFuzzTests
{
    private readonly ITestOutputHelper _output;

    /// <summary>Creates the tests with xunit's output, where each run reports how many inputs it tried.</summary>
    public DecoderFuzzTests(ITestOutputHelper output) => _output = output;

    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    private static TimeSpan Budget =>
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("NEURALPOOL_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 2);

    private static readonly uint[] EdgeWords = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    private static byte[][] PngSeeds()
    {
        string fixtures = Path.Combine(CliHarness.RepositoryRoot(), "tests", "fixtures", "png16");
        return
        [
            ImageFile.EncodePng(TestImages.Exact(1, 9, 7)),
            ImageFile.EncodePng(TestImages.Exact(3, 12, 10)),
            ImageFile.EncodePng(TestImages.Exact(4, 6, 11)),
            ImageFile.EncodePng(TestImages.Exact16(2, 7, 9, 1), 16),
            ImageFile.EncodePng(TestImages.Exact16(4, 5, 6, 2), 16),
            File.ReadAllBytes(Path.Combine(fixtures, "rgb_adam7_10x9.png")),
            File.ReadAllBytes(Path.Combine(fixtures, "rgb_key_adam7_5x6.png")),
            File.ReadAllBytes(Path.Combine(fixtures, "grey_alpha_adam7_9x10.png")),
        ];
    }

    private static byte[][] JpegSeeds()
    {
        byte[] jpeg = TestImages.Jpeg(TestImages.Exact(3, 16, 24), quality: 75);
        return [jpeg, TestImages.WithOrientation(jpeg, 6, bigEndian: false), TestImages.WithOrientation(jpeg, 8, bigEndian: true), TestImages.Jpeg(TestImages.Exact(3, 9, 9), quality: 20)];
    }

    private static byte[][] NpySeeds()
    {
        static byte[] Save(NpyArray a)
        {
            using var stream = new MemoryStream();
            Npy.Write(stream, a);
            return stream.ToArray();
        }

        string folder = Path.Combine(CliHarness.RepositoryRoot(), "tests", "NeuralPool.Tests", "Interop", "npy");
        return
        [
            Save(NpyArray.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3)),
            Save(NpyArray.Create(new double[24], 2, 3, 4)),
            Save(NpyArray.Create(new byte[] { 1, 2, 3 }, 3)),
            Save(NpyArray.Create(new long[] { -1, 7 }, 1, 2)),
            .. Directory.GetFiles(folder, "*.npy").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
        ];
    }

    [Fact]
    public void ImageReaderSurvivesMutatedPng() =>
        Fuzz(PngSeeds(), seed: 101, bytes => ImageFile.DecodeImage(bytes, "fuzz.png"), ex => ex is ImageFileException);

    [Fact]
    public void ImageReaderSurvivesMutatedJpeg() =>
        Fuzz(JpegSeeds(), seed: 202, bytes => ImageFile.DecodeImage(bytes, "fuzz.jpg"), ex => ex is ImageFileException);

    [Fact]
    public void NpyReaderSurvivesMutatedFiles() =>
        Fuzz(NpySeeds(), seed: 303, bytes => Npy.Read(new MemoryStream(bytes, writable: false)), ex => ex is NpyFormatException);

    [Fact]
    public void MutationsAreReproducible()
    {
        byte[] seed = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];
        var a = new Random(5);
        var b = new Random(5);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(Mutate(seed, [seed], a), Mutate(seed, [seed], b));
        }
    }

    /// <summary>Feeds mutations of <paramref name="seeds"/> to <paramref name="decode"/> until the budget is spent.</summary>
    private void Fuzz(byte[][] seeds, int seed, Action<byte[]> decode, Func<Exception, bool> documented)
    {
        var random = new Random(seed);
        var budget = Budget;
        byte[]? current = null;
        long started = 0;
        string? failure = null;
        int count = 0;
        var worker = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < budget && failure is null)
            {
                byte[] input = Mutate(seeds[random.Next(seeds.Length)], seeds, random);
                Volatile.Write(ref current, input);
                Interlocked.Exchange(ref started, Stopwatch.GetTimestamp());
                try
                {
                    decode(input);
                }
                catch (Exception ex) when (documented(ex))
                {
                    // The documented way to refuse bad data.
                }
                catch (Exception ex)
                {
                    failure = $"input {count} (seed {seed}) threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}\ninput (base64): {Convert.ToBase64String(input)}";
                }

                count++;
                Interlocked.Exchange(ref started, 0);
            }
        })
        { IsBackground = true, Name = "decoder fuzz" };
        worker.Start();

        while (!worker.Join(TimeSpan.FromMilliseconds(100)))
        {
            long since = Interlocked.Read(ref started);
            if (since != 0 && Stopwatch.GetElapsedTime(since) > HangLimit)
            {
                Assert.Fail($"input {count} (seed {seed}) has been decoding for over {HangLimit.TotalSeconds} s; input (base64): {Convert.ToBase64String(Volatile.Read(ref current)!)}");
            }
        }

        Assert.True(failure is null, failure);
        Assert.True(count > 0, "no input was tried");
        _output.WriteLine($"{count} mutated inputs from {seeds.Length} seeds in {budget.TotalSeconds} s (random seed {seed})");
    }

    /// <summary>One to four mutations of <paramref name="original"/>.</summary>
    private static byte[] Mutate(byte[] original, byte[][] seeds, Random random)
    {
        var bytes = new List<byte>(original);
        for (int m = 0, count = 1 + random.Next(4); m < count && bytes.Count > 0; m++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(9))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes[at] = (byte)EdgeWords[random.Next(6)];
                    break;
                case 3:
                    uint word = EdgeWords[random.Next(EdgeWords.Length)];
                    for (int k = 0; k < 4 && at + k < bytes.Count; k++)
                    {
                        bytes[at + k] = (byte)(word >> (8 * (random.Next(2) == 0 ? 3 - k : k)));
                    }

                    break;
                case 4:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                    break;
                case 5:
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 6:
                    int length = Math.Min(bytes.Count - at, 1 + random.Next(64));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 7:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    byte[] other = seeds[random.Next(seeds.Length)];
                    int from = random.Next(other.Length);
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(other[from..]);
                    break;
            }
        }

        return [.. bytes];
    }
}
