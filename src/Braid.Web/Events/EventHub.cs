using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Braid.Web.Events;

/// <summary>
/// The event stream's publisher: numbers events (ids 1, 2, 3, ...), keeps the last
/// <c>historySize</c> of them so a client's <c>Last-Event-ID</c> resumes exactly, and hands each one to
/// every connected client's bounded buffer; a client whose buffer is full is dropped, with the reason
/// logged (docs/design.md rules 132 and 133).
/// </summary>
internal sealed class EventHub
{
    private readonly object _lock = new();
    private readonly EventRecord[] _history;
    private readonly HashSet<EventSubscriber> _subscribers = [];
    private readonly ILogger _logger;
    private int _historyStart;
    private int _historyCount;
    private long _lastId;
    private long _nextSubscriberId;
    private long _dropped;
    private long _resumed;
    private long _resets;
    private List<(Func<int, bool> Condition, TaskCompletionSource Done)>? _waiters;

    public EventHub(int historySize, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(historySize, 1);
        _history = new EventRecord[historySize];
        _logger = logger;
    }

    /// <summary>The id of the last event published (0 before the first).</summary>
    public long LastId
    {
        get
        {
            lock (_lock)
            {
                return _lastId;
            }
        }
    }

    public int Subscribers
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    public long DroppedClients => Interlocked.Read(ref _dropped);

    public long Resumed => Interlocked.Read(ref _resumed);

    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Publishes one event to the history and to every client; drops (outside the lock) the clients whose buffers are full. Never waits.</summary>
    /// <returns>The event's id.</returns>
    public long Publish(string type, string data)
    {
        List<EventSubscriber>? full = null;
        long id;
        lock (_lock)
        {
            id = ++_lastId;
            var record = new EventRecord(id, type, data);
            if (_historyCount < _history.Length)
            {
                _history[(_historyStart + _historyCount++) % _history.Length] = record;
            }
            else
            {
                _history[_historyStart] = record;
                _historyStart = (_historyStart + 1) % _history.Length;
            }

            foreach (var subscriber in _subscribers)
            {
                if (!subscriber.TryEnqueue(record))
                {
                    (full ??= []).Add(subscriber);
                }
            }

            if (full is not null)
            {
                _subscribers.ExceptWith(full);
                WakeWaitersLocked();
            }
        }

        if (full is not null)
        {
            foreach (var subscriber in full)
            {
                var reason = $"its buffer of {subscriber.Capacity} events is full (it reads slower than events are published)";
                Interlocked.Increment(ref _dropped);
                _logger.LogWarning("event stream: dropped client {Client} at event {EventId}: {Reason}", subscriber.Id, id, reason);
                subscriber.Drop(reason);
            }
        }

        return id;
    }

    /// <summary>
    /// Registers a client. With a <paramref name="lastEventId"/> still in the history (or just before
    /// it), the events after it are its replay; with one older than the history, newer than the last
    /// event, or not an id, its first event is a reset. The replay and the registration are one step
    /// under the lock, so no event is missed or sent twice.
    /// </summary>
    public EventSubscriber Subscribe(string? lastEventId, int capacity)
    {
        lock (_lock)
        {
            var replay = Array.Empty<EventRecord>();
            EventRecord? reset = null;
            if (lastEventId is not null)
            {
                var oldest = _historyCount == 0 ? _lastId + 1 : _history[_historyStart].Id;
                if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var last))
                {
                    reset = Reset(lastEventId, "not an event id", oldest);
                }
                else if (last > _lastId)
                {
                    reset = Reset(lastEventId, "newer than the last event (the server restarted)", oldest);
                }
                else if (last < oldest - 1)
                {
                    reset = Reset(lastEventId, "older than the retained history", oldest);
                }
                else
                {
                    replay = new EventRecord[_lastId - last];
                    for (var i = 0; i < replay.Length; i++)
                    {
                        replay[i] = _history[(_historyStart + _historyCount - replay.Length + i) % _history.Length];
                    }

                    Interlocked.Increment(ref _resumed);
                }
            }

            var subscriber = new EventSubscriber(++_nextSubscriberId, capacity, replay, reset);
            _subscribers.Add(subscriber);
            WakeWaitersLocked();
            return subscriber;
        }
    }

    /// <summary>Forgets a client that disconnected (a dropped one is already gone).</summary>
    public void Unsubscribe(EventSubscriber subscriber)
    {
        lock (_lock)
        {
            if (_subscribers.Remove(subscriber))
            {
                WakeWaitersLocked();
            }
        }
    }

    /// <summary>Waits until the number of connected clients satisfies <paramref name="condition"/> (for tests and harnesses: no polling).</summary>
    public async Task WaitForSubscribersAsync(Func<int, bool> condition, CancellationToken cancellationToken)
    {
        Task done;
        lock (_lock)
        {
            if (condition(_subscribers.Count))
            {
                return;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (_waiters ??= []).Add((condition, waiter));
            done = waiter.Task;
        }

        await done.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void WakeWaitersLocked()
    {
        if (_waiters is null)
        {
            return;
        }

        var count = _subscribers.Count;
        _waiters.RemoveAll(w =>
        {
            if (!w.Condition(count))
            {
                return false;
            }

            w.Done.TrySetResult();
            return true;
        });
    }

    // The reset event carries the last id, so a client that reconnects after it resumes from here.
    private EventRecord Reset(string lastEventId, string reason, long oldest)
    {
        Interlocked.Increment(ref _resets);
        var data = $$"""{"reason":"Last-Event-ID {{Escape(lastEventId)}} is {{reason}}","oldestRetained":{{oldest}},"lastEventId":{{_lastId}}}""";
        return new EventRecord(_lastId, "reset", data);
    }

    private static string Escape(string text) => System.Text.Json.JsonEncodedText.Encode(text.Length > 40 ? text[..40] : text).ToString();
}
