using System.Text.Json;

namespace Braid.Lab.Reports;

/// <summary>
/// A Chrome / Perfetto trace (trace event JSON): one process per model, one thread per lane. A lane
/// whose tasks run one after another (sequential, a thread, a pool thread, a worker) gets one complete
/// event per task on its thread track. A lane whose tasks overlap (async, async-bounded, the loop: many
/// tasks in flight on one thread) gets async slices (<c>b</c>/<c>e</c>, one id per task) instead,
/// because a thread track shows only properly nested slices and Perfetto drops or misdraws the rest.
/// </summary>
internal static class TraceReport
{
    public static string Render(LabResults results)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ms");
            w.WriteStartArray("traceEvents");
            var pid = 0;
            foreach (var model in results.Models)
            {
                pid++;
                Metadata(w, "process_name", pid, 0, "braid lab: " + model.Model);
                var lanes = model.Tasks.Select(t => t.Lane).Distinct().ToList();
                foreach (var lane in lanes)
                {
                    Metadata(w, "thread_name", pid, lanes.IndexOf(lane) + 1, lane);
                }

                foreach (var lane in lanes)
                {
                    var tid = lanes.IndexOf(lane) + 1;
                    var tasks = model.Tasks.Where(t => t.Lane == lane).OrderBy(t => t.StartMs).ThenBy(t => t.Index).ToList();
                    var overlapping = tasks.Zip(tasks.Skip(1)).Any(pair => Micros(pair.Second.StartMs) < Micros(pair.First.EndMs));
                    foreach (var task in tasks)
                    {
                        if (overlapping)
                        {
                            Event(w, results.Workload, task, "b", pid, tid, Micros(task.StartMs), dur: null);
                            Event(w, results.Workload, task, "e", pid, tid, Micros(Math.Max(task.StartMs, task.EndMs)), dur: null);
                        }
                        else
                        {
                            var start = Micros(task.StartMs);
                            Event(w, results.Workload, task, "X", pid, tid, start, Math.Max(0, Micros(task.EndMs) - start));
                        }
                    }
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Microseconds, rounded once, so that a task ending where the next starts does not overlap it.</summary>
    private static double Micros(double ms) => Math.Round(ms * 1000, 1);

    private static void Event(Utf8JsonWriter w, string category, TaskRecord task, string phase, int pid, int tid, double ts, double? dur)
    {
        w.WriteStartObject();
        w.WriteString("name", task.Ok ? "task " + task.Index : "task " + task.Index + " (failed)");
        w.WriteString("cat", category);
        w.WriteString("ph", phase);
        w.WriteNumber("ts", ts);
        if (dur is { } d)
        {
            w.WriteNumber("dur", Math.Round(d, 1));
        }
        else
        {
            // Nestable async events pair by (cat, id) within a process; one id per task.
            w.WriteString("id", "0x" + task.Index.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }

        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        if (phase != "e")
        {
            w.WriteStartObject("args");
            w.WriteNumber("index", task.Index);
            w.WriteBoolean("ok", task.Ok);
            if (task.Error is not null)
            {
                w.WriteString("error", task.Error);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Metadata(Utf8JsonWriter w, string kind, int pid, int tid, string name)
    {
        w.WriteStartObject();
        w.WriteString("name", kind);
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
