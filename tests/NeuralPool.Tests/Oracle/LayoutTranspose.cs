namespace NeuralPool.Tests.Oracle;

/// <summary>Moves the channel axis of an (N, C, spatial...) tensor to the end and back, element by element.</summary>
internal static class LayoutTranspose
{
    /// <summary>The channels-last shape (N, spatial..., C) of a channels-first shape.</summary>
    public static int[] ChannelsLastShape(int[] channelsFirstShape) =>
        [channelsFirstShape[0], .. channelsFirstShape[2..], channelsFirstShape[1]];

    /// <summary>(N, C, S) to (N, S, C), S being the flattened spatial axes.</summary>
    public static T[] ToChannelsLast<T>(T[] data, int[] channelsFirstShape)
    {
        var (n, c, s) = Split(channelsFirstShape);
        var result = new T[data.Length];
        for (long b = 0; b < n; b++)
        {
            for (long ch = 0; ch < c; ch++)
            {
                for (long i = 0; i < s; i++)
                {
                    result[(((b * s) + i) * c) + ch] = data[(((b * c) + ch) * s) + i];
                }
            }
        }

        return result;
    }

    /// <summary>(N, S, C) back to (N, C, S); <paramref name="channelsFirstShape"/> is the shape of the result.</summary>
    public static T[] ToChannelsFirst<T>(T[] data, int[] channelsFirstShape)
    {
        var (n, c, s) = Split(channelsFirstShape);
        var result = new T[data.Length];
        for (long b = 0; b < n; b++)
        {
            for (long ch = 0; ch < c; ch++)
            {
                for (long i = 0; i < s; i++)
                {
                    result[(((b * c) + ch) * s) + i] = data[(((b * s) + i) * c) + ch];
                }
            }
        }

        return result;
    }

    private static (long N, long C, long S) Split(int[] shape)
    {
        long s = 1;
        for (int i = 2; i < shape.Length; i++)
        {
            s *= shape[i];
        }

        return (shape[0], shape[1], s);
    }
}
