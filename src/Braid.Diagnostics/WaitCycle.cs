using System.Globalization;
using System.Text;

namespace Braid.Diagnostics;

/// <summary>
/// A wait-for cycle: each child waits on something held by the next, and the last on something held by the
/// first. None of them can go on: a deadlock.
/// </summary>
/// <param name="Children">The children in the cycle, starting from the lowest id; each waits on something the next one holds (a lock, a permit, a channel receive end, a child it starts).</param>
public sealed record WaitCycle(IReadOnlyList<TaskTreeChild> Children)
{
    /// <summary>The cycle as one line: <c>cycle: child 'a' → AsyncLock#3 held by 'b' → AsyncLock#7 held by 'a'</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        var text = new StringBuilder("cycle: child ").Append(Label(Children[0]));
        for (var i = 0; i < Children.Count; i++)
        {
            var wait = Children[i].WaitingOn!;
            text.Append(CultureInfo.InvariantCulture, $" → {wait.Kind}#{wait.PrimitiveId} held by {Label(Children[(i + 1) % Children.Count])}");
        }

        return text.ToString();
    }

    private static string Label(TaskTreeChild child) =>
        child.Name is null ? child.Id.ToString(CultureInfo.InvariantCulture) : $"'{child.Name}'";
}
