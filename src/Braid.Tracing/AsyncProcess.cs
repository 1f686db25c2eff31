using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection.Metadata;
using Microsoft.Diagnostics.Runtime;

namespace Braid.Tracing;

/// <summary>
/// <c>braid ps</c>'s library: the async state of a running .NET process, read from outside with no change to
/// it. The process is paused while its heap is read (every thread is suspended by the debugger interface)
/// and resumed before <see cref="Capture"/> returns; the snapshot reports both times.
/// </summary>
/// <example>
/// <code>
/// var snapshot = AsyncProcess.Capture(pid);
/// Console.Write(snapshot.ToTree(coalesce: true));
/// </code>
/// </example>
public static class AsyncProcess
{
    /// <summary>Set to any value, <see cref="Capture"/> stops forever once attached (tests kill braid there: the target must not stay paused).</summary>
    internal const string HoldAfterAttachVariable = "BRAID_PS_TEST_HOLD_AFTER_ATTACH";

    /// <summary>
    /// Attaches to <paramref name="processId"/>, pauses it, reads every pending async method and (when it uses
    /// Braid with a diagnostic contract this reader knows) its task groups and children, and detaches.
    /// Completes synchronously; it cannot be cancelled once attached (the pause is what it measures).
    /// </summary>
    /// <param name="processId">The process to read.</param>
    /// <returns>The await tree and how long the process was paused.</returns>
    /// <exception cref="TracingException">No such process, not a .NET process, another user's process, or a runtime that cannot be read.</exception>
    public static AsyncSnapshot Capture(int processId)
    {
        var total = Stopwatch.StartNew();
        var name = ProcessName(processId);
        DataTarget target;
        try
        {
            target = DataTarget.AttachToProcess(processId, suspend: true);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw Refused(processId, name, error);
        }

        var paused = Stopwatch.StartNew();
        var detached = false;
        try
        {
            if (Environment.GetEnvironmentVariable(HoldAfterAttachVariable) is not null)
            {
                Console.Error.WriteLine("braid ps: attached");
                Thread.Sleep(Timeout.Infinite);
            }

            if (target.ClrVersions.IsEmpty)
            {
                throw new TracingException($"process {processId} ({name}) is not a .NET process: no .NET runtime is loaded in it");
            }

            var clr = target.ClrVersions[0];
            using var runtime = CreateRuntime(clr, processId);
            var (contract, warning) = ReadContract(runtime);
            var roots = HeapGraph.Read(runtime, contract == ContractV1.Version);
            target.Dispose();
            detached = true;
            paused.Stop();
            return new AsyncSnapshot(processId, name, RuntimeVersion(clr), contract, warning, roots, paused.Elapsed, total.Elapsed);
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

    private static TracingException Refused(int processId, string name, Exception error)
    {
        if (!Process.GetProcesses().Any(p => p.Id == processId))
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
