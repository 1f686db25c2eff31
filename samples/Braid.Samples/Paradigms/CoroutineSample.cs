using System.Runtime.CompilerServices;

namespace Braid.Samples.Paradigms;

/// <summary>
/// Coroutines that receive values one at a time. C# iterators cannot be sent values the way Python's
/// generators can (<c>coro.send(x)</c>), so the appointment book reads each request from a one-slot
/// inbox that the caller fills before resuming it; the temperature monitor is an
/// <see cref="IAsyncEnumerable{T}"/> that consumes readings as they arrive and yields an alert for
/// each one out of range, keeping its running average in local variables between readings.
/// </summary>
public sealed class CoroutineSample : ISample
{
    /// <inheritdoc />
    public string Name => "coroutine";

    /// <inheritdoc />
    public string Description => "An appointment book and a temperature monitor as coroutines that receive values one at a time.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync("appointment book (an iterator that is sent one request at a time):");
        var book = new Coroutine<(string Who, int Hour), string>(AppointmentBook);
        foreach (var request in new[] { ("Ada", 9), ("Grace", 10), ("Alan", 9), ("Edsger", 11), ("Barbara", 10) })
        {
            await output.WriteLineAsync($"  {request.Item1,-8} asks for {request.Item2}:00 -> {book.Send(request)}");
        }

        await output.WriteLineAsync("temperature monitor (an async stream that consumes readings as they come):");
        await foreach (var alert in Monitor(Readings(cancellationToken), low: 18.0, high: 24.0, cancellationToken))
        {
            await output.WriteLineAsync($"  {alert}");
        }

        return 0;
    }

    // The coroutine body: its state (the booked hours) lives in local variables between requests.
    private static IEnumerable<string> AppointmentBook(Func<(string Who, int Hour)> receive)
    {
        var booked = new Dictionary<int, string>();
        while (true)
        {
            var (who, hour) = receive();
            if (booked.TryGetValue(hour, out var holder))
            {
                yield return $"refused, {holder} has it";
            }
            else
            {
                booked[hour] = who;
                yield return $"booked ({booked.Count} so far)";
            }
        }
    }

    private static async IAsyncEnumerable<string> Monitor(
        IAsyncEnumerable<double> readings, double low, double high, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var count = 0;
        var sum = 0.0;
        await foreach (var celsius in readings.WithCancellation(cancellationToken))
        {
            count++;
            sum += celsius;
            if (celsius < low || celsius > high)
            {
                yield return $"reading {count}: {celsius:F1} °C is out of range (average so far {sum / count:F2} °C)";
            }
        }

        yield return $"{count} readings, average {sum / count:F2} °C";
    }

    private static async IAsyncEnumerable<double> Readings([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        double[] sensor = [21.0, 21.5, 25.2, 22.0, 17.4, 20.9, 24.8];
        foreach (var value in sensor)
        {
            await Task.Yield(); // a reading arrives later, asynchronously
            cancellationToken.ThrowIfCancellationRequested();
            yield return value;
        }
    }

    /// <summary>Python's generator <c>send</c> on a C# iterator: each <see cref="Send"/> resumes the body with one value.</summary>
    private sealed class Coroutine<TIn, TOut>
    {
        private readonly IEnumerator<TOut> _body;
        private TIn? _inbox;

        public Coroutine(Func<Func<TIn>, IEnumerable<TOut>> body) => _body = body(() => _inbox!).GetEnumerator();

        public TOut Send(TIn value)
        {
            _inbox = value;
            return _body.MoveNext() ? _body.Current : throw new InvalidOperationException("The coroutine has finished.");
        }
    }
}
