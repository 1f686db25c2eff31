using Braid.Structured;

namespace Braid.DiagnosticsOverhead;

/// <summary>The programs measured; each returns a checksum so no mode can skip work.</summary>
internal static class Workloads
{
    public const int Children = 100_000;
    public const int Workers = 64;
    public const int Steps = 100;

    /// <summary>A CPU-heavy async workload: 64 children, each 100 steps of hashing 16 KiB then yielding.</summary>
    public static async Task<long> CpuHeavyAsync()
    {
        long sum = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (var w = 0; w < Workers; w++)
            {
                var seed = w;
                group.Start(
                    async _ =>
                    {
                        var buffer = new byte[16 * 1024];
                        buffer[0] = (byte)seed;
                        ulong hash = 0;
                        for (var s = 0; s < Steps; s++)
                        {
                            buffer[1] = (byte)s;
                            hash ^= Hash(buffer);
                            await Task.Yield();
                        }

                        Interlocked.Add(ref sum, (long)(hash & 0xFFFF));
                    },
                    "worker");
            }

            return Task.CompletedTask;
        });
        return sum;
    }

    /// <summary>A group of 100,000 children that complete synchronously (the harness's per-child anchor).</summary>
    public static async Task<long> HundredThousandChildrenAsync()
    {
        await TaskGroup.RunAsync(group =>
        {
            for (var i = 0; i < Children; i++)
            {
                group.Start(static _ => Task.CompletedTask);
            }

            return Task.CompletedTask;
        });
        return Children;
    }

    private static ulong Hash(byte[] buffer)
    {
        // FNV-1a over the buffer, 4 times: a few tens of microseconds of pure CPU.
        ulong hash = 14695981039346656037;
        for (var round = 0; round < 4; round++)
        {
            foreach (var b in buffer)
            {
                hash = (hash ^ b) * 1099511628211;
            }
        }

        return hash;
    }
}
