namespace Braid.Structured;

/// <summary>Options of a <see cref="TaskGroup"/>. The defaults give a plain nursery: first failure cancels everyone.</summary>
public sealed class TaskGroupOptions
{
    /// <summary>
    /// When <see langword="true"/>, a failing child does not cancel its siblings or the body: the group
    /// keeps running until everything has finished, then throws a <see cref="TaskGroupException"/>
    /// carrying every failure. Default <see langword="false"/>.
    /// </summary>
    public bool Supervisor { get; init; }

    /// <summary>A name shown in exception messages, statistics, the debugger and instrumentation events.</summary>
    public string? Name { get; init; }
}
