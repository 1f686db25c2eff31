namespace Braid.Loop;

/// <summary>
/// The state of a loop step that runs someone else's continuation (a waiter woken by a release, design rule 36):
/// debug mode looks through it to name and track the code that resumes, not the step's own plumbing.
/// </summary>
internal interface ILoopStepOwner
{
    /// <summary>The continuation's target: the awaiting async method's box (a <see cref="Task"/>), a delegate, or null.</summary>
    object? ContinuationTarget { get; }
}
