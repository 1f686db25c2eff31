namespace Braid.Samples.Paradigms;

/// <summary>
/// A callback API wrapped as a promise and awaited: a <see cref="TaskCompletionSource{TResult}"/> is
/// the promise, the callback settles it, and the caller simply awaits the task (a future). The source
/// is created with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so the awaiting
/// code does not run inside the library's callback, on the library's thread, holding up its work.
/// </summary>
public sealed class CallbackPromiseSample : ISample
{
    /// <inheritdoc />
    public string Name => "promise";

    /// <inheritdoc />
    public string Description => "A callback-style lookup wrapped in a TaskCompletionSource and awaited, errors included.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var directory = new LegacyDirectory();
        foreach (var name in new[] { "ada", "grace", "nobody" })
        {
            try
            {
                var email = await LookUpAsync(directory, name, cancellationToken);
                await output.WriteLineAsync($"{name,-7} -> {email}");
            }
            catch (KeyNotFoundException ex)
            {
                await output.WriteLineAsync($"{name,-7} -> failed: {ex.Message}");
            }
        }

        return 0;
    }

    /// <summary>The promise: one TaskCompletionSource per call, settled by the callback.</summary>
    private static Task<string> LookUpAsync(LegacyDirectory directory, string name, CancellationToken cancellationToken)
    {
        var promise = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        directory.BeginLookUp(name, (email, error) =>
        {
            if (error is not null)
            {
                promise.TrySetException(error);
            }
            else
            {
                promise.TrySetResult(email!);
            }
        });

        // The legacy API cannot be cancelled: cancellation abandons the wait, not the lookup.
        return promise.Task.WaitAsync(cancellationToken);
    }

    /// <summary>A library from before async/await: it answers on its own thread, through a callback.</summary>
    private sealed class LegacyDirectory
    {
        private readonly Dictionary<string, string> _emails = new()
        {
            ["ada"] = "ada@example.org",
            ["grace"] = "grace@example.org",
        };

        public void BeginLookUp(string name, Action<string?, Exception?> callback)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                if (_emails.TryGetValue(name, out var email))
                {
                    callback(email, null);
                }
                else
                {
                    callback(null, new KeyNotFoundException($"no entry for '{name}'"));
                }
            });
        }
    }
}
