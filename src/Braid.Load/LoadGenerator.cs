using Braid.Load.Internal;

namespace Braid.Load;

/// <summary>
/// Runs HTTP load against one URL (docs/load.md): the open model (constant arrival rate, latency from
/// each request's intended start), the closed model (N connections) or N server-sent-events clients.
/// A library: options in, a <see cref="LoadResult"/> out, progress through a callback; nothing is
/// written to a console.
/// </summary>
public static class LoadGenerator
{
    /// <summary>
    /// Checks <paramref name="options"/> (<see cref="LoadOptions.Validate"/>: no socket is opened for a
    /// refused host), then opens and closes one TCP connection to the target.
    /// </summary>
    /// <param name="options">The run's options.</param>
    /// <param name="cancellationToken">Stops the connection attempt; the method then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>Null when a run can start, otherwise one sentence about the first problem.</returns>
    /// <remarks>Completes synchronously when the options are invalid.</remarks>
    public static async Task<string?> CheckAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem)
        {
            return problem;
        }

        var timeout = options.Timeout < TimeSpan.FromSeconds(5) ? options.Timeout : TimeSpan.FromSeconds(5);
        return await TargetCheck.ProbeAsync(options.Target, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks .NET's socket engine to run socket completions on its own event threads (one per processor)
    /// instead of handing each one to the thread pool: a process that only generates load then spends
    /// about a fifth less CPU per request (docs/design.md rule 147; the continuations of the raw HTTP/1.1
    /// connections never block). It sets the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>
    /// for this process, which the engine reads once, at the process's first asynchronous socket
    /// operation: call it first thing in a process that exists to generate load, as <c>braid load</c>
    /// does, never in one that hosts anything else (a continuation that blocks would stall every socket
    /// on its event thread).
    /// </summary>
    /// <returns>False when the environment already chose (the variable was set), true when this call set it.</returns>
    /// <remarks>Completes synchronously; whether it took effect cannot be observed afterwards.</remarks>
    public static bool PreferInlineSocketCompletions()
    {
        const string name = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(name) is not null)
        {
            return false;
        }

        Environment.SetEnvironmentVariable(name, "1");
        return true;
    }

    /// <summary>Runs the load <paramref name="options"/> describe and returns what it measured, warm-up excluded.</summary>
    /// <param name="options">The run's options; checked as <see cref="CheckAsync"/> does before anything else.</param>
    /// <param name="progress">Called about once per <see cref="LoadOptions.ProgressInterval"/> on a pool thread, never concurrently with itself; an exception it throws ends the run and is rethrown in a <c>TaskGroupException</c>.</param>
    /// <param name="cancellationToken">
    /// Stops the run (Ctrl-C): requests in flight are abandoned, and the result of what was measured until
    /// then is returned with <see cref="LoadResult.Cancelled"/> set. Cancellation never throws once the run
    /// has started; during the check it throws <see cref="OperationCanceledException"/>.
    /// </param>
    /// <returns>The measurements.</returns>
    /// <exception cref="ArgumentException">The options are invalid or the target cannot be reached; the message is <see cref="CheckAsync"/>'s sentence.</exception>
    /// <remarks>Never completes synchronously: it waits for the run's end.</remarks>
    public static async Task<LoadResult> RunAsync(LoadOptions options, Action<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (await CheckAsync(options, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        if (options.Model == LoadModel.Sse)
        {
            using var sse = new SseLoad(options);
            return await sse.RunAsync(progress, cancellationToken).ConfigureAwait(false);
        }

        using var http = new HttpLoad(options);
        return await http.RunAsync(progress, cancellationToken).ConfigureAwait(false);
    }
}
