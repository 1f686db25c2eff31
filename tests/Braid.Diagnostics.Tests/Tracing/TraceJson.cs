using System.Text.Json;

namespace Braid.Diagnostics.Tests.Tracing;

/// <summary>One event of a Chrome trace, as read back from the JSON.</summary>
internal sealed record TraceJsonEvent(string Ph, string? Name, string? Cat, double Ts, long? Tid, string? Id, JsonElement Json)
{
    public string Arg(string name) => Json.GetProperty("args").GetProperty(name).ToString();
}

/// <summary>Reads a trace back and checks what every Chrome trace must satisfy.</summary>
internal static class TraceJson
{
    public static List<TraceJsonEvent> Read(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal("ms", document.RootElement.GetProperty("displayTimeUnit").GetString());
        return [.. document.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e => new TraceJsonEvent(
            e.GetProperty("ph").GetString()!,
            e.TryGetProperty("name", out var name) ? name.GetString() : null,
            e.TryGetProperty("cat", out var cat) ? cat.GetString() : null,
            e.TryGetProperty("ts", out var ts) ? ts.GetDouble() : double.NaN,
            e.TryGetProperty("tid", out var tid) ? tid.GetInt64() : null,
            e.TryGetProperty("id", out var id) ? id.ToString() : null,
            e.Clone()))];
    }

    /// <summary>
    /// Time never goes back; on every thread the slices nest (an end closes an open slice); on every
    /// async track the slices nest and an end names the slice it closes; every flow has one start and one end, in that order.
    /// </summary>
    public static void AssertWellFormed(List<TraceJsonEvent> events)
    {
        var timed = events.Where(e => e.Ph != "M").ToList();
        for (var i = 1; i < timed.Count; i++)
        {
            Assert.True(timed[i].Ts >= timed[i - 1].Ts, $"event {i} goes back in time");
        }

        var threads = new Dictionary<long, int>();
        var tracks = new Dictionary<string, Stack<string>>();
        var flows = new Dictionary<string, string>();
        foreach (var e in timed)
        {
            switch (e.Ph)
            {
                case "B":
                    threads[e.Tid!.Value] = threads.GetValueOrDefault(e.Tid.Value) + 1;
                    break;
                case "E":
                    Assert.True(threads.GetValueOrDefault(e.Tid!.Value) > 0, $"an end with no open slice on thread {e.Tid}");
                    threads[e.Tid.Value]--;
                    break;
                case "b":
                    if (!tracks.TryGetValue($"{e.Cat}/{e.Id}", out var stack))
                    {
                        tracks[$"{e.Cat}/{e.Id}"] = stack = new();
                    }

                    stack.Push(e.Name!);
                    break;
                case "e":
                    Assert.True(tracks.TryGetValue($"{e.Cat}/{e.Id}", out var open) && open.Count > 0, $"an async end with nothing open on {e.Id}");
                    Assert.Equal(open!.Pop(), e.Name);
                    break;
                case "s":
                    Assert.True(flows.TryAdd(e.Id!, "s"), $"flow {e.Id} starts twice");
                    break;
                case "f":
                    Assert.True(flows.TryGetValue(e.Id!, out var state) && state == "s", $"flow {e.Id} ends before it starts");
                    flows[e.Id!] = "f";
                    break;
            }
        }

        Assert.All(threads.Values, open => Assert.Equal(0, open));
        Assert.All(tracks.Values, open => Assert.Empty(open));
        Assert.All(flows.Values, state => Assert.Equal("f", state));
    }
}
