using System.Globalization;

namespace Braid.Lab.Models;

/// <summary>The async-bounded model: async/await on the thread pool, at most <see cref="LabOptions.Concurrency"/> tasks at a time, on Braid's bounded map.</summary>
internal sealed class AsyncBoundedModel : LabModel
{
    public AsyncBoundedModel()
        : base("async-bounded")
    {
    }

    public override LabSettings Settings => LabSettings.Concurrency;

    public override string Describe(LabOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"async/await on the thread pool, at most {options.Concurrency} at a time (Braid MapAsync)");

    public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => Task.Run(
        () => BraidModels.MapBoundedAsync(
            tasks.Count,
            tasks.Options.Concurrency,
            async (i, ct) =>
            {
                await tasks.RunAsync(i, ct).ConfigureAwait(false);
                return i;
            },
            cancellationToken),
        cancellationToken);
}
