using Braid.Lab.Reports;

namespace Braid.Lab.Tests.Reports;

public sealed class TimelineLayoutTests
{
    private static TaskRecord Task(int index, string lane, double start, double end) =>
        new() { Index = index, Lane = lane, StartMs = start, EndMs = end, Ok = true };

    [Fact]
    public void Overlapping_tasks_of_one_lane_are_stacked_and_sequential_ones_share_a_row()
    {
        var model = new ModelResult
        {
            Model = "async",
            Status = "completed",
            WallMs = 30,
            Tasks = [Task(0, "t1", 0, 10), Task(1, "t1", 5, 15), Task(2, "t1", 10, 20), Task(3, "t2", 0, 30)],
        };
        var lanes = TimelineLayout.Build(model);
        Assert.Equal(["t1", "t2"], lanes.Select(l => l.Name));
        Assert.Equal([[0, 2], [1]], lanes[0].Rows.Select(r => r.Select(t => t.Index).ToArray()));
        Assert.Single(lanes[1].Rows);
    }

    [Fact]
    public void Buckets_hold_the_average_number_of_tasks_running()
    {
        var model = new ModelResult
        {
            Model = "async",
            Status = "completed",
            Tasks = [Task(0, "t1", 0, 10), Task(1, "t1", 0, 10), Task(2, "t1", 10, 15)],
        };
        var buckets = TimelineLayout.Buckets(model, 20, 4); // 5 ms each
        Assert.Equal(2.0, buckets[0], 6);
        Assert.Equal(2.0, buckets[1], 6);
        Assert.True(buckets[2] >= 1.0 && buckets[2] < 1.01, $"bucket 2 = {buckets[2]}");
        Assert.True(buckets[3] < 0.01, $"bucket 3 = {buckets[3]}");
    }
}
