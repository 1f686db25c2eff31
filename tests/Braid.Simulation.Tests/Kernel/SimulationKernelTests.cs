using Braid.Loop;
using Braid.Simulation.Kernel;
using Braid.Time;

namespace Braid.Simulation.Tests.Kernel;

public sealed class SimulationKernelTests
{
    [Fact]
    public void Events_run_in_time_order_and_ties_in_scheduling_order_between_start_and_end()
    {
        var kernel = new SimulationKernel();
        var log = new List<string>();
        foreach (var kind in new[] { SimulationKernel.StartKind, "a", "b", SimulationKernel.EndKind })
        {
            kernel.Subscribe(kind, (e, _) =>
            {
                log.Add($"{e.Kind}@{e.Time.TotalSeconds}:{e.Payload}");
                return ValueTask.CompletedTask;
            });
        }

        kernel.ScheduleAt(TimeSpan.FromSeconds(5), "a", 1);
        kernel.ScheduleAt(TimeSpan.FromSeconds(2), "b", 2);
        kernel.ScheduleAt(TimeSpan.FromSeconds(5), "b", 3);
        kernel.ScheduleAt(TimeSpan.FromSeconds(2), "a", 4);
        kernel.Run();

        Assert.Equal(["start@0:", "b@2:2", "a@2:4", "a@5:1", "b@5:3", "end@5:"], log);
        Assert.Equal(6, kernel.EventsRun);
        Assert.Equal(TimeSpan.FromSeconds(5), kernel.Now);
    }

    [Fact]
    public void The_clock_reads_each_events_time_when_its_handlers_run()
    {
        var kernel = new SimulationKernel();
        var seen = new List<TimeSpan>();
        kernel.Subscribe("tick", (e, _) =>
        {
            seen.Add(kernel.Now);
            if (seen.Count < 3)
            {
                kernel.ScheduleAfter(TimeSpan.FromMinutes(10), "tick");
            }

            return ValueTask.CompletedTask;
        });
        kernel.ScheduleAt(TimeSpan.FromMinutes(1), "tick");
        kernel.Run();

        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(11), TimeSpan.FromMinutes(21)], seen);
    }

    [Fact]
    public void An_event_in_the_past_is_refused_with_a_clear_message()
    {
        var kernel = new SimulationKernel();
        ArgumentOutOfRangeException? refused = null;
        kernel.Subscribe("later", (_, _) =>
        {
            refused = Assert.Throws<ArgumentOutOfRangeException>(() => kernel.ScheduleAt(TimeSpan.FromSeconds(1), "earlier"));
            return ValueTask.CompletedTask;
        });
        kernel.ScheduleAt(TimeSpan.FromSeconds(3), "later");
        kernel.Run();

        Assert.NotNull(refused);
        Assert.Contains("event 'earlier' scheduled at 00:00:01 is in the past: the simulation is at 00:00:03", refused.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationKernel().ScheduleAfter(TimeSpan.FromTicks(-1), "x"));
    }

    [Fact]
    public void Handlers_of_an_event_are_awaited_together_before_the_next_event()
    {
        var kernel = new SimulationKernel();
        var clock = new VirtualClock { AutoJump = true };
        var log = new List<string>();
        kernel.Subscribe("work", async (_, ct) =>
        {
            await clock.DelayAsync(TimeSpan.FromSeconds(3), ct);
            log.Add("slow done");
        });
        kernel.Subscribe("work", async (_, ct) =>
        {
            await clock.DelayAsync(TimeSpan.FromSeconds(1), ct);
            log.Add("fast done");
        });
        kernel.Subscribe("next", (_, _) =>
        {
            log.Add($"next at {kernel.Now.TotalSeconds}");
            return ValueTask.CompletedTask;
        });
        kernel.ScheduleAt(TimeSpan.Zero, "work");
        kernel.ScheduleAt(TimeSpan.FromSeconds(10), "next");
        AsyncLoop.Run(() => kernel.RunAsync(), new AsyncLoopOptions { TimeProvider = clock });

        // Both handlers ran concurrently (3 s, not 4 s) and finished before the next event.
        Assert.Equal(["fast done", "slow done", "next at 10"], log);
        Assert.Equal(TimeSpan.FromSeconds(10), clock.Elapsed);
    }

    [Fact]
    public void Handlers_that_overrun_the_virtual_timeout_are_cancelled_and_awaited_and_the_run_fails()
    {
        var kernel = new SimulationKernel(new SimulationKernelOptions { HandlerTimeout = TimeSpan.FromMinutes(5) });
        var clock = new VirtualClock { AutoJump = true };
        var cancelled = false;
        kernel.Subscribe("stuck", async (_, ct) =>
        {
            try
            {
                await clock.DelayAsync(TimeSpan.FromDays(1), ct);
            }
            catch (OperationCanceledException)
            {
                cancelled = true;
                throw;
            }
        });
        kernel.ScheduleAt(TimeSpan.FromSeconds(1), "stuck");

        var e = Assert.Throws<SimulationTimeoutException>(() => AsyncLoop.Run(() => kernel.RunAsync(), new AsyncLoopOptions { TimeProvider = clock }));
        Assert.True(cancelled);
        Assert.Contains("'stuck'", e.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1) + TimeSpan.FromMinutes(5), clock.Elapsed);
    }

    [Fact]
    public void Every_failed_handler_of_an_event_is_reported_after_all_of_them_finished()
    {
        var kernel = new SimulationKernel();
        var clock = new VirtualClock { AutoJump = true };
        var finished = false;
        kernel.Subscribe("e", (_, _) => throw new InvalidOperationException("one"));
        kernel.Subscribe("e", async (_, ct) =>
        {
            await clock.DelayAsync(TimeSpan.FromSeconds(1), ct);
            finished = true;
        });
        kernel.Subscribe("e", async (_, ct) =>
        {
            await clock.DelayAsync(TimeSpan.FromMilliseconds(1), ct);
            throw new InvalidOperationException("two");
        });
        kernel.ScheduleAt(TimeSpan.Zero, "e");

        var e = Assert.Throws<AggregateException>(() => AsyncLoop.Run(() => kernel.RunAsync(), new AsyncLoopOptions { TimeProvider = clock }));
        Assert.Equal(["one", "two"], e.InnerExceptions.Select(x => x.Message));
        Assert.True(finished);
    }

    [Fact]
    public void Until_stops_the_run_and_the_end_event_comes_at_that_time()
    {
        var kernel = new SimulationKernel(new SimulationKernelOptions { Until = TimeSpan.FromSeconds(7) });
        var ran = new List<double>();
        kernel.Subscribe("e", (e, _) =>
        {
            ran.Add(e.Time.TotalSeconds);
            return ValueTask.CompletedTask;
        });
        TimeSpan? end = null;
        kernel.Subscribe(SimulationKernel.EndKind, (e, _) =>
        {
            end = e.Time;
            return ValueTask.CompletedTask;
        });
        kernel.ScheduleAt(TimeSpan.FromSeconds(3), "e");
        kernel.ScheduleAt(TimeSpan.FromSeconds(9), "e");
        kernel.Run();

        Assert.Equal([3.0], ran);
        Assert.Equal(TimeSpan.FromSeconds(7), end);
        Assert.Equal(1, kernel.PendingEvents);
    }

    [Fact]
    public void The_kernel_refuses_to_run_without_a_virtual_clock_loop()
    {
        var kernel = new SimulationKernel();
        var e = Assert.Throws<InvalidOperationException>(() => AsyncLoop.Run(() => kernel.RunAsync()));
        Assert.Contains("VirtualClock", e.Message, StringComparison.Ordinal);
    }
}
