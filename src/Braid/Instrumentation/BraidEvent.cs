namespace Braid.Instrumentation;

/// <summary>
/// One instrumentation event raised by Braid's core: a small, dependency-free record that
/// diagnostics adapt to <c>ActivitySource</c>, <c>Meter</c> or trace files.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="SourceId">The stable <c>Id</c> of the group, scope, loop or primitive that raised it.</param>
/// <param name="Name">An optional name (a child's name, a method that ran), or <see langword="null"/>.</param>
/// <param name="Duration">A duration where the event has one (a step's length), else <see cref="TimeSpan.Zero"/>.</param>
/// <param name="Message">A human-readable description, or <see langword="null"/>.</param>
/// <param name="Exception">The exception the event is about, or <see langword="null"/>.</param>
public readonly record struct BraidEvent(
    BraidEventKind Kind,
    long SourceId,
    string? Name = null,
    TimeSpan Duration = default,
    string? Message = null,
    Exception? Exception = null);
