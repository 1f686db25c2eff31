namespace Braid.Tests.Shared;

/// <summary>Raises a shared peak counter to a value without a lock: the tests' oracle for "at most N at once".</summary>
internal static class InterlockedMax
{
    /// <summary>Sets <paramref name="target"/> to <paramref name="value"/> if that is larger, atomically.</summary>
    public static void Raise(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Sets <paramref name="target"/> to <paramref name="value"/> if that is larger, atomically.</summary>
    public static void Raise(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
