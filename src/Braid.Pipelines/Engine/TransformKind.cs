namespace Braid.Pipelines.Engine;

/// <summary>What a transform stage does with each item.</summary>
internal enum TransformKind
{
    Map,
    MapAsync,
    Filter,
    FlatMap,
    FlatMapAsync,
}
