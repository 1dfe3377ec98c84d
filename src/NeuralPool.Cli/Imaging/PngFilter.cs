namespace NeuralPool.Cli.Imaging;

/// <summary>
/// The five PNG filter types (None, Sub, Up, Average, Paeth; PNG specification section 9). Each byte x of a scanline
/// is stored as x − Predict(a, b, c), modulo 256, where a is the byte <c>bpp</c> places to the left (the
/// corresponding byte of the previous pixel), b the byte above and c the byte above a; bytes outside the image are
/// 0. Decoding reverses it left to right on the reconstructed bytes; encoding picks, per scanline, the type whose
/// filtered bytes have the smallest sum of absolute values as signed bytes (the usual heuristic).
/// </summary>
internal static class PngFilter
{
    /// <summary>The number of filter types; valid type bytes are 0 to 4.</summary>
    public const int Count = 5;

    /// <summary>Reverses filter <paramref name="type"/> on <paramref name="row"/> in place.</summary>
    /// <param name="type">The filter type byte that preceded the scanline.</param>
    /// <param name="row">The filtered scanline, without its type byte; reconstructed on return.</param>
    /// <param name="prior">The reconstructed previous scanline of the same pass, or all zeros for the first.</param>
    /// <param name="bpp">Bytes per complete pixel (at least 1).</param>
    /// <returns>False when <paramref name="type"/> is not a filter type.</returns>
    public static bool TryReconstruct(byte type, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        if (type >= Count)
        {
            return false;
        }

        for (int i = 0; i < row.Length; i++)
        {
            byte a = i >= bpp ? row[i - bpp] : (byte)0, c = i >= bpp ? prior[i - bpp] : (byte)0;
            row[i] = (byte)(row[i] + Predict(type, a, prior[i], c));
        }

        return true;
    }

    /// <summary>Filters <paramref name="row"/> with the best type for it into <paramref name="output"/>: the type byte, then the filtered bytes.</summary>
    /// <param name="row">The raw scanline.</param>
    /// <param name="prior">The raw previous scanline, or all zeros for the first.</param>
    /// <param name="bpp">Bytes per complete pixel.</param>
    /// <param name="output">One byte longer than <paramref name="row"/>.</param>
    public static void FilterBest(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        long bestCost = long.MaxValue;
        Span<byte> trial = output.Length <= 4096 ? stackalloc byte[output.Length] : new byte[output.Length];
        for (byte type = 0; type < Count; type++)
        {
            long cost = 0;
            trial[0] = type;
            for (int i = 0; i < row.Length; i++)
            {
                byte a = i >= bpp ? row[i - bpp] : (byte)0, c = i >= bpp ? prior[i - bpp] : (byte)0;
                byte filtered = (byte)(row[i] - Predict(type, a, prior[i], c));
                trial[i + 1] = filtered;
                cost += Math.Abs((int)(sbyte)filtered);
            }

            if (cost < bestCost)
            {
                bestCost = cost;
                trial.CopyTo(output);
            }
        }
    }

    /// <summary>The predictor of filter <paramref name="type"/> from the left (a), upper (b) and upper-left (c) bytes.</summary>
    private static byte Predict(byte type, byte a, byte b, byte c) => type switch
    {
        1 => a,
        2 => b,
        3 => (byte)((a + b) >> 1),
        4 => Paeth(a, b, c),
        _ => 0,
    };

    /// <summary>Of a, b and c, the one closest to a + b − c (ties: a, then b).</summary>
    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
