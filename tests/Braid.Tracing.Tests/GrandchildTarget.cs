using System.Diagnostics;
using System.Globalization;

namespace Braid.Tracing.Tests;

/// <summary>
/// A <c>Braid.Tracing.Target</c> that is not this process's child: a shell starts it and waits for it. Tests
/// that read a target in-process need this: .NET reaps its own children on SIGCHLD, which can take the stop
/// that attaching waits for (ClrMD would then wait forever). <c>braid ps</c> never reads its own child.
/// </summary>
internal sealed class GrandchildTarget : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private readonly Process _shell;

    private GrandchildTarget(Process shell) => _shell = shell;

    public int Id { get; private set; }

    public static async Task<GrandchildTarget> StartAsync(params string[] args)
    {
        var start = new ProcessStartInfo("sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // A background command's standard input would be /dev/null: hand it the shell's through fd 3.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec 3<&0; dotnet \"$@\" <&3 3<&- & wait");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Braid.Tracing.Target.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var target = new GrandchildTarget(Process.Start(start)!);
        var line = await target.ReadLineAsync();
        Assert.StartsWith("ready ", line, StringComparison.Ordinal);
        target.Id = int.Parse(line!["ready ".Length..], CultureInfo.InvariantCulture);
        return target;
    }

    /// <summary>Whether it still runs its code: it answers a ping (lines its runtime's <c>createdump</c> printed are skipped).</summary>
    public async Task<bool> AnswersAsync()
    {
        await _shell.StandardInput.WriteLineAsync("ping");
        await _shell.StandardInput.FlushAsync();
        string? line;
        do
        {
            line = await ReadLineAsync();
        }
        while (line is not null && line.StartsWith("[createdump]", StringComparison.Ordinal));

        return line == "pong";
    }

    /// <summary>Every thread's state letter from /proc (t: stopped by a tracer).</summary>
    public IReadOnlyList<char> ThreadStates() =>
        [.. Directory.GetDirectories($"/proc/{Id}/task").Select(task => File.ReadLines(Path.Combine(task, "status")).First(l => l.StartsWith("State:", StringComparison.Ordinal))["State:".Length..].Trim()[0])];

    public void Dispose()
    {
        try
        {
            if (Id > 0)
            {
                using var target = Process.GetProcessById(Id);
                target.Kill();
            }
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
        }

        try
        {
            _shell.Kill(entireProcessTree: true);
            _shell.WaitForExit(Guard);
        }
        catch (InvalidOperationException)
        {
        }

        _shell.Dispose();
    }

    private async Task<string?> ReadLineAsync()
    {
        using var guard = new CancellationTokenSource(Guard);
        return await _shell.StandardOutput.ReadLineAsync(guard.Token);
    }
}
