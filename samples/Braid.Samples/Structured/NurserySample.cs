using Braid.Structured;

namespace Braid.Samples.Structured;

/// <summary>
/// A nursery in action: three fetches run together; when one fails, the others are cancelled, the
/// group waits for them, and the failure is reported. Then a deadline abandons a slow step quietly.
/// </summary>
public sealed class NurserySample : ISample
{
    /// <inheritdoc />
    public string Name => "nursery";

    /// <inheritdoc />
    public string Description => "A task group: one failure cancels the siblings, every failure is reported; a deadline moves on.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        try
        {
            await TaskGroup.RunAsync(
                group =>
                {
                    group.Start(
                        async ct =>
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(50), clock, ct);
                            await output.WriteLineAsync("a: fetched");
                        },
                        "a");
                    group.Start(
                        async ct =>
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(100), clock, ct);
                            await output.WriteLineAsync("b: server answered 503");
                            throw new InvalidOperationException("b: 503 Service Unavailable");
                        },
                        "b");
                    group.Start(
                        async ct =>
                        {
                            try
                            {
                                await Task.Delay(TimeSpan.FromSeconds(10), clock, ct);
                            }
                            catch (OperationCanceledException)
                            {
                                await output.WriteLineAsync("c: cancelled, cleaning up");
                                throw;
                            }
                        },
                        "c");
                    return Task.CompletedTask;
                },
                new TaskGroupOptions { Name = "fetch" },
                cancellationToken);
        }
        catch (TaskGroupException error)
        {
            await output.WriteLineAsync($"group failed with {error.InnerExceptions.Count} failure(s):");
            for (var i = 0; i < error.InnerExceptions.Count; i++)
            {
                await output.WriteLineAsync($"  {error.ChildNames[i]}: {error.InnerExceptions[i].Message}");
            }
        }

        var scope = await CancelScope.MoveOnAfterAsync(
            TimeSpan.FromMilliseconds(200),
            s => Task.Delay(TimeSpan.FromSeconds(10), clock, s.CancellationToken),
            clock,
            cancellationToken);
        await output.WriteLineAsync($"slow step: abandoned at its deadline = {scope.CancelledCaught}");
        return 0;
    }
}
