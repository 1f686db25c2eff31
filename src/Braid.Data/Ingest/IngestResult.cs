namespace Braid.Data.Ingest;

/// <summary>What one run of a resumable ingest did (<see cref="CsvIngest"/>).</summary>
/// <param name="RowsThisRun">Rows committed by this run.</param>
/// <param name="BatchesThisRun">Batches committed by this run.</param>
/// <param name="BatchesSkipped">Batches an earlier run had committed, skipped by this one.</param>
/// <param name="RowsInTable">Rows in the table after this run.</param>
/// <param name="Cancelled">Whether the run was cancelled before the end of the file; run again to resume.</param>
/// <param name="Elapsed">How long the run took.</param>
internal sealed record IngestResult(long RowsThisRun, int BatchesThisRun, int BatchesSkipped, long RowsInTable, bool Cancelled, TimeSpan Elapsed);
