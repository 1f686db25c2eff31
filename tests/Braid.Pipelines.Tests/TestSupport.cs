namespace Braid.Pipelines.Tests;

internal static class TestSupport
{
    /// <summary>A hang guard for tests, not a synchronisation: a correct run finishes long before it.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static async Task<List<T>> CollectAsync<T>(this IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    public static void AssertStopped(PipelineStatistics statistics)
    {
        Assert.True(statistics.Completed, "the run reports every stage stopped");
        Assert.All(statistics.Stages, s => Assert.Equal(0, s.ActiveWorkers));
    }

    public static async IAsyncEnumerable<int> Infinite(Action<int>? onYield = null, Action? onDispose = null)
    {
        try
        {
            for (var i = 0; ; i++)
            {
                onYield?.Invoke(i);
                yield return i;
                if (i % 64 == 0)
                {
                    await Task.Yield();
                }
            }
        }
        finally
        {
            onDispose?.Invoke();
        }
    }
}
