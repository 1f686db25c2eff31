using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Microsoft.Diagnostics.Runtime;

namespace Braid.Tracing;

/// <summary>
/// A copy of a paused process's memory, taken so that it can be resumed before its heap is read
/// (docs/design.md rule 175): every readable private or writable mapping is copied while the process is
/// stopped; shared read-only file mappings, which equal their files, are read from the files afterwards.
/// ClrMD then reads the copy as it would a core dump.
/// </summary>
internal sealed class ProcessCopy : IDataReader, IDisposable
{
    private readonly Region[] _regions;
    private readonly ulong[] _starts;
    private readonly (ulong ImageBase, string File)[] _modules;
    private readonly Dictionary<string, SafeFileHandle?> _files = new(StringComparer.Ordinal);
    private readonly Lock _filesGate = new();

    private ProcessCopy(int processId, Region[] regions, (ulong, string)[] modules, long copiedBytes)
    {
        ProcessId = processId;
        _regions = regions;
        _starts = [.. regions.Select(r => r.Start)];
        _modules = modules;
        CopiedBytes = copiedBytes;
    }

    /// <summary>How many bytes were copied while the process was paused.</summary>
    public long CopiedBytes { get; }

    public string DisplayName => $"copy of process {ProcessId}";

    public bool IsThreadSafe => true;

    public OSPlatform TargetPlatform => OSPlatform.Linux;

    public Architecture Architecture => RuntimeInformation.ProcessArchitecture;

    public int ProcessId { get; }

    public int PointerSize => IntPtr.Size;

