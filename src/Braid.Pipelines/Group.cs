namespace Braid.Pipelines;

/// <summary>
/// A group emitted by <see cref="PipelineBuilder{T}.GroupBy{TKey}"/>: a key and the items that had it,
/// in arrival order. One key can be emitted in several groups when it outgrows the size limit, stays
/// open longer than the time limit, or is evicted to bound memory.
/// </summary>
/// <typeparam name="TKey">The key's type.</typeparam>
/// <typeparam name="T">The items' type.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Items">The items, in arrival order; never empty.</param>
public sealed record Group<TKey, T>(TKey Key, IReadOnlyList<T> Items);
