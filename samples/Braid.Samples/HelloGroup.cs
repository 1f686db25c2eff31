namespace Braid.Samples;

/// <summary>The smallest sample: two concurrent steps, timed, to check the set-up works.</summary>
public sealed class HelloSample : ISample
{
    /// <inheritdoc />
    public string Name => "hello";

    /// <inheritdoc />
    public string Description => "Two concurrent waits of 100 ms finish in about 100 ms, not 200 ms.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        await Task.WhenAll(
            Task.Delay(TimeSpan.FromMilliseconds(100), clock, cancellationToken),
            Task.Delay(TimeSpan.FromMilliseconds(100), clock, cancellationToken));
        await output.WriteLineAsync($"two 100 ms waits, run concurrently, took {clock.GetElapsedTime(start).TotalMilliseconds:F0} ms");
        return 0;
    }
}
