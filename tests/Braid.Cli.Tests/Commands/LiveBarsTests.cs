using Braid.Cli.Commands;
using Braid.Lab;
using Spectre.Console;
using Spectre.Console.Testing;

namespace Braid.Cli.Tests.Commands;

/// <summary>The live progress (issue 12): a finished model's elapsed clock stops.</summary>
public sealed class LiveBarsTests
{
    [Fact]
    public void A_models_clock_stops_when_it_is_done_or_the_next_model_starts()
    {
        var console = new TestConsole().Interactive();
        console.Progress().Start(context =>
        {
            var bars = new LiveBars(context, repeats: 1);
            bars.Report(new LabProgress("sequential", 1, 40, 40));
            bars.Report(new LabProgress("processes", 1, 12, 40)); // a failed model ends short of its total
            bars.Report(new LabProgress("async", 1, 3, 40));

            var (sequential, processes, async) = (bars.Bars.ElementAt(0), bars.Bars.ElementAt(1), bars.Bars.ElementAt(2));
            Assert.NotNull(sequential.StopTime);
            Assert.NotNull(processes.StopTime);
            Assert.Null(async.StopTime); // still running

            bars.StopAll();
            Assert.NotNull(async.StopTime);
        });
    }
}
