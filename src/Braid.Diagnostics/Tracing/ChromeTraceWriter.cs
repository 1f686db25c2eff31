using System.Text.Json;

namespace Braid.Diagnostics.Tracing;

/// <summary>
/// Writes a trace in the Chrome trace-event JSON format, which Perfetto (<c>ui.perfetto.dev</c>) and
/// <c>chrome://tracing</c> open: thread tracks with nested slices, async slices that may hop threads,
/// flow arrows between slices, counter tracks and instant markers. It takes plain events, so anything
/// that knows threads and times can feed it: <see cref="TraceRecorder"/> in process, or a reader of an
/// EventPipe trace out of process.
/// </summary>
/// <remarks>
/// <para>
/// Timestamps are offsets from the trace's start, written in microseconds. Events may be written in any
/// order of time, except that on one thread a slice's begin comes before its end and the slices of one
/// thread (and the async slices of one id) nest: an end closes the innermost open slice.
/// </para>
/// <para>
/// The events stream to the underlying stream as they are written (nothing is buffered beyond the
/// JSON writer's buffer); <see cref="Dispose"/> closes the JSON document. Not thread-safe: one writer
/// per thread at a time. Every method completes synchronously.
/// </para>
/// </remarks>
public sealed class ChromeTraceWriter : IDisposable
{
    private readonly Utf8JsonWriter _json;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly int _processId;
    private bool _disposed;

