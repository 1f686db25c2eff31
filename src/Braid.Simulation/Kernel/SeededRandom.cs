using System.Runtime.CompilerServices;

namespace Braid.Simulation.Kernel;

/// <summary>
/// A small, fast, seeded random stream (SplitMix64), and the derivation of independent streams from
/// a seed and coordinates such as (quarter, agent). The same seed and coordinates give the same
/// numbers on every machine, whatever order the streams are used in (design rule 161).
/// </summary>
/// <remarks>A mutable struct: pass it by reference. Not thread-safe; a stream belongs to one user.</remarks>
public struct SeededRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    /// <summary>Creates a stream from <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>The stream for coordinates (<paramref name="a"/>, <paramref name="b"/>) of <paramref name="seed"/>: independent of every other coordinate's stream.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="a">The first coordinate (a quarter, say).</param>
    /// <param name="b">The second coordinate (an agent, say).</param>
    /// <returns>A new stream.</returns>
    public static SeededRandom For(ulong seed, ulong a, ulong b) => new(Hash(seed, a, b));

    /// <summary>One well-mixed 64-bit value for (<paramref name="seed"/>, <paramref name="a"/>, <paramref name="b"/>): the first value of <see cref="For"/>'s stream, without making it.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="a">The first coordinate.</param>
    /// <param name="b">The second coordinate.</param>
    /// <returns>The value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong seed, ulong a, ulong b) => Mix((Mix(Mix(seed + Gamma) ^ a) + Gamma) ^ b);

    /// <summary>The next 64 random bits.</summary>
    /// <returns>The value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64() => Mix(_state += Gamma);

    /// <summary>A uniform whole number in [0, <paramref name="bound"/>), without bias (Lemire's method).</summary>
    /// <param name="bound">The exclusive upper bound, at least 1.</param>
    /// <returns>The value.</returns>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        var range = (ulong)bound;
        var product = (UInt128)NextUInt64() * range;
        var low = (ulong)product;
        if (low < range)
        {
            var threshold = (0UL - range) % range;
            while (low < threshold)
            {
                product = (UInt128)NextUInt64() * range;
                low = (ulong)product;
            }
        }

        return (int)(product >> 64);
    }

    /// <summary>A uniform number in [0, 1) with 53 random bits.</summary>
    /// <returns>The value.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
