using System.Text.Json;

namespace Braid.Lab.Reports;

/// <summary>A Chrome / Perfetto trace (trace event JSON): one process per model, one thread per lane, one complete event per task.</summary>
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

                foreach (var task in model.Tasks)
                {
                    w.WriteStartObject();
                    w.WriteString("name", task.Ok ? "task " + task.Index : "task " + task.Index + " (failed)");
                    w.WriteString("cat", results.Workload);
                    w.WriteString("ph", "X");
                    w.WriteNumber("ts", Math.Round(task.StartMs * 1000, 1));
                    w.WriteNumber("dur", Math.Round(Math.Max(0, task.EndMs - task.StartMs) * 1000, 1));
                    w.WriteNumber("pid", pid);
                    w.WriteNumber("tid", lanes.IndexOf(task.Lane) + 1);
                    w.WriteStartObject("args");
                    w.WriteNumber("index", task.Index);
                    w.WriteBoolean("ok", task.Ok);
                    if (task.Error is not null)
                    {
                        w.WriteString("error", task.Error);
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
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
