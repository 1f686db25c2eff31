namespace Braid.Lab.Tests;

public sealed class LabOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_run_every_model()
    {
        Assert.Null(new LabOptions().Validate());
        Assert.Null(LabOptions.Quick.Validate());
        Assert.Equal(Enum.GetValues<LabModel>().Order(), new LabOptions().Models.Order());
        Assert.Equal(LabModel.Pool, new LabOptions().Models[^1]);
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
        Assert.NotNull(new LabOptions { Models = [LabModel.Async, LabModel.Async] }.Validate());
        Assert.NotNull(new LabOptions { WorkerCommand = [] }.Validate());
    }

    [Fact]
    public void Names_round_trip_and_unknown_names_are_refused()
    {
        foreach (var model in Enum.GetValues<LabModel>())
        {
            Assert.True(LabNames.TryParseModel(LabNames.Name(model).ToUpperInvariant(), out var parsed));
            Assert.Equal(model, parsed);
        }

        foreach (var workload in Enum.GetValues<LabWorkload>())
        {
            Assert.True(LabNames.TryParseWorkload(LabNames.Name(workload), out var parsed));
            Assert.Equal(workload, parsed);
        }

        Assert.False(LabNames.TryParseModel("fibers", out _));
        Assert.False(LabNames.TryParseWorkload("gpu", out _));
        Assert.Equal("async-bounded", LabNames.Name(LabModel.AsyncBounded));
    }
}
