using System.Runtime.InteropServices;

namespace Braid.Lab.Output;

/// <summary>
/// What is at a path, from stat(2): whether it is a regular file, its mode and its owner. The base
/// library hides the file type (a FIFO or a device looks like an empty file), and an output must tell
/// them apart: regular files are replaced atomically, the others written in place.
/// </summary>
internal static partial class FileNode
{
    // stat(2)'s struct: 144 bytes on x86-64, 128 on arm64; a larger buffer covers both.
    private const int StatSize = 256;
    private const uint TypeMask = 0xF000; // S_IFMT
    private const uint Regular = 0x8000;  // S_IFREG

    /// <summary>A path's node, following symlinks.</summary>
    /// <param name="IsRegular">A regular file (not a FIFO, device or socket).</param>
    /// <param name="Mode">The permission bits (and set-id and sticky bits).</param>
    /// <param name="Owner">The owning user id.</param>
    /// <param name="Group">The owning group id.</param>
    internal readonly record struct Info(bool IsRegular, uint Mode, uint Owner, uint Group);

    /// <summary>The node at <paramref name="path"/>; null when nothing is there (or this platform has no stat).</summary>
    public static Info? Stat(string path)
    {
        if (!IsKnownLayout)
        {
            return File.Exists(path) ? new Info(true, 0, 0, 0) : null;
        }

        var buffer = new byte[StatSize];
        if (CallStat(path, buffer) != 0)
        {
            return null;
        }

        // Offsets of st_mode, st_uid, st_gid in the kernel's layout for each architecture.
        var (mode, uid, gid) = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? (24, 28, 32) : (16, 24, 28);
        var m = BitConverter.ToUInt32(buffer, mode);
        return new Info((m & TypeMask) == Regular, m & 0xFFF, BitConverter.ToUInt32(buffer, uid), BitConverter.ToUInt32(buffer, gid));
    }

    /// <summary>Gives <paramref name="path"/> the owner of the file it replaces; false when the system refuses (only root may give files away).</summary>
    public static bool SetOwner(string path, uint owner, uint group) => IsKnownLayout && chown(path, owner, group) == 0;

    /// <summary>This process's effective user id.</summary>
    public static uint EffectiveUser => IsKnownLayout ? geteuid() : 0;

    // Linux on x86-64 or arm64, whose stat layouts are read below; elsewhere every file counts as regular.
    internal static bool IsKnownLayout =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    private static int CallStat(string path, byte[] buffer)
    {
        try
        {
            return stat(path, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports only the versioned __xstat (version 1 on x86-64, 0 elsewhere).
            return __xstat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer);
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int stat(string path, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "__xstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int __xstat(int version, string path, [Out] byte[] buffer);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
