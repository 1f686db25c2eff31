namespace Braid.Lab.Models;

/// <summary>Runs a model's body on a thread of its own, so that blocking it blocks nothing else.</summary>
internal static class DedicatedThread
{
    /// <summary>Runs <paramref name="action"/> on a new background thread named <paramref name="name"/>; the task completes when it returns or throws.</summary>
    public static Task RunAsync(string name, Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }
}
