using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection.Metadata;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Runtime;

namespace Braid.Tracing;

/// <summary>
/// <c>braid ps</c>'s library: the async state of a running .NET process, read from outside with no change to
/// it. The process is paused while its heap is read (every thread is suspended by the debugger interface)
/// and resumed before <see cref="Capture(int)"/> returns; the snapshot reports both times.
/// </summary>
/// <example>
/// <code>
/// var snapshot = AsyncProcess.Capture(pid);
/// Console.Write(snapshot.ToTree(coalesce: true));
/// </code>
/// </example>
public static class AsyncProcess
{
    /// <summary>Set to any value, <see cref="Capture(int)"/> stops forever once attached (tests kill braid there: the target must not stay paused).</summary>
    internal const string HoldAfterAttachVariable = "BRAID_PS_TEST_HOLD_AFTER_ATTACH";

    /// <summary>Set to any value, attaching fails as if ptrace were not permitted (tests take the dump fallback that way).</summary>
    internal const string RefuseAttachVariable = "BRAID_PS_TEST_REFUSE_ATTACH";

    /// <summary>The folder dumps are written to, instead of the temporary folder (tests check nothing is left there).</summary>
    internal const string DumpFolderVariable = "BRAID_PS_DUMP_FOLDER";

    /// <summary>Set to <c>copy</c>, <c>in-place</c> or <c>dump</c>, <see cref="Capture(int)"/> reads that way instead of choosing (tests and the benchmark).</summary>
    internal const string ReadModeVariable = "BRAID_PS_READ";

    /// <summary>
    /// Attaches to <paramref name="processId"/>, pauses it, reads every pending async method and (when it uses
    /// Braid with a diagnostic contract this reader knows) its task groups and children, and detaches.
    /// When attaching is refused (ptrace restricted), reads a dump the target's runtime writes instead,
    /// and deletes it. Completes synchronously; it cannot be cancelled once attached (the pause is what it measures).
    /// </summary>
    /// <param name="processId">The process to read.</param>
    /// <returns>The await tree and how long the process was paused.</returns>
    /// <exception cref="TracingException">No such process, not a .NET process, another user's process, or a runtime that cannot be read.</exception>
    public static AsyncSnapshot Capture(int processId) => Capture(processId, ModeFromEnvironment());

    /// <summary>Reads <paramref name="processId"/> the way <paramref name="mode"/> says (<see cref="ReadMode.Auto"/>: a copy when it fits in memory).</summary>
    internal static AsyncSnapshot Capture(int processId, ReadMode mode)
    {
        var timings = new CaptureTimings();
        var name = ProcessName(processId);
        if (mode == ReadMode.Dump)
        {
            return FromDump(processId, name, timings, refusal: null);
        }

        ProcessCopy.Arena? arena = null;
        if (mode is ReadMode.Auto or ReadMode.Copy)
        {
            var estimate = ProcessCopy.Estimate(processId);
            if (mode == ReadMode.Auto)
            {
                mode = estimate is { } bytes && bytes <= CopyBudget() ? ReadMode.Copy : ReadMode.InPlace;
            }

            // Ready before the pause, with room for the process to grow a little meanwhile.
            arena = mode == ReadMode.Copy ? new ProcessCopy.Arena((estimate ?? 0) + ((estimate ?? 0) / 16) + (16 << 20)) : null;
            timings.Mark("plan");
        }

        DataTarget target;
        var paused = Stopwatch.StartNew();
        try
        {
            if (Environment.GetEnvironmentVariable(RefuseAttachVariable) is not null)
            {
                throw new UnauthorizedAccessException("ptrace: operation not permitted");
            }

            target = DataTarget.AttachToProcess(processId, suspend: true);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            var refusal = Refused(processId, name, error);
            if (!Exists(processId))
            {
                throw refusal;
            }

            return FromDump(processId, name, timings, refusal);
        }

        timings.Mark("attach");
        var detached = false;
        try
        {
            if (Environment.GetEnvironmentVariable(HoldAfterAttachVariable) is not null)
            {
                Console.Error.WriteLine("braid ps: attached");
                Thread.Sleep(Timeout.Infinite);
            }

            if (mode == ReadMode.Copy)
            {
                // Copy what can change, resume the process, then read the copy at leisure (rule 175).
                using var copy = ProcessCopy.Take(processId, target.DataReader, arena!);
                timings.Mark("copy");
                target.Dispose();
                detached = true;
                paused.Stop();
                timings.Mark("detach");
                using var copied = new DataTarget(copy, new DataTargetOptions());
                var read = Read(copied, processId, name, timings);
                return new AsyncSnapshot(processId, name, read.Runtime, read.Contract, read.Warning, read.Graph.Roots, paused.Elapsed, timings.Total)
                {
                    Source = string.Create(CultureInfo.InvariantCulture, $"copied {copy.CopiedBytes / (1024 * 1024)} MB"),
                    Cycles = read.Graph.Cycles,
                    Timings = timings.Phases,
                };
            }

            var inPlace = Read(target, processId, name, timings);
            target.Dispose();
            detached = true;
            paused.Stop();
            timings.Mark("detach");
            return new AsyncSnapshot(processId, name, inPlace.Runtime, inPlace.Contract, inPlace.Warning, inPlace.Graph.Roots, paused.Elapsed, timings.Total)
            {
                Source = "read in place",
                Cycles = inPlace.Graph.Cycles,
                Timings = timings.Phases,
            };
        }
        catch (TracingException)
        {
            throw;
        }
        catch (Exception error) when (error is InvalidOperationException or IOException or ClrDiagnosticsException or ArgumentException)
        {
            throw new TracingException($"could not read process {processId} ({name}): {error.Message}", error);
        }
        finally
        {
            if (!detached)
            {
                target.Dispose();
            }
        }
    }

