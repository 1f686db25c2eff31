using System.Diagnostics;

namespace Braid.Tracing.Tests;

/// <summary>The braid command as a real process (<c>dotnet Braid.Cli.dll ...</c>), optionally as another user.</summary>
internal static class BraidProcess
{
    /// <summary>
    /// The test folder copied where any user can read it: a clone under <c>/root</c> is not readable by
    /// <c>nobody</c>, and braid must fail on the target's permissions, not on its own files.
    /// </summary>
    private static readonly Lazy<string> ReadableCopy = new(() =>
    {
        // Copies left by earlier runs whose process is gone (the test host may exit without running ProcessExit).
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "braid-tracing-tests-*"))
        {
            if (int.TryParse(Path.GetFileName(stale)["braid-tracing-tests-".Length..], out var owner) && !Directory.Exists($"/proc/{owner}"))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        var folder = Path.Combine(Path.GetTempPath(), $"braid-tracing-tests-{Environment.ProcessId}");
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(folder, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }

        foreach (var path in Directory.GetDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            }
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    });

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

        start.ArgumentList.Add(Path.Combine(asUser is null ? AppContext.BaseDirectory : ReadableCopy.Value, "Braid.Cli.dll"));
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
