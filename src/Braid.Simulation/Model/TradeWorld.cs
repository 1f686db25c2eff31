using Braid.Simulation.Kernel;

namespace Braid.Simulation.Model;

/// <summary>
/// The trading model's state as flat arrays (about 22 bytes an agent, whatever the number of years) and
/// its processes on a <see cref="SimulationKernel"/>: a pairing process, one decision process per batch of
/// agents, a settlement process and a yearly census.
/// </summary>
internal sealed class TradeWorld
{
    private const string QuarterKind = "quarter";
    private const string DecideKind = "decide";
    private const string SettleKind = "settle";
    private const string YearKind = "year";

    private readonly TradeSimulationOptions _options;
    private readonly SimulationKernel _kernel;
    private readonly Policy[] _policies;
    private readonly long[] _wealth;
    private readonly Move[] _lastSeen;
    private readonly Move[] _moves;
    private readonly int[] _order;
    private readonly ModelDecider? _model;
    private readonly List<YearRecord> _years = [];
    private long[]? _scratch;
    private readonly int[] _sitOuts = [-1, -1, -1, -1];
    private int _sitOut = -1;
    private long _cooperations;
    private long _defections;
    private long _modelDecisions;
    private long _fallbacks;

    public TradeWorld(TradeSimulationOptions options, SimulationKernel kernel)
    {
        _options = options;
        _kernel = kernel;
        _policies = [.. options.Policies];
        _wealth = new long[options.Agents];
        Array.Fill(_wealth, options.InitialWealth);
        _lastSeen = new Move[options.Agents];
        _moves = new Move[options.Agents];
        _order = new int[options.Agents];
        if (_policies.Contains(Policy.Model))
        {
            _model = new ModelDecider(options.Model!, options.Payoffs);
        }

        kernel.Subscribe(SimulationKernel.StartKind, (_, _) =>
        {
            if (options.Years > 0)
            {
                kernel.ScheduleAt(TimeSpan.Zero, QuarterKind, 0);
            }

            return ValueTask.CompletedTask;
        });
        kernel.Subscribe(QuarterKind, OnQuarterAsync);
        for (var lo = 0; lo < options.Agents; lo += options.BatchSize)
        {
            var (start, end) = (lo, Math.Min(options.Agents, lo + options.BatchSize));
            kernel.Subscribe(DecideKind, (e, ct) => DecideAsync((int)e.Payload!, start, end, ct));
        }

        kernel.Subscribe(SettleKind, OnSettleAsync);
        kernel.Subscribe(YearKind, OnYearAsync);
    }

    public TradeSimulationResult Result()
    {
        var (histogram, max) = TradeRules.Histogram(_wealth, _options.HistogramBins);
        return new TradeSimulationResult
        {
            Options = _options,
            Years = _years,
            FinalWealth = _wealth,
            Histogram = histogram,
            HistogramMax = max,
            Policies = TradeRules.ByPolicy(_policies, _wealth),
            Fallbacks = _model?.Fallbacks ?? new Dictionary<string, long>(),
            ModelUnreachable = _model?.UnreachableBecause,
        };
    }

    private ValueTask OnQuarterAsync(SimulationEvent e, CancellationToken cancellationToken)
    {
        var quarter = (int)e.Payload!;
        _sitOut = TradeRules.Pair(_kernel.Seed, quarter, _order);
        _sitOuts[quarter % 4] = _sitOut;
        _kernel.ScheduleAt(e.Time, DecideKind, e.Payload);
        _kernel.ScheduleAt(e.Time, SettleKind, e.Payload);
        if (quarter % 4 == 3)
        {
            _kernel.ScheduleAt(e.Time, YearKind, (quarter / 4) + 1);
        }

        if (quarter + 1 < _options.Years * 4)
        {
            _kernel.ScheduleAt(e.Time + TradeRules.Quarter, QuarterKind, quarter + 1);
        }

        return ValueTask.CompletedTask;
    }

    // One process's batch: rule-based moves inline (no task per decision); model moves as calls awaited together.
    private ValueTask DecideAsync(int quarter, int start, int end, CancellationToken cancellationToken)
    {
        var seed = _kernel.Seed;
        List<Task>? calls = null;
        for (var a = start; a < end; a++)
        {
            if (a == _sitOut)
            {
                continue;
            }

            var policy = _policies[a % _policies.Length];
            if (policy == Policy.Model)
            {
                (calls ??= []).Add(DecideByModelAsync(a, quarter, cancellationToken));
            }
            else
            {
                _moves[a] = TradeRules.RuleMove(policy, seed, quarter, a, _lastSeen[a]);
            }
        }

        return calls is null ? ValueTask.CompletedTask : new ValueTask(Task.WhenAll(calls));
    }

    private async Task DecideByModelAsync(int agent, int quarter, CancellationToken cancellationToken)
    {
        var (move, byModel) = await _model!.DecideAsync(agent, quarter, _wealth[agent], _lastSeen[agent], cancellationToken);
        _moves[agent] = move;
        if (byModel)
        {
            _modelDecisions++;
        }
        else
        {
            _fallbacks++;
        }
    }

    private ValueTask OnSettleAsync(SimulationEvent e, CancellationToken cancellationToken)
    {
        var payoffs = _options.Payoffs;
        for (var k = 0; k + 1 < _order.Length; k += 2)
        {
            var (a, b) = (_order[k], _order[k + 1]);
            var (ma, mb) = (_moves[a], _moves[b]);
            var (pa, pb) = payoffs.Pay(ma, mb);
            _wealth[a] = TradeRules.Settle(_wealth[a], pa);
            _wealth[b] = TradeRules.Settle(_wealth[b], pb);
            _lastSeen[a] = mb;
            _lastSeen[b] = ma;
            var cooperated = (ma == Move.Cooperate ? 1 : 0) + (mb == Move.Cooperate ? 1 : 0);
            _cooperations += cooperated;
            _defections += 2 - cooperated;
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask OnYearAsync(SimulationEvent e, CancellationToken cancellationToken)
    {
        // Made once and kept: the allocations of a run do not grow with its years.
        var gini = TradeRules.Gini(_wealth, _scratch ??= new long[_wealth.Length]);
        long total = 0;
        foreach (var w in _wealth)
        {
            total += w;
        }

        _years.Add(new YearRecord((int)e.Payload!, gini, total, _cooperations, _defections, _modelDecisions, _fallbacks, [.. _sitOuts]));
        (_cooperations, _defections, _modelDecisions, _fallbacks) = (0, 0, 0, 0);
        Array.Fill(_sitOuts, -1);
        return ValueTask.CompletedTask;
    }
}
