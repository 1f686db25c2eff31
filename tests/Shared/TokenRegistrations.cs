using System.Reflection;

namespace Braid.Tests.Shared;

/// <summary>
/// Counts the callbacks registered on a <see cref="CancellationTokenSource"/> right now, by reading the
/// source's registration list: the oracle of the cancellation-leak tests. An operation that took a token
/// and has completed must leave the count where it found it; a leak shows at once, not after a GC.
/// </summary>
/// <remarks>
/// It reads runtime internals (<c>_registrations.Callbacks</c>, linked through <c>Next</c>), checked on the
/// .NET 10 runtime; <see cref="Count"/> throws if the layout changes, so a runtime upgrade fails loudly
/// instead of making the leak tests pass vacuously.
/// </remarks>
internal static class TokenRegistrations
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly FieldInfo RegistrationsField = typeof(CancellationTokenSource).GetField("_registrations", Instance)
        ?? throw new InvalidOperationException("CancellationTokenSource._registrations not found: update TokenRegistrations for this runtime.");

    /// <summary>How many callbacks are registered on <paramref name="source"/> and not yet unregistered.</summary>
    public static int Count(CancellationTokenSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var registrations = RegistrationsField.GetValue(source);
        if (registrations is null)
        {
            return 0;
        }

        var type = registrations.GetType();
        var callbacks = type.GetField("Callbacks", Instance)
            ?? throw new InvalidOperationException("Registrations.Callbacks not found: update TokenRegistrations for this runtime.");
        var count = 0;
        var node = callbacks.GetValue(registrations);
        while (node is not null)
        {
            count++;
            var next = node.GetType().GetField("Next", Instance)
                ?? throw new InvalidOperationException("CallbackNode.Next not found: update TokenRegistrations for this runtime.");
            node = next.GetValue(node);
        }

        return count;
    }
}
