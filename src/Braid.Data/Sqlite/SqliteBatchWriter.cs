using Microsoft.Data.Sqlite;

namespace Braid.Data.Sqlite;

/// <summary>
/// Writes one batch inside the single writer's open <c>BEGIN IMMEDIATE</c> transaction
/// (<see cref="SqliteSingleWriter{T}"/>). Whatever else it writes in <paramref name="transaction"/>
/// (an ingest's progress, say) commits or rolls back with the batch.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="transaction">The open transaction; commands must use it (<c>command.Transaction = transaction</c>).</param>
/// <param name="batch">The batch, in the order the items were added; valid only during the call (the list is reused).</param>
/// <remarks>Runs synchronously on the writer's thread: Microsoft.Data.Sqlite has no truly asynchronous calls.</remarks>
public delegate void SqliteBatchWriter<T>(SqliteTransaction transaction, IReadOnlyList<T> batch);
