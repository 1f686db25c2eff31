using System.Globalization;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Braid.Lab.Tests;

/// <summary>Small sizes, the worker command, and a look at this process's children in /proc.</summary>
internal static class LabTestSupport
{
    /// <summary>Starts workers as 'dotnet Braid.Cli.dll lab-worker' from the test's output directory.</summary>
    public static IReadOnlyList<string> WorkerCommand { get; } =
    [
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet",
        Path.Combine(AppContext.BaseDirectory, "Braid.Cli.dll"),
        LabWorker.Verb,
    ];

    public static LabOptions Small(LabWorkload workload, params LabModel[] models) => new()
    {
        Workload = workload,
        Models = models.Length == 0 ? LabCatalog.DefaultModels : models,
        Tasks = 12,
        Latency = TimeSpan.FromMilliseconds(5),
        CpuSize = 5_000,
        Concurrency = 4,
        Workers = 2,
        WorkerCommand = WorkerCommand,
    };

    /// <summary>The pids of live processes whose parent is this process and whose command line runs a lab worker.</summary>
    public static List<int> ChildWorkers()
    {
        var self = Environment.ProcessId;
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var state = fields[0];
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (parent == self && state != "Z" && commandLine.Contains(LabWorker.Verb, StringComparison.Ordinal))
                {
                    children.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended while we looked.
            }
        }

        return children;
    }
}