    /// <summary>Starts a trace document on <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the JSON goes.</param>
    /// <param name="processId">The process every track belongs to (the <c>pid</c> of each event).</param>
    /// <param name="processName">A name for the process's track group, or <see langword="null"/>.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    public ChromeTraceWriter(Stream stream, int processId, string? processName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _processId = processId;
        _json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, SkipValidation = true });
        _json.WriteStartObject();
        _json.WriteString("displayTimeUnit", "ms");
        _json.WriteStartArray("traceEvents");
        if (processName is not null)
        {
            Metadata("process_name", null, processName);
        }
    }

    /// <summary>Names a thread's track (a <c>thread_name</c> metadata event).</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="name">Its name.</param>
    public void WriteThreadName(long threadId, string name) => Metadata("thread_name", threadId, name);

    /// <summary>Opens a slice on a thread's track (<c>ph: "B"</c>); <see cref="EndSlice"/> closes the innermost open one.</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The slice's name.</param>
    /// <param name="category">Its category (a filter in the viewers), or <see langword="null"/>.</param>
    /// <param name="args">Arguments shown with the slice, or <see langword="null"/>.</param>
    public void BeginSlice(long threadId, TimeSpan timestamp, string name, string? category = null, IEnumerable<KeyValuePair<string, string>>? args = null)
    {
        Start("B", timestamp, name, category, threadId);
        Args(args);
        _json.WriteEndObject();
    }

    /// <summary>Closes the innermost open slice of a thread's track (<c>ph: "E"</c>).</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    public void EndSlice(long threadId, TimeSpan timestamp)
    {
        Start("E", timestamp, null, null, threadId);
        _json.WriteEndObject();
    }

    /// <summary>Writes a complete slice on a thread's track (<c>ph: "X"</c>).</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="timestamp">When it began, since the trace's start.</param>
    /// <param name="duration">How long it lasted.</param>
    /// <param name="name">The slice's name.</param>
    /// <param name="category">Its category, or <see langword="null"/>.</param>
    /// <param name="args">Arguments, or <see langword="null"/>.</param>
    public void WriteSlice(long threadId, TimeSpan timestamp, TimeSpan duration, string name, string? category = null, IEnumerable<KeyValuePair<string, string>>? args = null)
    {
        Start("X", timestamp, name, category, threadId);
        _json.WriteNumber("dur", Microseconds(duration));
        Args(args);
        _json.WriteEndObject();
    }

    /// <summary>
    /// Opens an async slice (<c>ph: "b"</c>, nestable): a span of work that is not tied to one thread.
    /// Slices with the same <paramref name="category"/> and <paramref name="id"/> share a track and nest.
    /// </summary>
    /// <param name="id">The async track's id.</param>
    /// <param name="threadId">The thread it began on (shown with the slice).</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The slice's name.</param>
    /// <param name="category">Its category; part of the track's identity.</param>
    /// <param name="args">Arguments, or <see langword="null"/>.</param>
    public void BeginAsyncSlice(string id, long threadId, TimeSpan timestamp, string name, string category, IEnumerable<KeyValuePair<string, string>>? args = null)
    {
        Start("b", timestamp, name, category, threadId);
        _json.WriteString("id", id);
        Args(args);
        _json.WriteEndObject();
    }

    /// <summary>Closes the innermost open async slice of the track (<c>ph: "e"</c>).</summary>
    /// <param name="id">The async track's id.</param>
    /// <param name="threadId">The thread it ended on.</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The slice's name (the viewers match it to the begin).</param>
    /// <param name="category">Its category, as at the begin.</param>
    /// <param name="args">Arguments added at the end, or <see langword="null"/>.</param>
    public void EndAsyncSlice(string id, long threadId, TimeSpan timestamp, string name, string category, IEnumerable<KeyValuePair<string, string>>? args = null)
    {
        Start("e", timestamp, name, category, threadId);
        _json.WriteString("id", id);
        Args(args);
        _json.WriteEndObject();
    }

    /// <summary>
    /// Starts a flow arrow (<c>ph: "s"</c>) from the slice open on <paramref name="threadId"/> at
    /// <paramref name="timestamp"/>; <see cref="EndFlow"/> with the same id ends it.
    /// </summary>
    /// <param name="id">The arrow's id, unique in the trace.</param>
    /// <param name="threadId">The thread it starts on.</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The arrow's name.</param>
    /// <param name="category">Its category.</param>
    public void StartFlow(long id, long threadId, TimeSpan timestamp, string name, string category)
    {
        Start("s", timestamp, name, category, threadId);
        _json.WriteNumber("id", id);
        _json.WriteEndObject();
    }

    /// <summary>
    /// Ends a flow arrow (<c>ph: "f"</c>) at the next slice that begins on <paramref name="threadId"/> at
    /// or after <paramref name="timestamp"/>, or, with <paramref name="enclosing"/>, at the slice open then.
    /// </summary>
    /// <param name="id">The arrow's id, as at its start.</param>
    /// <param name="threadId">The thread it ends on.</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The arrow's name, as at its start.</param>
    /// <param name="category">Its category, as at its start.</param>
    /// <param name="enclosing">Bind to the enclosing slice (<c>bp: "e"</c>) rather than the next one.</param>
    public void EndFlow(long id, long threadId, TimeSpan timestamp, string name, string category, bool enclosing = false)
    {
        Start("f", timestamp, name, category, threadId);
        _json.WriteNumber("id", id);
        if (enclosing)
        {
            _json.WriteString("bp", "e");
        }

        _json.WriteEndObject();
    }

    /// <summary>Writes the values of a counter track (<c>ph: "C"</c>); each series is drawn stacked on the track.</summary>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The counter track's name.</param>
    /// <param name="values">One value per series.</param>
    public void WriteCounter(TimeSpan timestamp, string name, IEnumerable<KeyValuePair<string, double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Start("C", timestamp, name, null, null);
        _json.WritePropertyName("args");
        _json.WriteStartObject();
        foreach (var (series, value) in values)
        {
            _json.WriteNumber(series, value);
        }

        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    /// <summary>Writes an instant marker (<c>ph: "i"</c>) on a thread's track, or on the process's when <paramref name="threadId"/> is null.</summary>
    /// <param name="threadId">The thread, or <see langword="null"/> for a process-wide marker.</param>
    /// <param name="timestamp">When, since the trace's start.</param>
    /// <param name="name">The marker's name.</param>
    /// <param name="category">Its category, or <see langword="null"/>.</param>
    /// <param name="args">Arguments, or <see langword="null"/>.</param>
    public void WriteInstant(long? threadId, TimeSpan timestamp, string name, string? category = null, IEnumerable<KeyValuePair<string, string>>? args = null)
    {
        Start("i", timestamp, name, category, threadId);
        _json.WriteString("s", threadId is null ? "p" : "t");
        Args(args);
        _json.WriteEndObject();
    }

    /// <summary>Writes what is buffered to the stream. Completes synchronously.</summary>
    public void Flush() => _json.Flush();

    /// <summary>Closes the JSON document, flushes it and closes the stream unless it was left open.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _json.WriteEndArray();
        _json.WriteEndObject();
        _json.Flush();
        _json.Dispose();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private static double Microseconds(TimeSpan time) => Math.Round(time.Ticks / (double)TimeSpan.TicksPerMicrosecond, 1);

    private void Metadata(string kind, long? threadId, string name)
    {
        _json.WriteStartObject();
        _json.WriteString("ph", "M");
        _json.WriteString("name", kind);
        _json.WriteNumber("pid", _processId);
        if (threadId is { } tid)
        {
            _json.WriteNumber("tid", tid);
        }

        _json.WritePropertyName("args");
        _json.WriteStartObject();
        _json.WriteString("name", name);
        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    private void Start(string phase, TimeSpan timestamp, string? name, string? category, long? threadId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _json.WriteStartObject();
        _json.WriteString("ph", phase);
        if (name is not null)
        {
            _json.WriteString("name", name);
        }

        if (category is not null)
        {
            _json.WriteString("cat", category);
        }

        _json.WriteNumber("ts", Microseconds(timestamp));
        _json.WriteNumber("pid", _processId);
        if (threadId is { } tid)
        {
            _json.WriteNumber("tid", tid);
        }
    }

    private void Args(IEnumerable<KeyValuePair<string, string>>? args)
    {
        if (args is null)
        {
            return;
        }

        _json.WritePropertyName("args");
        _json.WriteStartObject();
        foreach (var (key, value) in args)
        {
            _json.WriteString(key, value);
        }

        _json.WriteEndObject();
    }
}
