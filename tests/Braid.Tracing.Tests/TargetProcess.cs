using System.Diagnostics;

namespace Braid.Tracing.Tests;

/// <summary>A real <c>Braid.Tracing.Target</c> process in a scenario; ready once it printed <c>ready PID</c>.</summary>
internal sealed class TargetProcess : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private TargetProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static async Task<TargetProcess> StartAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Braid.Tracing.Target.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var target = new TargetProcess(Process.Start(start)!);
        var line = await target.ReadLineAsync();
        Assert.Equal($"ready {target.Id}", line);
        return target;
    }

    /// <summary>Whether it still runs its code: it answers a ping.</summary>
    public async Task<bool> AnswersAsync()
    {
        await _process.StandardInput.WriteLineAsync("ping");
        await _process.StandardInput.FlushAsync();
        return await ReadLineAsync() == "pong";
    }

    /// <summary>Every thread's state letter from /proc (t: stopped by a tracer).</summary>
    public IReadOnlyList<char> ThreadStates() =>
        [.. Directory.GetDirectories($"/proc/{Id}/task").Select(task => File.ReadLines(Path.Combine(task, "status")).First(l => l.StartsWith("State:", StringComparison.Ordinal))["State:".Length..].Trim()[0])];

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(Guard);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private async Task<string?> ReadLineAsync()
    {
        using var guard = new CancellationTokenSource(Guard);
        return await _process.StandardOutput.ReadLineAsync(guard.Token);
    }
}
