using System.Buffers;
using System.Runtime.CompilerServices;

namespace Braid.Pipelines.Engine;

/// <summary>A batch of items moving between two stages: a pooled array and how many of its slots are used.</summary>
internal readonly struct Segment<T>
{
    public Segment(T[] items, int count)
    {
        Items = items;
        Count = count;
    }

    public T[] Items { get; }

    public int Count { get; }

    public static T[] Rent(int size) => ArrayPool<T>.Shared.Rent(size);

    /// <summary>Gives the array back to the pool, cleared when it holds references so the pool keeps no item alive.</summary>
    public void Return() => ArrayPool<T>.Shared.Return(Items, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
}