    /// <summary>
    /// Asks the target's runtime for a dump through its diagnostic port (its <c>createdump</c> pauses it while
    /// writing), reads the dump, and deletes it: unlinked as soon as it is open, so nothing is left behind
    /// even if braid is killed while reading it.
    /// </summary>
    private static AsyncSnapshot FromDump(int processId, string name, CaptureTimings timings, TracingException? refusal)
    {
        var path = Path.Combine(Environment.GetEnvironmentVariable(DumpFolderVariable) ?? Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"braid-ps-{processId}-{Guid.NewGuid():N}.dmp"));
        try
        {
            var paused = Stopwatch.StartNew();
            try
            {
                new DiagnosticsClient(processId).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // The runtime's answer can span lines (createdump's log): its first line is the reason.
                var reason = error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? error.GetType().Name;
                throw refusal ?? new TracingException($"cannot read process {processId} ({name}) through a dump: {reason}", error);
            }

            paused.Stop();
            timings.Mark("dump");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.RandomAccess);
            File.Delete(path);
            using var target = DataTarget.LoadDump(path, stream, leaveOpen: false);
            var read = Read(target, processId, name, timings);
            return new AsyncSnapshot(processId, name, read.Runtime, read.Contract, read.Warning, read.Graph.Roots, paused.Elapsed, timings.Total)
            {
                Source = "dump",
                Cycles = read.Graph.Cycles,
                Refusal = refusal?.Message,
                Timings = timings.Phases,
            };
        }
        catch (TracingException)
        {
            throw;
        }
        catch (Exception error) when (error is InvalidOperationException or IOException or ClrDiagnosticsException or ArgumentException or InvalidDataException)
        {
            throw new TracingException($"could not read the dump of process {processId} ({name}): {error.Message}", error);
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static (string Runtime, int? Contract, string? Warning, (IReadOnlyList<AsyncNode> Roots, IReadOnlyList<Braid.Diagnostics.WaitCycle> Cycles) Graph) Read(DataTarget target, int processId, string name, CaptureTimings timings)
    {
        if (target.ClrVersions.IsEmpty)
        {
            throw new TracingException($"process {processId} ({name}) is not a .NET process: no .NET runtime is loaded in it");
        }

        var clr = target.ClrVersions[0];
        timings.Mark("find runtime");
        using var runtime = CreateRuntime(clr, processId);
        timings.Mark("load DAC");
        var (contract, warning) = ReadContract(runtime);
        timings.Mark("contract");
        var graph = HeapGraph.Read(runtime, contract == ContractV1.Version, timings);
        return (RuntimeVersion(clr), contract, warning, graph);
    }

    private static ReadMode ModeFromEnvironment() => Environment.GetEnvironmentVariable(ReadModeVariable) switch
    {
        "copy" => ReadMode.Copy,
        "in-place" => ReadMode.InPlace,
        "dump" => ReadMode.Dump,
        _ => ReadMode.Auto,
    };

    /// <summary>A copy may take half the memory available now (<c>MemAvailable</c>); above that the heap is read in place, the process paused longer.</summary>
    private static long CopyBudget()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            var kilobytes = line?["MemAvailable:".Length..].Trim().Split(' ')[0];
            return long.TryParse(kilobytes, NumberStyles.None, CultureInfo.InvariantCulture, out var available) ? available * 1024 / 2 : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The runtime's version: ClrMD reads 0.0 on this runtime, so the name of its shared folder (<c>shared/Microsoft.NETCore.App/10.0.12</c>) when it is one.</summary>
    private static string RuntimeVersion(ClrInfo clr)
    {
        if (clr.Version.Major > 0)
        {
            return clr.Version.ToString();
        }

        var folder = Path.GetFileName(Path.GetDirectoryName(clr.ModuleInfo.FileName));
        return Version.TryParse(folder, out _) ? folder! : "unknown version";
    }

    private static ClrRuntime CreateRuntime(ClrInfo clr, int processId)
    {
        // The runtime's own DAC, beside libcoreclr.so: ClrMD's lookup reads the version as 0.0 on this
        // runtime and fails with "Could not find matching DAC" (docs/tracing.md).
        var folder = Path.GetDirectoryName(clr.ModuleInfo.FileName);
        var dac = folder is null ? null : Path.Combine(folder, OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so");
        if (dac is not null && File.Exists(dac))
        {
            return clr.CreateRuntime(dac, ignoreMismatch: true);
        }

        try
        {
            return clr.CreateRuntime();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new TracingException($"could not read process {processId}: its runtime's debugging library (libmscordaccore) was not found beside {clr.ModuleInfo.FileName}", error);
        }
    }

    /// <summary>The diagnostic contract version stamped on the target's Braid assembly (null when it has no Braid), and a warning when this reader does not know it.</summary>
    private static (int? Version, string? Warning) ReadContract(ClrRuntime runtime)
    {
        var braid = runtime.EnumerateModules().FirstOrDefault(m => string.Equals(Path.GetFileName(m.Name ?? m.AssemblyName), "Braid.dll", StringComparison.Ordinal));
        if (braid is null)
        {
            return (null, null);
        }

        var version = ReadContractVersion(runtime, braid);
        return version switch
        {
            ContractV1.Version => (version, null),
            null => (0, "the target's Braid has no diagnostic contract: task groups and children are shown as plain async methods"),
            _ => (version, $"the target's Braid speaks diagnostic contract {version}, this braid reads {ContractV1.Version}: task groups and children are shown as plain async methods"),
        };
    }

    private static int? ReadContractVersion(ClrRuntime runtime, ClrModule module)
    {
        if (module.MetadataAddress == 0 || module.MetadataLength is 0 or > 64 * 1024 * 1024)
        {
            return null;
        }

        var bytes = new byte[(int)module.MetadataLength];
        if (runtime.DataTarget.DataReader.Read(module.MetadataAddress, bytes) != bytes.Length)
        {
            return null;
        }

        using var provider = MetadataReaderProvider.FromMetadataImage(ImmutableArray.Create(bytes));
        var reader = provider.GetMetadataReader();
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            var constructor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference
                || reader.GetString(reader.GetTypeReference((TypeReferenceHandle)constructor.Parent).Name) != "AssemblyMetadataAttribute")
            {
                continue;
            }

            var blob = reader.GetBlobReader(attribute.Value);
            if (blob.ReadUInt16() != 1)
            {
                continue;
            }

            var key = blob.ReadSerializedString();
            var value = blob.ReadSerializedString();
            if (key == ContractV1.MetadataKey)
            {
                return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) ? version : -1;
            }
        }

        return null;
    }

    private static string ProcessName(int processId)
    {
        if (processId <= 0)
        {
            throw new TracingException($"no process with id {processId}");
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return process.ProcessName;
        }
        catch (ArgumentException)
        {
            throw new TracingException($"no process with id {processId} (it does not exist or has exited)");
        }
        catch (InvalidOperationException)
        {
            throw new TracingException($"no process with id {processId} (it has exited)");
        }
    }

    private static bool Exists(int processId) => Directory.Exists($"/proc/{processId}") || Process.GetProcesses().Any(p => p.Id == processId);

    private static TracingException Refused(int processId, string name, Exception error)
    {
        if (!Exists(processId))
        {
            return new TracingException($"no process with id {processId} (it has exited)", error);
        }

        var message = error.Message;
        if (message.Contains("permission", StringComparison.OrdinalIgnoreCase) || message.Contains("not permitted", StringComparison.OrdinalIgnoreCase)
            || message.Contains("denied", StringComparison.OrdinalIgnoreCase) || error is UnauthorizedAccessException)
        {
            return new TracingException($"cannot attach to process {processId} ({name}): permission denied (it belongs to another user, or ptrace is restricted); run braid as its user or as root", error);
        }

        return new TracingException($"cannot attach to process {processId} ({name}): {message}", error);
    }
}
