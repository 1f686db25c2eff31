using System.Net.Http;

namespace Braid.Lab.Workloads;

/// <summary>What the workload needs before any model runs (the record server, the datasets, the db file), and the work sessions built on it.</summary>
internal sealed class LabFixture : IAsyncDisposable
{
    private readonly RecordServerProcess? _server;

    private LabFixture(WorkloadSpec spec, RecordServerProcess? server, IReadOnlyList<string> checks)
    {
        Spec = spec;
        _server = server;
        Checks = checks;
    }

    public WorkloadSpec Spec { get; }

    /// <summary>Checks of the work functions against known values made while setting up.</summary>
    public IReadOnlyList<string> Checks { get; }

    public static async Task<LabFixture> StartAsync(LabOptions options, string workDirectory, CancellationToken cancellationToken)
    {
        _ = CityData.Instance; // load the dataset once, outside every model
        var checks = new List<string>();
        RecordServerProcess? server = null;
        string? database = null;
        if (options.Workload is LabWorkload.Io or LabWorkload.Mixed)
        {
            // In its own process: the server's CPU is then not counted as the models' (design rule 83).
            server = await RecordServerProcess.StartAsync(options.WorkerCommand ?? LabWorker.DefaultCommand(), options, cancellationToken).ConfigureAwait(false);
        }

        if (options.Workload is LabWorkload.Cpu or LabWorkload.Mixed)
        {
            checks.AddRange(CpuWork.CheckKnownDistances());
        }

        if (options.Workload is LabWorkload.Db)
        {
            database = DbFixture.Create(workDirectory);
        }

        var spec = new WorkloadSpec
        {
            Workload = options.Workload,
            Tasks = options.Tasks,
            CpuSize = options.CpuSize,
            ServerUrl = server?.Address,
            DatabasePath = database,
            PooledConnections = options.PooledConnections,
            WorkDirectory = workDirectory,
            RequestTimeout = options.Latency + options.Jitter + TimeSpan.FromSeconds(30),
        };
        return new LabFixture(spec, server, checks);
    }

    /// <summary>A fresh session: its own HTTP client (so no model inherits another's open connections) and its own store.</summary>
    public static WorkSession OpenSession(WorkloadSpec spec, string name) => new(spec, CreateClient(spec), name);

    public static HttpClient? CreateClient(WorkloadSpec spec) => spec.ServerUrl is null
        ? null
        : new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false }) { Timeout = spec.RequestTimeout };

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
