using Braid.Lab.Tests.Extension;

namespace Braid.Lab.Tests;

public sealed class LabOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_run_every_model()
    {
        Assert.Null(new LabOptions().Validate());
        Assert.Null(LabOptions.Quick.Validate());
        Assert.Equal(LabCatalog.Models.Select(m => m.Name).Order(), new LabOptions().Models.Select(m => m.Name).Order());
        Assert.Equal(LabCatalog.Pool, new LabOptions().Models[^1]);
    }

    [Theory]
    [InlineData("tasks", 0)]
    [InlineData("tasks", 5001)]
    [InlineData("concurrency", 0)]
    [InlineData("repeats", 21)]
    [InlineData("workers", 65)]
    [InlineData("cpu size", -5)]
    public void Out_of_range_sizes_are_named(string name, int value)
    {
        var options = name switch
        {
            "tasks" => new LabOptions { Tasks = value },
            "concurrency" => new LabOptions { Concurrency = value },
            "repeats" => new LabOptions { Repeats = value },
            "workers" => new LabOptions { Workers = value },
            _ => new LabOptions { CpuSize = value },
        };
        Assert.StartsWith(name + " must be between", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rates_latencies_and_model_lists_are_checked()
    {
        Assert.NotNull(new LabOptions { FailureRate = 1.5 }.Validate());
        Assert.NotNull(new LabOptions { FailureRate = double.NaN }.Validate());
        Assert.NotNull(new LabOptions { Latency = TimeSpan.FromMilliseconds(-1) }.Validate());
        Assert.NotNull(new LabOptions { Jitter = TimeSpan.FromHours(1) }.Validate());
        Assert.NotNull(new LabOptions { Models = [] }.Validate());
        Assert.NotNull(new LabOptions { Models = [LabCatalog.Async, LabCatalog.Async] }.Validate());
        Assert.NotNull(new LabOptions { WorkerCommand = [] }.Validate());
    }

    [Fact]
    public void Names_round_trip_and_unknown_names_are_refused()
    {
        foreach (var model in LabCatalog.Models)
        {
            Assert.True(LabCatalog.TryFindModel(" " + model.Name.ToUpperInvariant(), out var found));
            Assert.Same(model, found);
        }

        foreach (var workload in LabCatalog.Workloads)
        {
            Assert.True(LabCatalog.TryFindWorkload(workload.Name, out var found));
            Assert.Same(workload, found);
        }

        Assert.False(LabCatalog.TryFindModel("fibers", out _));
        Assert.False(LabCatalog.TryFindWorkload("gpu", out _));
        Assert.False(LabCatalog.TryFindModel(null, out _));
        Assert.Equal("async-bounded", LabCatalog.AsyncBounded.Name);
        Assert.Equal(["sequential", "threads", "pool", "processes", "async", "async-bounded", "loop"], LabCatalog.Models.Select(m => m.Name));
        Assert.Equal(["io", "cpu", "mixed", "db", "sqlite-naive", "sqlite-single"], LabCatalog.Workloads.Select(w => w.Name));
    }

    [Fact]
    public void A_workload_and_models_must_be_chosen_and_worker_processes_run_only_built_in_workloads()
    {
        Assert.StartsWith("no workload chosen", new LabOptions { Workload = null! }.Validate(), StringComparison.Ordinal);
        Assert.StartsWith("no model chosen", new LabOptions { Models = [LabCatalog.Async, null!] }.Validate(), StringComparison.Ordinal);
        Assert.Equal(
            "the processes model runs only the built-in workloads (io, cpu, mixed, db, sqlite-naive), not squares",
            new LabOptions { Workload = new SquaresWorkload(), Models = [LabCatalog.Sequential, LabCatalog.Processes] }.Validate());
        Assert.Null(new LabOptions { Workload = new SquaresWorkload(), Models = [LabCatalog.Sequential, new ReverseModel()] }.Validate());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("two words")]
    [InlineData("-dash")]
    public void Names_are_lower_case_command_line_words(string name) =>
        Assert.Throws<ArgumentException>(() => new NamedModel(name));

    private sealed class NamedModel(string name) : LabModel(name)
    {
        public override string Describe(LabOptions options) => Name;

        public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
