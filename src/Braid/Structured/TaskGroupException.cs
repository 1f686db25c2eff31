using System.Globalization;
using System.Text;

namespace Braid.Structured;

/// <summary>
/// Thrown by a <see cref="TaskGroup"/> (and by the <see cref="Concurrent"/> combinators built on it)
/// when the body or any child failed. It carries every failure, in the order the group observed them,
/// and is thrown even when there is only one, so a caller handles one shape of error.
/// </summary>
/// <remarks>
/// <see cref="AggregateException.InnerExceptions"/> holds the failures in order;
/// <see cref="ChildNames"/> holds, at the same index, the name of the child that failed
/// (<c>"body"</c> for the group's body, <see langword="null"/> for an unnamed child). The message
/// names the group and the children, followed by each failure's message in order. Cancellations
/// caused by the group are not failures and never appear here.
/// </remarks>
public sealed class TaskGroupException : AggregateException
{
    /// <summary>Creates the exception with one failure, from no particular group.</summary>
    public TaskGroupException()
        : this(0, null, [null], [new InvalidOperationException("A task group failed.")])
    {
    }

    /// <summary>Creates the exception with a message and no failures of its own.</summary>
    /// <param name="message">The message.</param>
    public TaskGroupException(string message)
        : base(message)
    {
        ChildNames = [];
    }

    /// <summary>Creates the exception with a message and one failure.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The failure.</param>
    public TaskGroupException(string message, Exception innerException)
        : base(message, innerException)
    {
        ChildNames = [null];
    }

    internal TaskGroupException(long groupId, string? groupName, IReadOnlyList<string?> childNames, IReadOnlyList<Exception> failures)
        : base(BuildMessage(groupId, groupName, childNames, failures), failures)
    {
        GroupId = groupId;
        GroupName = groupName;
        ChildNames = childNames;
    }

    /// <summary>The <see cref="TaskGroup.Id"/> of the group that failed (zero if unknown).</summary>
    public long GroupId { get; }

    /// <summary>The name of the group that failed, if it had one.</summary>
    public string? GroupName { get; }

    /// <summary>The name of the child that raised each failure, index for index with <see cref="AggregateException.InnerExceptions"/>.</summary>
    public IReadOnlyList<string?> ChildNames { get; }

    private static string BuildMessage(long groupId, string? groupName, IReadOnlyList<string?> childNames, IReadOnlyList<Exception> failures)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{failures.Count} {(failures.Count == 1 ? "failure" : "failures")} in task group #{groupId}");
        if (groupName is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" '{groupName}'");
        }

        text.Append(", from ");
        for (var i = 0; i < failures.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ");
            text.Append(childNames[i] is { } name ? $"'{name}'" : "an unnamed child");
        }

        return text.ToString();
    }
}
