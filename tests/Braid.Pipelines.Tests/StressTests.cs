using System.Diagnostics;
using Xunit.Abstractions;

namespace Braid.Pipelines.Tests;

public sealed class StressTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Random_pipelines_with_random_failures_lose_nothing_and_always_stop()
    {
        var seed = Environment.GetEnvironmentVariable("BRAID_STRESS_SEED") is { } fixedSeed ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with BRAID_STRESS_SEED={seed})");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        while (rounds < 200 && (rounds < 10 || clock.Elapsed < TimeSpan.FromSeconds(3)))
        {
            rounds++;
            await OneRoundAsync(new Random(random.Next()), rounds).WaitAsync(TestSupport.HangGuard);
        }

        output.WriteLine($"{rounds} rounds in {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    private static async Task OneRoundAsync(Random random, int round)
    {
        var total = random.Next(0, 3000);
        var stages = random.Next(1, 5);
        var failFast = random.Next(3) == 0;
        var failureRate = random.Next(4) == 0 ? 0 : random.NextDouble() * 0.05;
        var allOrdered = true;
        var options = new PipelineOptions
        {
            TransferBatchSize = random.Next(1, 40),
            OutputCapacity = random.Next(1, 100),
            ErrorPolicy = failFast ? ErrorPolicy.FailFast : ErrorPolicy.ContinueWithDeadLetters,
        };

        // Decide failures up front so that the oracle knows which items must be dead letters.
        var fails = new bool[stages, total];
        for (var s = 0; s < stages; s++)
        {
            for (var i = 0; i < total; i++)
            {
                fails[s, i] = random.NextDouble() < failureRate;
            }
        }

        var builder = Pipeline.From(Enumerable.Range(0, total), options);
        for (var s = 0; s < stages; s++)
        {
            var stage = s;
            var stageOptions = new StageOptions
            {
                Workers = random.Next(1, 7),
                Capacity = random.Next(1, 64),
                Ordered = random.Next(2) == 0,
                WorkerKind = random.Next(8) == 0 ? WorkerKind.DedicatedThreads : WorkerKind.Tasks,
            };
            allOrdered &= stageOptions.Ordered;
            var yields = random.Next(3) == 0;
            builder = builder.Map(async (x, ct) =>
            {
                if (yields && x % 5 == 0)
                {
                    await Task.Yield();
                }

                return fails[stage, x] ? throw new InvalidOperationException($"stage {stage} item {x}") : x;
            }, stageOptions);
        }

        var anyFailure = Enumerable.Range(0, total).Any(i => Enumerable.Range(0, stages).Any(s => fails[s, i]));
        var run = builder.Start();
        var results = new List<int>();
        PipelineException? error = null;
        await using (run)
        {
            try
            {
                await foreach (var x in run)
                {
                    results.Add(x);
                }
            }
            catch (PipelineException e)
            {
                error = e;
            }
        }

        TestSupport.AssertStopped(run.GetStatistics());
        Assert.Equal(results.Count, results.Distinct().Count());
        if (failFast)
        {
            Assert.Equal(anyFailure, error is not null);
            Assert.All(error?.InnerExceptions ?? [], e => Assert.StartsWith("stage ", e.Message, StringComparison.Ordinal));
        }
        else
        {
            Assert.Null(error);
            var dead = run.DeadLetters.Select(d => (int)d.Item!).ToList();
            Assert.Equal(dead.Count, dead.Distinct().Count());
            var expectedDead = Enumerable.Range(0, total).Where(i => Enumerable.Range(0, stages).Any(s => fails[s, i])).ToHashSet();
            Assert.True(expectedDead.SetEquals(dead), $"round {round}: the dead letters are exactly the failing items");
            Assert.Equal(Enumerable.Range(0, total).Where(i => !expectedDead.Contains(i)), allOrdered ? results : results.Order());
        }
    }
}
