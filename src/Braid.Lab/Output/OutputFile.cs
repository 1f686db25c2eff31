using System.Runtime.InteropServices;
using System.Text;

namespace Braid.Lab.Output;

/// <summary>
/// Writes an output file the way a careful user expects (docs/design.md rule 97): <c>-</c> is standard
/// output; a symlink is followed; a FIFO, a device or another special file is written in place; a
/// regular file is written to a temporary file in its folder and renamed over the target, keeping the
/// target's mode and owner (a new file gets 0666 less the umask), so a reader never sees a partial file
/// and an interrupted write leaves the previous file and no temporary one.
/// </summary>
public static class OutputFile
{
    /// <summary>The path that means standard output.</summary>
    public const string StandardOutput = "-";

    /// <summary>The path with every symlink resolved (in its folders and at its end), absolute; <c>-</c> stays <c>-</c>. Two options naming the same file have the same real path.</summary>
    /// <param name="path">An output path.</param>
    /// <returns>The real path.</returns>
    public static string RealPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return path == StandardOutput ? path : Resolve(Path.GetFullPath(path), 0);
    }

    /// <summary>Checks, before any work, that <paramref name="path"/> can be written, leaving nothing behind.</summary>
    /// <param name="path">An output path.</param>
    /// <returns>Null when it can be written, otherwise one sentence saying why not, naming <paramref name="path"/> as given.</returns>
    public static string? Check(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "an output path is empty";
        }

        if (path == StandardOutput)
        {
            return null;
        }

        try
        {
            var real = RealPath(path);
            if (Directory.Exists(real))
            {
                return $"{path} is a directory";
            }

            var folder = Path.GetDirectoryName(real)!;
            if (!Directory.Exists(folder))
            {
                return $"cannot write {path}: the folder {Path.GetDirectoryName(Path.GetFullPath(path))} does not exist";
            }

            if (FileNode.Stat(real) is { IsRegular: false })
            {
                // Written in place: opening a FIFO would wait for its reader, so the check stops here.
                return null;
            }

            // The temporary file the write will create, created and removed now.
            using (new FileStream(TemporaryPath(real), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception e) when (IsFileError(e))
        {
            return $"cannot write {path}: {Reason(e)}";
        }
    }

    /// <summary>Writes <paramref name="content"/> as UTF-8 (without a byte order mark) to <paramref name="path"/>.</summary>
    /// <param name="path">An output path, or <c>-</c>.</param>
    /// <param name="content">The text.</param>
    /// <param name="cancellationToken">Stops the write; a regular file is then left as it was.</param>
    /// <returns>A task that completes when the file is in place.</returns>
    public static Task WriteAsync(string path, string content, CancellationToken cancellationToken = default) =>
        WriteAsync(path, (stream, ct) => stream.WriteAsync(new UTF8Encoding(false).GetBytes(content), ct).AsTask(), cancellationToken);

    /// <summary>Writes what <paramref name="write"/> writes to its stream to <paramref name="path"/>.</summary>
    /// <param name="path">An output path, or <c>-</c>.</param>
    /// <param name="write">Writes the content to the stream it is given (and does not dispose it).</param>
    /// <param name="cancellationToken">Stops the write; a regular file is then left as it was.</param>
    /// <returns>A task that completes when the file is in place.</returns>
    /// <exception cref="IOException">The file cannot be written; <see cref="Reason"/> says why in one phrase.</exception>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path == StandardOutput)
        {
            var stdout = Console.OpenStandardOutput();
            await using (stdout.ConfigureAwait(false))
            {
                await write(stdout, cancellationToken).ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var real = RealPath(path);
        var existing = FileNode.Stat(real);
        if (existing is { IsRegular: false })
        {
            // A device, FIFO or socket: replacing the node would destroy it (issue 12: /dev/full as root).
            var special = new FileStream(real, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            await using (special.ConfigureAwait(false))
            {
                await write(special, cancellationToken).ConfigureAwait(false);
                await special.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var temporary = TemporaryPath(real);
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true); // the rename must not reach the disk before the content
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (existing is { } target && FileNode.IsKnownLayout && OperatingSystem.IsLinux())
            {
                if (target.Owner != FileNode.EffectiveUser || target.Group != FileNode.Stat(temporary)?.Group)
                {
                    // Only root may give a file away; anyone else keeps the new file as theirs, as an editor does.
                    FileNode.SetOwner(temporary, target.Owner, target.Group);
                }

                // After chown, which clears the set-user-id and set-group-id bits.
                File.SetUnixFileMode(temporary, (UnixFileMode)target.Mode);
            }

            File.Move(temporary, real, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // nothing there after the rename; the partial file after a failure
        }
    }

    /// <summary>Why a file operation failed, in one phrase without .NET's wording or paths (<c>permission denied</c>).</summary>
    /// <param name="e">An exception from a file operation.</param>
    /// <returns>The reason.</returns>
    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "its folder does not exist",
        PathTooLongException => "the path is too long",
        IOException { HResult: > 0 and < 4096 } io => Marshal.GetPInvokeErrorMessage(io.HResult).ToLowerInvariant(),
        ArgumentException => "not a valid path",
        _ => "it cannot be written",
    };

    /// <summary>Whether <paramref name="e"/> is a failure to write a file (not a bug).</summary>
    /// <param name="e">An exception.</param>
    /// <returns>True for I/O, permission and path errors.</returns>
    public static bool IsFileError(Exception e) => e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException;

    // Hidden, beside the target (a rename within one folder is atomic), unique per write.
    private static string TemporaryPath(string real) =>
        Path.Combine(Path.GetDirectoryName(real)!, $".{Path.GetFileName(real)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static string Resolve(string full, int depth)
    {
        var parent = Path.GetDirectoryName(full);
        if (parent is null || depth > 40)
        {
            return full; // the root, or a symlink loop (the write then fails with the system's reason)
        }

        var path = Path.Combine(Resolve(parent, depth), Path.GetFileName(full));
        var target = new FileInfo(path).LinkTarget;
        return target is null ? path : Resolve(Path.GetFullPath(target, Path.GetDirectoryName(path)!), depth + 1);
    }
}
