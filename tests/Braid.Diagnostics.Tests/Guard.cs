namespace Braid.Diagnostics.Tests;

/// <summary>Generous timeouts that only turn a hang into a failure; no test waits for time to pass.</summary>
internal static class Guard
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Thread StartThread(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    public static void Join(Thread thread) => Assert.True(thread.Join(Timeout), "a test thread did not finish");
}
