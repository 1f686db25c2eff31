using Braid.Time;
using Xunit.Abstractions;

namespace Braid.Tests.Time;

/// <summary>Random timer operations checked against a simple model of the clock's firing rule.</summary>
public sealed class VirtualClockModelTests(ITestOutputHelper output)
{
    [Fact]
    public void Random_create_change_dispose_and_advance_fire_exactly_as_the_model_says()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (var round = 0; round < 50; round++)
        {
            RunRound(new Random(random.Next()), round);
        }
    }

    private static void RunRound(Random random, int round)
    {
        var clock = new VirtualClock();
        var fired = new List<int>();
        var timers = new List<(ITimer Timer, int Id, long Sequence)>();

        // The model: armed one-shot timers by id, with their due tick and creation order.
        var armed = new Dictionary<int, (long Due, long Sequence)>();
        var expected = new List<int>();
        long now = 0;
        var nextId = 0;
        for (var op = 0; op < 200; op++)
        {
            switch (random.Next(4))
            {
                case 0:
                    {
                        var id = nextId++;
                        var due = random.Next(0, 20);
                        var timer = clock.CreateTimer(_ => fired.Add(id), null, TimeSpan.FromTicks(due), Timeout.InfiniteTimeSpan);
                        timers.Add((timer, id, id));
                        armed[id] = (now + due, id);
                        break;
                    }

                case 1 when timers.Count > 0:
                    {
                        var (timer, id, sequence) = timers[random.Next(timers.Count)];
                        var due = random.Next(0, 20);
                        if (timer.Change(TimeSpan.FromTicks(due), Timeout.InfiniteTimeSpan))
                        {
                            armed[id] = (now + due, sequence);
                        }

                        break;
                    }

                case 2 when timers.Count > 0:
                    {
                        var (timer, id, _) = timers[random.Next(timers.Count)];
                        timer.Dispose();
                        armed.Remove(id);
                        timers.RemoveAll(t => t.Id == id);
                        break;
                    }

                default:
                    {
                        var delta = random.Next(0, 15);
                        var target = now + delta;
                        foreach (var (id, _) in armed.Where(a => a.Value.Due <= target).OrderBy(a => a.Value.Due).ThenBy(a => a.Value.Sequence).ToList())
                        {
                            expected.Add(id);
                            armed.Remove(id);
                        }

                        clock.Advance(TimeSpan.FromTicks(delta));
                        now = target;
                        break;
                    }
            }

            Assert.True(expected.SequenceEqual(fired), $"round {round}, op {op}: expected [{string.Join(",", expected)}], fired [{string.Join(",", fired)}]");
            Assert.Equal(armed.Count, clock.ActiveTimerCount);
            Assert.Equal(now, clock.Elapsed.Ticks);
        }
    }
}
