namespace NeuralPool.Tests.Oracle;

/// <summary>The kinds of input the sweeps feed every operator.</summary>
internal enum DataKind
{
    /// <summary>Standard normal values (ties practically absent).</summary>
    Normal,

    /// <summary>Small integers after ReLU: mostly zeros and repeated values.</summary>
    Ties,

    /// <summary>Normals with about one element in eight replaced by NaN.</summary>
    NaNs,

    /// <summary>Normals with about one element in three replaced by -∞.</summary>
    NegativeInfinity,

    /// <summary>Strictly positive values, at least 0.25 (for fractional powers and gradient checks).</summary>
    Positive,

    /// <summary>Distinct values at least 0.01 apart in random order (max pooling without ties, for finite differences).</summary>
    Distinct,

    /// <summary>+0, −0 and small negative integers: windows whose maximum is zero hold zeros of both signs in different rows and columns.</summary>
    SignedZeros,

    /// <summary>As <see cref="SignedZeros"/>, with one value in eight NaN: zero maxima and NaN maxima side by side in a row.</summary>
    SignedZerosAndNaNs,
}

/// <summary>Deterministic input generators (fixed seeds).</summary>
internal static class TestData
{
    public static double[] Make(DataKind kind, long length, Random rng)
    {
        var x = new double[length];
        for (long i = 0; i < length; i++)
        {
            x[i] = kind switch
            {
                DataKind.Ties => Math.Max(0, rng.Next(-2, 4)),
                DataKind.NaNs => rng.Next(8) == 0 ? double.NaN : Normal(rng),
                DataKind.NegativeInfinity => rng.Next(3) == 0 ? double.NegativeInfinity : Normal(rng),
                DataKind.Positive => 0.25 + (2 * rng.NextDouble()),
                DataKind.Distinct => 0,
                DataKind.SignedZeros => SignedZero(rng),
                DataKind.SignedZerosAndNaNs => rng.Next(8) == 0 ? double.NaN : SignedZero(rng),
                _ => Normal(rng),
            };
        }

        if (kind == DataKind.Distinct)
        {
            var order = Enumerable.Range(0, (int)length).ToArray();
            rng.Shuffle(order);
            for (int i = 0; i < order.Length; i++)
            {
                x[i] = (order[i] * 0.01) - (length * 0.005);
            }
        }

        return x;
    }

    /// <summary>+0 or −0 (a quarter each), else −1, −2 or −3.</summary>
    private static double SignedZero(Random rng)
    {
        int r = rng.Next(4);
        return r == 0 ? 0.0 : r == 1 ? -0.0 : -rng.Next(1, 4);
    }

    /// <summary>Box–Muller standard normal.</summary>
    public static double Normal(Random rng)
    {
        double u = 1 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    public static long Volume(int[] shape)
    {
        long v = 1;
        foreach (int s in shape)
        {
            v *= s;
        }

        return v;
    }
}
