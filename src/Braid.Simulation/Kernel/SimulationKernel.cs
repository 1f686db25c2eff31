using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Braid.Loop;
using Braid.Time;

namespace Braid.Simulation.Kernel;

/// <summary>
/// An async discrete-event simulation kernel on an <see cref="AsyncLoop"/> and a <see cref="VirtualClock"/>:
/// events run in time order (ties in scheduling order), each is broadcast to the processes subscribed
/// to its kind, and their handlers are awaited together under a virtual timeout. A start event opens the
/// run and an end event closes it.
/// </summary>
/// <remarks>
/// <para>Everything runs on the loop's one thread, so handlers share state without locks. A handler
/// that finishes synchronously costs no task; a process may handle a whole batch of agents in one
/// handler (design rule 160).</para>
/// <para>Deterministic: with the same seed, the same subscriptions and the same events, a run does the
/// same thing bit for bit (design rule 161). Scheduling an event in the past throws at once (design rule 162).</para>
/// </remarks>
[DebuggerDisplay("SimulationKernel at {Now}, {PendingEvents} pending")]
public sealed class SimulationKernel
{
    /// <summary>The kind of the event broadcast first, at time zero.</summary>
    public const string StartKind = "start";

    /// <summary>The kind of the event broadcast last, when no event is left (or at <see cref="SimulationKernelOptions.Until"/>).</summary>
    public const string EndKind = "end";

    private readonly PriorityQueue<SimulationEvent, (long Ticks, long Sequence)> _queue = new();
    private readonly Dictionary<string, SimulationHandler[]> _subscribers = new(StringComparer.Ordinal);
    private readonly SimulationKernelOptions _options;
    private VirtualClock? _clock;
    private TimeSpan _origin;
    private long _nextSequence;
    private long _eventsRun;
    private bool _running;

