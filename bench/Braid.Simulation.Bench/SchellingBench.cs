using System.Diagnostics;
using System.Globalization;
using Braid.Simulation.Kernel;

/// <summary>
/// Schelling "large" of JuliaDynamics' ABMFrameworksComparison on Braid's kernel: a 100 x 100 non-periodic
/// grid, 8,000 agents in two equal groups at random places, one agent per cell, 20 steps; each step every
/// agent, in a seeded random order, does nothing if it is happy, else counts the agents of its group within
/// Chebyshev radius 2 (24 cells) and becomes happy with at least 8, or moves to a random empty cell. The
/// time is the median of 100 seeds, set-up included, as the comparison measures it.
/// </summary>
internal static class SchellingBench
{
    private const int Side = 100;
    private const int Agents = 8_000;
    private const int Radius = 2;
    private const int MinToBeHappy = 8;
    private const int Steps = 20;

    public static void Run(int seeds)
    {
        var c = CultureInfo.InvariantCulture;
        for (var i = 0; i < 5; i++)
        {
            RunOnce((ulong)(1000 + i)); // warm-up
        }

        var times = new double[seeds];
        var happy = 0;
        for (var s = 0; s < seeds; s++)
        {
            var started = Stopwatch.GetTimestamp();
            happy = RunOnce((ulong)s);
            times[s] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        Console.WriteLine(string.Create(c, $"Schelling-large on the kernel: median {times[seeds / 2]:F2} ms over {seeds} seeds (min {times[0]:F2}, max {times[^1]:F2}); last run: {happy:N0} of {Agents:N0} happy after {Steps} steps"));
    }

    private static int RunOnce(ulong seed)
    {
        var kernel = new SimulationKernel(new SimulationKernelOptions { Seed = seed });
        var grid = new int[Side * Side];
        Array.Fill(grid, -1);
        var x = new int[Agents];
        var y = new int[Agents];
        var group = new byte[Agents];
        var isHappy = new bool[Agents];
        var order = new int[Agents];
        var random = kernel.StreamFor(0, 0);
        for (var a = 0; a < Agents; a++)
        {
            group[a] = (byte)(a < Agents / 2 ? 1 : 2);
            Place(a);
        }

        void Place(int a)
        {
            int cell;
            do
            {
                cell = random.NextInt(Side * Side);
            }
            while (grid[cell] >= 0);
            grid[cell] = a;
            (x[a], y[a]) = (cell % Side, cell / Side);
        }

        kernel.Subscribe("step", (e, _) =>
        {
            for (var i = 0; i < Agents; i++)
            {
                order[i] = i;
            }

            for (var i = Agents - 1; i > 0; i--)
            {
                var j = random.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }

            foreach (var a in order)
            {
                if (isHappy[a])
                {
                    continue;
                }

                var same = 0;
                for (var yy = Math.Max(0, y[a] - Radius); yy <= Math.Min(Side - 1, y[a] + Radius); yy++)
                {
                    for (var xx = Math.Max(0, x[a] - Radius); xx <= Math.Min(Side - 1, x[a] + Radius); xx++)
                    {
                        var other = grid[(yy * Side) + xx];
                        if (other >= 0 && other != a && group[other] == group[a])
                        {
                            same++;
                        }
                    }
                }

                if (same >= MinToBeHappy)
                {
                    isHappy[a] = true;
                }
                else
                {
                    grid[(y[a] * Side) + x[a]] = -1;
                    Place(a);
                }
            }

            var step = (int)e.Payload!;
            if (step + 1 < Steps)
            {
                kernel.ScheduleAfter(TimeSpan.FromSeconds(1), "step", step + 1);
            }

            return ValueTask.CompletedTask;
        });
        kernel.ScheduleAt(TimeSpan.Zero, "step", 0);
        kernel.Run();
        return isHappy.Count(h => h);
    }
}
