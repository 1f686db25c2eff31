using System.Diagnostics;

namespace Braid.Tracing.Tests;

/// <summary>The braid command as a real process (<c>dotnet Braid.Cli.dll ...</c>), optionally as another user.</summary>
internal static class BraidProcess
{
    public static ProcessStartInfo StartInfo(string? asUser, params string[] args)
    {
        var start = new ProcessStartInfo(asUser is null ? "dotnet" : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asUser is not null)
        {
            foreach (var arg in new[] { "-u", asUser, "--", "dotnet" })
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Braid.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string? asUser, params string[] args)
    {
        using var process = Process.Start(StartInfo(asUser, args))!;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(guard.Token);
        var stderr = process.StandardError.ReadToEndAsync(guard.Token);
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
