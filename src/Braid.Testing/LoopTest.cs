using Braid.Loop;
using Braid.Time;

namespace Braid.Testing;

/// <summary>
/// Runs a test body on an <see cref="AsyncLoop"/> with a fresh <see cref="VirtualClock"/> in autojump
/// mode: the body's waits on the clock take no real time, and every run interleaves the same way.
/// </summary>
/// <example>
/// <code>
/// [Fact]
/// public void Three_fetches_take_as_long_as_the_slowest() => LoopTest.Run(async clock =>
/// {
///     await Task.WhenAll(FetchAsync(clock, 1), FetchAsync(clock, 3), FetchAsync(clock, 2));
///     Assert.Equal(TimeSpan.FromSeconds(3), clock.Elapsed);
/// });
/// </code>
/// </example>
public static class LoopTest
{
    /// <summary>Runs <paramref name="body"/> on a new loop with a new autojumping <see cref="VirtualClock"/>, and blocks until it completes.</summary>
    /// <param name="body">The test body; it receives the clock, which is also the loop's <see cref="AsyncLoop.TimeProvider"/>.</param>
    /// <param name="options">Loop options (debug mode, threshold, output); their <see cref="AsyncLoopOptions.TimeProvider"/> is replaced by the clock. <see langword="null"/> for the defaults.</param>
    /// <remarks>The body's exception is rethrown. Code that waits on the system clock or on real I/O still takes real time: give it the clock.</remarks>
    public static void Run(Func<VirtualClock, Task> body, AsyncLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var clock = new VirtualClock { AutoJump = true };
        AsyncLoop.Run(() => body(clock), WithClock(options, clock));
    }

    /// <summary>Runs <paramref name="body"/> on a new loop with a new autojumping <see cref="VirtualClock"/> and returns its result.</summary>
    /// <typeparam name="T">The body's result type.</typeparam>
    /// <param name="body">The test body; it receives the clock.</param>
    /// <param name="options">Loop options; their clock is replaced. <see langword="null"/> for the defaults.</param>
    /// <returns>The body's result.</returns>
    public static T Run<T>(Func<VirtualClock, Task<T>> body, AsyncLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var clock = new VirtualClock { AutoJump = true };
        return AsyncLoop.Run(() => body(clock), WithClock(options, clock));
    }

    /// <summary>
    /// Completes once every other task on the current loop is blocked (Trio's
    /// <c>wait_all_tasks_blocked</c>); see <see cref="AsyncLoop.WaitAllTasksBlockedAsync"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the loop is next idle; never synchronously.</returns>
    /// <exception cref="InvalidOperationException">Not called on a loop.</exception>
    public static Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default)
    {
        var loop = AsyncLoop.Current ?? throw new InvalidOperationException("WaitAllTasksBlockedAsync must be called on an AsyncLoop (inside LoopTest.Run or AsyncLoop.Run).");
        return loop.WaitAllTasksBlockedAsync(cancellationToken);
    }

    private static AsyncLoopOptions WithClock(AsyncLoopOptions? options, VirtualClock clock) => new()
    {
        Debug = options?.Debug,
        SlowStepThreshold = options?.SlowStepThreshold ?? TimeSpan.FromMilliseconds(100),
        DebugOutput = options?.DebugOutput,
        TimeProvider = clock,
    };
}