    /// <summary>
    /// About how many bytes <see cref="Take"/> will copy from <paramref name="processId"/> (its resident memory,
    /// <c>VmRSS</c>); null when it cannot be told (not Linux, or gone).
    /// </summary>
    public static long? Estimate(int processId)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kilobytes = line?["VmRSS:".Length..].Trim().Split(' ')[0];
            return long.TryParse(kilobytes, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * 1024 : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Copies the memory of <paramref name="processId"/>, which must be paused, through <paramref name="live"/> (a
    /// reader attached to it), into <paramref name="arena"/> (memory made ready before the pause) and, when that is
    /// too small, into more.
    /// </summary>
    public static ProcessCopy Take(int processId, IMemoryReader live, Arena arena)
    {
        var maps = Mappings(File.ReadAllText($"/proc/{processId}/maps"));
        var regions = new List<Region>();
        var copied = 0L;
        using var pagemap = OpenPagemap(processId);
        var page = (ulong)Environment.SystemPageSize;
        foreach (var map in maps)
        {
            if (!map.Copy)
            {
                regions.Add(new Region(map.Start, map.End - map.Start, null, 0, map.File, map.Offset));
                continue;
            }

            // Only the pages in memory are copied: reading a page never touched would make the kernel map it
            // (slow, and in the pause). One never touched reads as zeros, or as its file when it maps one.
            var present = Present(pagemap, map, page);
            for (var first = 0; first < present.Length;)
            {
                var last = first;
                while (last < present.Length && present[last] == present[first])
                {
                    last++;
                }

                var start = map.Start + ((ulong)first * page);
                var end = Math.Min(map.End, map.Start + ((ulong)last * page));
                if (present[first])
                {
                    copied += Copy(live, arena, start, end, regions);
                }
                else
                {
                    regions.Add(new Region(start, end - start, null, 0, map.FileBacked ? map.File : null, map.Offset + (long)(start - map.Start)));
                }

                first = last;
            }
        }

        var modules = maps
            .Where(m => m.File is not null && m.Offset == 0 && m.File.StartsWith('/') && !m.File.StartsWith("/memfd:", StringComparison.Ordinal) && !m.File.EndsWith(" (deleted)", StringComparison.Ordinal))
            .GroupBy(m => m.File!, StringComparer.Ordinal)
            .Select(g => (g.Min(m => m.Start), g.Key))
            .ToArray();
        return new ProcessCopy(processId, [.. regions.OrderBy(r => r.Start)], modules, copied);
    }

    private static long Copy(IMemoryReader live, Arena arena, ulong start, ulong end, List<Region> regions)
    {
        var copied = 0L;
        while (start < end)
        {
            var (bytes, offset, length) = arena.Next((long)(end - start));
            var read = live.Read(start, bytes.AsSpan(offset, length));
            if (read <= 0)
            {
                break;
            }

            arena.Used(read);
            copied += read;
            regions.Add(new Region(start, (ulong)read, bytes, offset, null, 0));
            start += (ulong)read;
            if (read < length)
            {
                break;
            }
        }

        return copied;
    }

    private static SafeFileHandle? OpenPagemap(int processId)
    {
        try
        {
            return File.OpenHandle($"/proc/{processId}/pagemap");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Which pages of <paramref name="map"/> are in memory or swapped out (<c>/proc/PID/pagemap</c> bits 63 and 62); all when it cannot be read.</summary>
    private static bool[] Present(SafeFileHandle? pagemap, Mapping map, ulong page)
    {
        var count = (int)((map.End - map.Start + page - 1) / page);
        var present = new bool[count];
        var entries = new ulong[count];
        var bytes = MemoryMarshal.AsBytes(entries.AsSpan());
        var read = 0;
        try
        {
            while (pagemap is not null && read < bytes.Length)
            {
                var n = RandomAccess.Read(pagemap, bytes[read..], (long)(map.Start / page * 8) + read);
                if (n <= 0)
                {
                    break;
                }

                read += n;
            }
        }
        catch (IOException)
        {
        }

        for (var i = 0; i < count; i++)
        {
            present[i] = read < bytes.Length || (entries[i] & (3UL << 62)) != 0;
        }

        return present;
    }

    public IEnumerable<ModuleInfo> EnumerateModules()
    {
        foreach (var (imageBase, file) in _modules)
        {
            if (ModuleInfo.TryCreate(this, imageBase, file, new DataTargetLimits()) is { } module)
            {
                yield return module;
            }
        }
    }

    public bool GetThreadContext(uint threadID, uint contextFlags, Span<byte> context) => false;

    public void FlushCachedData()
    {
    }

    public int Read(ulong address, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var at = address + (ulong)done;
            var index = Array.BinarySearch(_starts, at);
            if (index < 0)
            {
                index = ~index - 1;
            }

            if (index < 0)
            {
                break;
            }

            var region = _regions[index];
            if (at >= region.Start + region.Length)
            {
                break;
            }

            var offset = at - region.Start;
            var count = (int)Math.Min((ulong)(buffer.Length - done), region.Length - offset);
            var target = buffer.Slice(done, count);
            if (region.Bytes is not null)
            {
                region.Bytes.AsSpan(region.Offset + (int)offset, count).CopyTo(target);
            }
            else if (region.File is null)
            {
                target.Clear();
            }
            else
            {
                var read = ReadFile(region, offset, target);
                done += read;
                if (read < count)
                {
                    break;
                }

                continue;
            }

            done += count;
        }

        return done;
    }

    public bool Read<T>(ulong address, out T value)
        where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Unsafe.SizeOf<T>()];
        if (Read(address, bytes) == bytes.Length)
        {
            value = MemoryMarshal.Read<T>(bytes);
            return true;
        }

        value = default;
        return false;
    }

    public T Read<T>(ulong address)
        where T : unmanaged => Read(address, out T value) ? value : default;

    public bool ReadPointer(ulong address, out ulong value)
    {
        var read = Read(address, out nuint pointer);
        value = pointer;
        return read;
    }

    public ulong ReadPointer(ulong address) => ReadPointer(address, out var value) ? value : 0;

    public void Dispose()
    {
        lock (_filesGate)
        {
            foreach (var handle in _files.Values)
            {
                handle?.Dispose();
            }

            _files.Clear();
        }
    }

    private int ReadFile(Region region, ulong offset, Span<byte> target)
    {
        SafeFileHandle? handle;
        lock (_filesGate)
        {
            if (!_files.TryGetValue(region.File!, out handle))
            {
                try
                {
                    handle = File.OpenHandle(region.File!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    handle = null;
                }

                _files[region.File!] = handle;
            }
        }

        if (handle is null)
        {
            return 0;
        }

        var done = 0;
        while (done < target.Length)
        {
            var read = RandomAccess.Read(handle, target[done..], region.FileOffset + (long)offset + done);
            if (read <= 0)
            {
                // Past the file's end, a mapping reads zeros.
                target[done..].Clear();
                return target.Length;
            }

            done += read;
        }

        return done;
    }

    /// <summary>The readable mappings of <c>/proc/PID/maps</c>; <see cref="Mapping.Copy"/> for those whose bytes can change.</summary>
    private static List<Mapping> Mappings(string maps)
    {
        var result = new List<Mapping>();
        foreach (var line in maps.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // 7f2c...-7f2d... rw-p 00000000 08:01 1234    /path/to/file
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 5 || parts[1][0] != 'r')
            {
                continue;
            }

            var range = parts[0].Split('-');
            var start = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var end = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var offset = long.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var file = parts.Length > 5 ? parts[5].Trim() : null;
            if (file is "[vvar]" or "[vsyscall]" or "[vvar_vclock]")
            {
                continue;
            }

            var permissions = parts[1];
            var backedByFile = file is not null && file.StartsWith('/') && !file.EndsWith(" (deleted)", StringComparison.Ordinal);

            // A shared read-only file mapping equals its file; a private one may have been written before it was
            // made read-only (relocations), so it is copied like everything writable.
            var copy = !backedByFile || permissions[1] == 'w' || permissions[3] == 'p';
            result.Add(new Mapping(start, end, offset, file, copy, backedByFile));
        }

        return result;
    }

    private sealed record Mapping(ulong Start, ulong End, long Offset, string? File, bool Copy, bool FileBacked);

    private sealed record Region(ulong Start, ulong Length, byte[]? Bytes, int Offset, string? File, long FileOffset);

    /// <summary>
    /// Memory for a copy, allocated and touched page by page before the process is paused: on a loaded machine
    /// the first write to fresh memory costs more than copying into it, and that cost must not fall in the pause.
    /// </summary>
    internal sealed class Arena
    {
        private const int ChunkSize = 64 * 1024 * 1024;
        private const nint HugePage = 2 * 1024 * 1024;
        private const int AdviseHugePage = 14;
        private readonly List<byte[]> _chunks = [];
        private int _current;
        private int _used;

        /// <summary>Allocates and touches about <paramref name="bytes"/> bytes.</summary>
        public Arena(long bytes)
        {
            for (var left = bytes; left > 0; left -= ChunkSize)
            {
                _chunks.Add(Touched((int)Math.Min(ChunkSize, left)));
            }
        }

        /// <summary>The next free piece, at most <paramref name="wanted"/> bytes (a new chunk when the arena is full).</summary>
        public (byte[] Bytes, int Offset, int Length) Next(long wanted)
        {
            while (_current < _chunks.Count && _used == _chunks[_current].Length)
            {
                _current++;
                _used = 0;
            }

            if (_current == _chunks.Count)
            {
                _chunks.Add(GC.AllocateUninitializedArray<byte>(ChunkSize));
            }

            var chunk = _chunks[_current];
            return (chunk, _used, (int)Math.Min(wanted, chunk.Length - _used));
        }

        [DllImport("libc", EntryPoint = "madvise")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int Madvise(nint address, nuint length, int advice);

        /// <summary>Marks <paramref name="bytes"/> of the last piece used.</summary>
        public void Used(int bytes) => _used += bytes;

        private static byte[] Touched(int length)
        {
            // Huge pages where the kernel allows them (transparent huge pages on request): 512 times fewer faults.
            var chunk = GC.AllocateUninitializedArray<byte>(length, pinned: true);
            if (OperatingSystem.IsLinux())
            {
                var address = Marshal.UnsafeAddrOfPinnedArrayElement(chunk, 0);
                var aligned = (address + HugePage - 1) & ~(HugePage - 1);
                if (aligned + HugePage <= address + length)
                {
                    _ = Madvise(aligned, (nuint)((address + length - aligned) & ~(HugePage - 1)), AdviseHugePage);
                }
            }

            for (var i = 0; i < length; i += 4096)
            {
                chunk[i] = 0;
            }

            return chunk;
        }
    }
}
