using System.Globalization;

namespace Braid.Lab.Tests.Extension;

/// <summary>
/// A workload that exists only in this test project, written against the public API alone: task i
/// is "i squared", the async form yields once first, a session counts what it ran as its stored
/// rows, and the fixture counts what was opened and disposed, so a test can see the lab's life cycle.
/// </summary>
internal sealed class SquaresWorkload : LabWorkload
{
    public SquaresWorkload()
        : base("squares", "i squared")
    {
    }

    /// <summary>The fixtures started, in order.</summary>
    public List<Fixture> Started { get; } = [];

    /// <summary>Makes task <see cref="FailingTask"/> fail (when not negative).</summary>
    public int FailingTask { get; init; } = -1;

    public override Task<LabFixture> StartAsync(LabOptions options, string workDirectory, CancellationToken cancellationToken)
    {
        var fixture = new Fixture(this);
        Started.Add(fixture);
        return Task.FromResult<LabFixture>(fixture);
    }

    internal sealed class Fixture(SquaresWorkload workload) : LabFixture
    {
        private int _disposed;

        public List<Session> Sessions { get; } = [];

        public bool Disposed => _disposed == 1;

        public override IReadOnlyList<string> Checks => ["ok: squares set up"];

        public override LabSession OpenSession(string name)
        {
            var session = new Session(workload, name);
            lock (Sessions)
            {
                Sessions.Add(session);
            }

            return session;
        }

        public override ValueTask DisposeAsync()
        {
            Assert.Equal(0, Interlocked.Exchange(ref _disposed, 1));
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class Session(SquaresWorkload workload, string name) : LabSession
    {
        private int _ran;

        public string Name { get; } = name;

        public bool Disposed { get; private set; }

        public override TaskOutcome Run(int index, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _ran);
            return index == workload.FailingTask
                ? TaskOutcome.Failure("told to fail")
                : TaskOutcome.Success(((long)index * index).ToString(CultureInfo.InvariantCulture));
        }

        public override async ValueTask<TaskOutcome> RunAsync(int index, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return Run(index, cancellationToken);
        }

        public override Task<long?> CompleteAsync() => Task.FromResult<long?>(Volatile.Read(ref _ran) - (workload.FailingTask >= 0 ? 1 : 0));

        public override ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
