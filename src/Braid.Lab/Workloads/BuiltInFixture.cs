namespace Braid.Lab.Workloads;

/// <summary>
/// What a built-in workload needs before any model runs (the record server, the datasets, the db
/// file), as a <see cref="WorkloadSpec"/> that worker processes receive too, and the sessions built on it.
/// </summary>
internal sealed class BuiltInFixture : LabFixture
{
    private readonly RecordServerProcess? _server;
    private readonly BuiltInWorkload _workload;
    private readonly LabOptions _options;

    private BuiltInFixture(BuiltInWorkload workload, LabOptions options, WorkloadSpec spec, RecordServerProcess? server, IReadOnlyList<string> checks)
    {
        _workload = workload;
        _options = options;
        Spec = spec;
        _server = server;
        Checks = checks;
    }

    public WorkloadSpec Spec { get; }

    public override IReadOnlyList<string> Checks { get; }

    public static async Task<BuiltInFixture> StartAsync(BuiltInWorkload workload, LabOptions options, string workDirectory, CancellationToken cancellationToken)
    {
        _ = CityData.Instance; // load the dataset once, outside every model
        var checks = new List<string>();
        RecordServerProcess? server = null;
        string? database = null;
        if (workload.MakesRequests)
        {
            // In its own process: the server's CPU is then not counted as the models' (design rule 83).
            server = await RecordServerProcess.StartAsync(options.WorkerCommand ?? LabWorker.DefaultCommand(), options, cancellationToken).ConfigureAwait(false);
        }

        if (workload.Computes)
        {
            checks.AddRange(CpuWork.CheckKnownDistances());
        }

        if (workload.QueriesDatabase)
        {
            database = DbFixture.Create(workDirectory);
        }

        var spec = new WorkloadSpec
        {
            Workload = workload.Name,
            Tasks = options.Tasks,
            CpuSize = options.CpuSize,
            ServerUrl = server?.Address,
            DatabasePath = database,
            PooledConnections = options.PooledConnections,
            WorkDirectory = workDirectory,
            RequestTimeout = options.Latency + options.Jitter + TimeSpan.FromSeconds(30),
        };
        return new BuiltInFixture(workload, options, spec, server, checks);
    }

    /// <summary>A fresh session: its own HTTP client (so no model inherits another's open connections) and its own store.</summary>
    public override LabSession OpenSession(string name) => new WorkSession(Spec, name);

    /// <summary>Every run's workers get the same spec: each worker makes its own store (named in its job).</summary>
    internal override WorkloadSpec? WorkerSpec(string runName) => Spec;

    /// <summary>The records the seed makes the server fail (<c>--failure-rate</c>).</summary>
    internal override bool FailsOnPurpose(int index) => _workload.MakesRequests && Deterministic.Fails(_options.Seed, index, _options.FailureRate);

    /// <summary>For the cpu work: the pi slices of every task add up to pi.</summary>
    internal override IEnumerable<string> CheckResults(IReadOnlyList<string> values)
    {
        if (!_workload.Computes)
        {
            return [];
        }

        var pis = values.Where(v => v.StartsWith("ok:", StringComparison.Ordinal) && v.Contains("pi:", StringComparison.Ordinal)).ToList();
        return pis.Count == _options.Tasks ? [CpuWork.CheckPi(pis, (long)_options.Tasks * _options.CpuSize)] : [];
    }

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
