namespace NeuralPool.Training;

/// <summary>
/// The one random number generator of the training code: SplitMix64 (Steele, Lea, Flood, "Fast Splittable
/// Pseudorandom Number Generators", OOPSLA 2014). The state is a 64-bit counter advanced by the golden-ratio
/// constant 0x9E3779B97F4A7C15; each output is the counter passed through the SplitMix64 finalizer (xor-shift 30,
/// multiply 0xBF58476D1CE4E5B9, xor-shift 27, multiply 0x94D049BB133111EB, xor-shift 31). Doubles take the top 53
/// bits, singles the top 24, normals come from Box–Muller (two uniforms per normal, no cached second value), so
/// a sequence depends only on the seed: the same seed gives the same weights on every run, machine and thread count.
/// <para>
/// Layers that draw during training (dropout masks, stochastic pooling, fractional pooling samples) do not consume a
/// sequential stream: they use the counter-based <see cref="At(ulong, ulong, ulong)"/>, a pure function of
/// (seed, pass, element), so draws can be made in parallel in any order and a pass can be replayed.
/// </para>
/// </summary>
public sealed class SeededRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Starts the sequence of <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed) => State = seed;

    /// <summary>The counter; saving and restoring it replays the sequence from that point.</summary>
    public ulong State { get; set; }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        State += Golden;
        return Mix(State);
    }

    /// <summary>A uniform double in [0, 1) (53 random bits).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) (24 random bits).</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A uniform double in [<paramref name="low"/>, <paramref name="high"/>), computed as <c>low + (high − low)·u</c>.</summary>
    public double Uniform(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>A standard normal value: Box–Muller, <c>sqrt(−2 ln(1 − u1))·cos(2π u2)</c>.</summary>
    public double Normal()
    {
        double u1 = NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A generator for a child stream, seeded from this one's next output.</summary>
    public SeededRandom Fork() => new(NextUInt64());

    /// <summary>
    /// Counter-based draw: 64 random bits that depend only on (<paramref name="seed"/>, <paramref name="stream"/>,
    /// <paramref name="counter"/>): <c>Mix(Mix(seed + φ·(stream + 1)) + φ·(counter + 1))</c> with φ the golden-ratio
    /// constant and Mix the SplitMix64 finalizer.
    /// </summary>
    public static ulong At(ulong seed, ulong stream, ulong counter) => Mix(Mix(seed + (Golden * (stream + 1))) + (Golden * (counter + 1)));

    /// <summary>A uniform double in [0, 1) from <see cref="At(ulong, ulong, ulong)"/> (53 bits).</summary>
    public static double UniformAt(ulong seed, ulong stream, ulong counter) => (At(seed, stream, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>The SplitMix64 finalizer.</summary>
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
