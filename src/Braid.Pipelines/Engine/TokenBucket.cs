namespace Braid.Pipelines.Engine;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: each call reserves one token and answers how long
/// to wait for it, in whole milliseconds rounded up, so that no wait ends before its token is due.
/// Reservations are served in call order (first come, first served).
/// </summary>
internal sealed class TokenBucket
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _ticksPerToken;
    private double _tokens;
    private long _last;

    public TokenBucket(RateLimit limit, TimeProvider time)
    {
        _time = time;
        _capacity = limit.Permits;
        _ticksPerToken = limit.Period.TotalSeconds * time.TimestampFrequency / limit.Permits;
        _tokens = _capacity;
        _last = time.GetTimestamp();
    }

    public TimeSpan Reserve()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + ((now - _last) / _ticksPerToken));
            _last = now;
            _tokens -= 1;
            if (_tokens >= 0)
            {
                return TimeSpan.Zero;
            }

            // Task.Delay counts whole milliseconds and drops the rest, which would start an item up
            // to a millisecond before its token is due: the wait is rounded up instead.
            return TimeSpan.FromMilliseconds(Math.Ceiling(-_tokens * _ticksPerToken * 1000 / _time.TimestampFrequency));
        }
    }

    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        var wait = Reserve();
        return wait <= TimeSpan.Zero ? default : new ValueTask(Task.Delay(wait, _time, cancellationToken));
    }
}
