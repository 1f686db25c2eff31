namespace Braid.Interleaved;

/// <summary>
/// One measured case: <see cref="RunAsync"/> does <see cref="Operations"/> operations and returns a
/// checksum. Cases of one <see cref="Group"/> do the same work and must return the same checksum; the
/// one marked <see cref="IsBaseline"/> is the anchor the others are compared with.
/// </summary>
internal sealed record BenchCase(string Group, string Name, int Operations, Func<Task<long>> RunAsync, bool IsBaseline = false);
