using Braid.Cli.Commands;
using Braid.Lab;

namespace Braid.Cli.Tests.Commands;

/// <summary>Redirected progress (issue 12): no model's last line is a stuck "0/40".</summary>
public sealed class ProgressLinesTests
{
    [Fact]
    public void A_model_gets_a_line_when_it_starts_once_a_second_and_when_it_is_done()
    {
        var lines = new ProgressLines(repeats: 1);
        string?[] printed =
        [
            lines.Next(new LabProgress("sequential", 1, 0, 40), 0),
            lines.Next(new LabProgress("sequential", 1, 1, 40), 10),
            lines.Next(new LabProgress("sequential", 1, 0, 40), 1005),
            lines.Next(new LabProgress("sequential", 1, 25, 40), 1010),
            lines.Next(new LabProgress("sequential", 1, 40, 40), 1020),
            lines.Next(new LabProgress("sequential", 1, 40, 40), 1030),
            lines.Next(new LabProgress("async", 1, 0, 40), 1040),
            lines.Next(new LabProgress("async", 1, 40, 40), 1050),
        ];
        Assert.Equal(
            "braid lab: sequential 0/40 | - | - | braid lab: sequential 25/40 | braid lab: sequential 40/40 done | - | braid lab: async 0/40 | braid lab: async 40/40 done",
            string.Join(" | ", printed.Select(p => p ?? "-")));
    }

    [Fact]
    public void Repeats_are_named()
    {
        var lines = new ProgressLines(repeats: 3);
        Assert.Equal("braid lab: loop (2) 0/10", lines.Next(new LabProgress("loop", 2, 0, 10), 0));
    }
}
