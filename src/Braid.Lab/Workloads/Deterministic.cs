namespace Braid.Lab.Workloads;

/// <summary>Per-record pseudo-random numbers fixed by the seed (SplitMix64), so that every model, and every worker process, sees the same jitter and the same failures.</summary>
internal static class Deterministic
{
    /// <summary>A number in [0, 1) for (seed, index, stream).</summary>
    public static double Unit(int seed, int index, int stream)
    {
        var x = unchecked(((ulong)(uint)seed << 32) ^ (uint)index ^ ((ulong)stream * 0x9E3779B97F4A7C15UL));
        x = unchecked(x + 0x9E3779B97F4A7C15UL);
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    public static bool Fails(int seed, int index, double failureRate) => failureRate > 0 && Unit(seed, index, 1) < failureRate;

    public static TimeSpan Delay(int seed, int index, TimeSpan latency, TimeSpan jitter) =>
        latency + TimeSpan.FromTicks((long)(jitter.Ticks * Unit(seed, index, 2)));
}
