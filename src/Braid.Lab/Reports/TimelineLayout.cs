namespace Braid.Lab.Reports;

/// <summary>
/// Lays a model's tasks out as lanes and rows for a timeline: one lane per thread or worker process;
/// tasks that overlap in a lane (async tasks share threads) are packed into extra rows of that lane.
/// </summary>
internal static class TimelineLayout
{
    public sealed record Lane(string Name, IReadOnlyList<IReadOnlyList<TaskRecord>> Rows);

    public static IReadOnlyList<Lane> Build(ModelResult model)
    {
        var lanes = new List<Lane>();
        foreach (var group in model.Tasks.GroupBy(t => t.Lane).OrderBy(g => g.Min(t => t.StartMs)))
        {
            var rows = new List<List<TaskRecord>>();
            var rowEnds = new List<double>();
            foreach (var task in group.OrderBy(t => t.StartMs))
            {
                var row = rowEnds.FindIndex(end => end <= task.StartMs);
                if (row < 0)
                {
                    rows.Add([]);
                    rowEnds.Add(0);
                    row = rows.Count - 1;
                }

                rows[row].Add(task);
                rowEnds[row] = task.EndMs;
            }

            lanes.Add(new Lane(group.Key, rows));
        }

        return lanes;
    }

    /// <summary>
    /// The terminal timeline: for each model, <paramref name="width"/> buckets on a shared axis of
    /// <paramref name="axisMs"/>, each holding the average number of tasks running during that bucket
    /// (task time inside the bucket divided by the bucket's length). A task shorter than a bucket still
    /// counts a little, so that no task disappears from the picture.
    /// </summary>
    public static double[] Buckets(ModelResult model, double axisMs, int width)
    {
        var buckets = new double[width];
        if (axisMs <= 0)
        {
            return buckets;
        }

        var bucketMs = axisMs / width;
        foreach (var task in model.Tasks)
        {
            var first = Math.Clamp((int)(task.StartMs / bucketMs), 0, width - 1);
            var last = Math.Clamp((int)(task.EndMs / bucketMs), 0, width - 1);
            for (var b = first; b <= last; b++)
            {
                var overlap = Math.Min(task.EndMs, (b + 1) * bucketMs) - Math.Max(task.StartMs, b * bucketMs);
                buckets[b] += Math.Max(overlap, bucketMs / 1000) / bucketMs;
            }
        }

        return buckets;
    }
}
