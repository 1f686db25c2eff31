namespace Braid.Pipelines.Engine;

/// <summary>
/// Groups items by key with bounded memory: a group is emitted when it reaches its size limit, when
/// it has been open for its time limit, or, when a new key would exceed the open-group limit, the
/// oldest group is emitted to make room. At the end every open group is emitted, oldest first.
/// </summary>
internal sealed class GroupByStage<TKey, T> : AccumulatorStage<T, Group<TKey, T>>
    where TKey : notnull
{
    private readonly Func<T, TKey> _key;
    private readonly int _maxSize;
    private readonly int _maxGroups;
    private readonly long? _maxAgeTicks;
    private readonly Dictionary<TKey, LinkedListNode<OpenGroup>> _open;
    private readonly LinkedList<OpenGroup> _byAge = new();

    public GroupByStage(Func<T, TKey> key, int maxSize, TimeSpan? maxAge, int maxGroups, IEqualityComparer<TKey>? comparer, RunContext run, StageCounters counters, Link<T> input, Link<Group<TKey, T>> output)
        : base(run, counters, input, output)
    {
        _key = key;
        _maxSize = maxSize;
        _maxGroups = maxGroups;
        _maxAgeTicks = maxAge is { } d ? (long)(d.TotalSeconds * run.Time.TimestampFrequency) : null;
        _open = new Dictionary<TKey, LinkedListNode<OpenGroup>>(comparer);
    }

    protected override long? NextDeadline => _byAge.First is { } oldest && _maxAgeTicks is { } d ? oldest.Value.Opened + d : null;

    protected override void Accept(T item, long now)
    {
        var key = _key(item);
        if (!_open.TryGetValue(key, out var node))
        {
            if (_open.Count == _maxGroups)
            {
                EmitGroup(_byAge.First!);
            }

            node = _byAge.AddLast(new OpenGroup(key, now));
            _open.Add(key, node);
        }

        node.Value.Items.Add(item);
        if (node.Value.Items.Count == _maxSize)
        {
            EmitGroup(node);
        }
    }

    protected override void EmitExpired(long now)
    {
        while (_maxAgeTicks is { } d && _byAge.First is { } oldest && oldest.Value.Opened + d <= now)
        {
            EmitGroup(oldest);
        }
    }

    protected override void EmitAll()
    {
        while (_byAge.First is { } oldest)
        {
            EmitGroup(oldest);
        }
    }

    private void EmitGroup(LinkedListNode<OpenGroup> node)
    {
        _byAge.Remove(node);
        _open.Remove(node.Value.Key);
        Emit(new Group<TKey, T>(node.Value.Key, node.Value.Items));
    }

    private sealed class OpenGroup(TKey key, long opened)
    {
        public TKey Key { get; } = key;

        public long Opened { get; } = opened;

        public List<T> Items { get; } = [];
    }
}