    /// <summary>Creates a kernel; subscribe processes and schedule events, then run it.</summary>
    /// <param name="options">Seed, handler timeout, end time (defaults when null).</param>
    public SimulationKernel(SimulationKernelOptions? options = null)
    {
        _options = options ?? new SimulationKernelOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.HandlerTimeout, TimeSpan.Zero, "options.HandlerTimeout");
        Random = new SeededRandom(SeededRandom.Hash(_options.Seed, ulong.MaxValue, ulong.MaxValue));
    }

    /// <summary>The run's seed.</summary>
    public ulong Seed => _options.Seed;

    /// <summary>The current virtual time since the run started (zero before it runs).</summary>
    public TimeSpan Now => _clock is null ? TimeSpan.Zero : _clock.Elapsed - _origin;

    /// <summary>Events scheduled and not yet run.</summary>
    public int PendingEvents => _queue.Count;

    /// <summary>Events run so far, the start and end events included.</summary>
    public long EventsRun => _eventsRun;

    /// <summary>The kernel's own seeded stream, for processes that draw in event order. Use <see cref="StreamFor"/> for draws that must not depend on order.</summary>
    public SeededRandom Random;

    /// <summary>A stream derived from the seed and (<paramref name="a"/>, <paramref name="b"/>), the same whatever was drawn before (design rule 161).</summary>
    /// <param name="a">The first coordinate (a quarter, say).</param>
    /// <param name="b">The second coordinate (an agent, say).</param>
    /// <returns>A new stream.</returns>
    public SeededRandom StreamFor(ulong a, ulong b) => SeededRandom.For(_options.Seed, a, b);

    /// <summary>Subscribes a process's handler to events of <paramref name="kind"/>; handlers of a kind are called in subscription order.</summary>
    /// <param name="kind">The event kind (<see cref="StartKind"/>, <see cref="EndKind"/> or any scheduled kind).</param>
    /// <param name="handler">The handler.</param>
    public void Subscribe(string kind, SimulationHandler handler)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(handler);
        _subscribers[kind] = _subscribers.TryGetValue(kind, out var handlers) ? [.. handlers, handler] : [handler];
    }

    /// <summary>Schedules an event at <paramref name="time"/> (virtual time since the start). Never waits.</summary>
    /// <param name="time">When; not before <see cref="Now"/>.</param>
    /// <param name="kind">The event kind.</param>
    /// <param name="payload">The event's data.</param>
    /// <returns>The event as scheduled.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is before <see cref="Now"/>: an event in the past.</exception>
    public SimulationEvent ScheduleAt(TimeSpan time, string kind, object? payload = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var now = Now;
        if (time < now)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, $"event '{kind}' scheduled at {time} is in the past: the simulation is at {now}");
        }

        var e = new SimulationEvent(time, kind, payload, _nextSequence++);
        _queue.Enqueue(e, (time.Ticks, e.Sequence));
        return e;
    }

    /// <summary>Schedules an event <paramref name="delay"/> after <see cref="Now"/>. Never waits.</summary>
    /// <param name="delay">How long from now; not negative.</param>
    /// <param name="kind">The event kind.</param>
    /// <param name="payload">The event's data.</param>
    /// <returns>The event as scheduled.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public SimulationEvent ScheduleAfter(TimeSpan delay, string kind, object? payload = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return ScheduleAt(Now + delay, kind, payload);
    }

    /// <summary>
    /// Runs a new loop on this thread with a new autojumping virtual clock and runs the kernel on it;
    /// returns when the end event's handlers have finished.
    /// </summary>
    /// <param name="cancellationToken">Stops the run between events (and is passed to the handlers).</param>
    public void Run(CancellationToken cancellationToken = default) =>
        AsyncLoop.Run(() => RunAsync(cancellationToken), new AsyncLoopOptions { TimeProvider = new VirtualClock { AutoJump = true } });

    /// <summary>
    /// Runs the simulation on the current loop, whose time provider must be a <see cref="VirtualClock"/>:
    /// the start event, every event in order (the clock waits until each one's time), then the end event.
    /// </summary>
    /// <param name="cancellationToken">Stops the run between events, and is passed to the handlers.</param>
    /// <returns>A task that completes after the end event, or fails with the first event's handler failures (all of them, in an <see cref="AggregateException"/> when several failed) or a <see cref="SimulationTimeoutException"/>.</returns>
    /// <exception cref="InvalidOperationException">Not on a loop with a virtual clock, or the kernel already ran.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (AsyncLoop.Current is not { TimeProvider: VirtualClock clock })
        {
            throw new InvalidOperationException("a simulation runs on an AsyncLoop whose TimeProvider is a VirtualClock (SimulationKernel.Run makes both)");
        }

        if (_running || _clock is not null)
        {
            throw new InvalidOperationException("a simulation kernel runs once");
        }

        _running = true;
        _clock = clock;
        _origin = clock.Elapsed;
        using var handlers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await DispatchAsync(new SimulationEvent(TimeSpan.Zero, StartKind, null, -1), handlers);
            while (_queue.TryPeek(out var next, out _))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_options.Until is { } until && next.Time > until)
                {
                    break;
                }

                _queue.Dequeue();
                var wait = next.Time - Now;
                if (wait > TimeSpan.Zero)
                {
                    await clock.DelayAsync(wait, cancellationToken);
                }

                await DispatchAsync(next, handlers);
            }

            var end = _options.Until is { } last && last > Now ? last : Now;
            if (end > Now)
            {
                await clock.DelayAsync(end - Now, cancellationToken);
            }

            await DispatchAsync(new SimulationEvent(end, EndKind, null, _nextSequence++), handlers);
        }
        finally
        {
            _running = false;
        }
    }

    // Calls the handlers in subscription order; those that finished synchronously cost nothing more. The
    // rest are awaited together under the virtual timeout; on timeout the handlers' token is cancelled and
    // they are awaited again (nothing outlives the event), then the run fails.
    private async ValueTask DispatchAsync(SimulationEvent e, CancellationTokenSource handlers)
    {
        _eventsRun++;
        if (!_subscribers.TryGetValue(e.Kind, out var subscribed))
        {
            return;
        }

        List<Task>? pending = null;
        List<Exception>? errors = null;
        foreach (var handler in subscribed)
        {
            try
            {
                var task = handler(e, handlers.Token);
                if (task.IsCompletedSuccessfully)
                {
                    task.GetAwaiter().GetResult(); // releases a pooled source, if any
                }
                else
                {
                    (pending ??= []).Add(task.AsTask());
                }
            }
            catch (Exception x)
            {
                (errors ??= []).Add(x);
            }
        }

        if (pending is not null)
        {
            var all = Task.WhenAll(pending);
            try
            {
                await all.WaitAsync(_options.HandlerTimeout, _clock!);
            }
            catch (TimeoutException timeout)
            {
#pragma warning disable VSTHRD103 // Cancel, not CancelAsync: its callbacks would run off the loop (docs/virtual-time.md)
                handlers.Cancel();
#pragma warning restore VSTHRD103
                await ((Task)all).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw new SimulationTimeoutException($"the handlers of event '{e.Kind}' at {e.Time} did not finish within {_options.HandlerTimeout} of virtual time", timeout);
            }
            catch (Exception) when (all.IsFaulted || all.IsCanceled)
            {
                if (all.Exception is { } failed)
                {
                    (errors ??= []).AddRange(failed.InnerExceptions);
                }
                else
                {
                    throw;
                }
            }
        }

        if (errors is { Count: 1 })
        {
            ExceptionDispatchInfo.Throw(errors[0]);
        }
        else if (errors is not null)
        {
            throw new AggregateException($"{errors.Count} handlers of event '{e.Kind}' at {e.Time} failed", errors);
        }
    }
}
