using System.Globalization;

namespace Braid.Lab.Tests.Extension;

/// <summary>
/// A model that exists only in this test project, written against the public API alone: it runs the
/// tasks from the last index to the first on one thread of the pool, alternating the blocking and the
/// async form. The lab must time, record and check it like any built-in model.
/// </summary>
internal sealed class ReverseModel : LabModel
{
    public ReverseModel()
        : base("reverse")
    {
    }

    public override LabSettings Settings => LabSettings.Concurrency;

    public override string Describe(LabOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"{options.Tasks} tasks from last to first");

    public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => Task.Run(
        async () =>
        {
            for (var i = tasks.Count - 1; i >= 0; i--)
            {
                if (i % 2 == 0)
                {
                    tasks.Run(i, cancellationToken);
                }
                else
                {
                    await tasks.RunAsync(i, cancellationToken).ConfigureAwait(false);
                }
            }
        },
        cancellationToken);
}
