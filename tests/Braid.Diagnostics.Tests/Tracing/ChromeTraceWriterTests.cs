using System.Text;
using Braid.Diagnostics.Tracing;

namespace Braid.Diagnostics.Tests.Tracing;

public sealed class ChromeTraceWriterTests
{
    [Fact]
    public void Each_kind_of_event_is_written_in_the_trace_event_format()
    {
        using var stream = new MemoryStream();
        using (var writer = new ChromeTraceWriter(stream, processId: 7, processName: "demo", leaveOpen: true))
        {
            writer.WriteThreadName(1, "main");
            writer.BeginSlice(1, TimeSpan.FromMicroseconds(10), "step", "tasks", [new("task", "3")]);
            writer.StartFlow(1, 1, TimeSpan.FromMicroseconds(11), "continuation", "tasks");
            writer.EndSlice(1, TimeSpan.FromMicroseconds(12.5));
            writer.WriteSlice(2, TimeSpan.FromMicroseconds(20), TimeSpan.FromMicroseconds(5), "run");
            writer.EndFlow(1, 2, TimeSpan.FromMicroseconds(20), "continuation", "tasks");
            writer.BeginAsyncSlice("task:3", 1, TimeSpan.FromMilliseconds(1), "Outer", "tasks");
            writer.EndAsyncSlice("task:3", 2, TimeSpan.FromMilliseconds(2), "Outer", "tasks", [new("status", "done")]);
            writer.WriteCounter(TimeSpan.FromMilliseconds(3), "thread pool", [new("threads", 4), new("queued", 0.5)]);
            writer.WriteInstant(2, TimeSpan.FromMilliseconds(4), "blocked", "blocking");
            writer.WriteInstant(null, TimeSpan.FromMilliseconds(5), "gc");
        }

        Assert.Equal(
            """
            {"displayTimeUnit":"ms","traceEvents":[
            {"ph":"M","name":"process_name","pid":7,"args":{"name":"demo"}},
            {"ph":"M","name":"thread_name","pid":7,"tid":1,"args":{"name":"main"}},
            {"ph":"B","name":"step","cat":"tasks","ts":10,"pid":7,"tid":1,"args":{"task":"3"}},
            {"ph":"s","name":"continuation","cat":"tasks","ts":11,"pid":7,"tid":1,"id":1},
            {"ph":"E","ts":12.5,"pid":7,"tid":1},
            {"ph":"X","name":"run","ts":20,"pid":7,"tid":2,"dur":5},
            {"ph":"f","name":"continuation","cat":"tasks","ts":20,"pid":7,"tid":2,"id":1},
            {"ph":"b","name":"Outer","cat":"tasks","ts":1000,"pid":7,"tid":1,"id":"task:3"},
            {"ph":"e","name":"Outer","cat":"tasks","ts":2000,"pid":7,"tid":2,"id":"task:3","args":{"status":"done"}},
            {"ph":"C","name":"thread pool","ts":3000,"pid":7,"args":{"threads":4,"queued":0.5}},
            {"ph":"i","name":"blocked","cat":"blocking","ts":4000,"pid":7,"tid":2,"s":"t"},
            {"ph":"i","name":"gc","ts":5000,"pid":7,"s":"p"}]}
            """.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n{", "{", StringComparison.Ordinal),
            Encoding.UTF8.GetString(stream.ToArray()));
        TraceJson.AssertWellFormed(TraceJson.Read(stream.ToArray()));
    }

    [Theory]
    [InlineData("Async: <OuterAsync>d__3", "OuterAsync")]
    [InlineData("Async: <<<Main>$>g__Outer|0_1>d", "Outer")]
    [InlineData("Async: <<Main>$>d__0", "Main")]
    [InlineData("Task.Delay", "Task.Delay")]
    public void An_async_methods_state_machine_is_named_after_the_method(string operation, string expected) =>
        Assert.Equal(expected, TraceTranslator.OperationName(operation));
}
