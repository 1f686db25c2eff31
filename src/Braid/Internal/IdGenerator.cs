namespace Braid.Internal;

/// <summary>Hands out the stable, process-wide unique <c>Id</c>s of groups, scopes, loops and primitives.</summary>
internal static class IdGenerator
{
    private static long s_last;

    /// <summary>The next id; never zero, never repeated within a process.</summary>
    public static long Next() => Interlocked.Increment(ref s_last);
}
