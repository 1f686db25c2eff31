using Braid.Simulation.Model;

namespace Braid.Simulation.Orleans;

/// <summary>A trader's state in a grain; the rules are <see cref="TradeRules"/>, the same functions the in-process run uses.</summary>
internal sealed class AgentGrain : Grain, IAgentGrain
{
    private ulong _seed;
    private Policy _policy;
    private long _wealth;
    private Move _lastSeen;

    public Task InitAsync(ulong seed, byte policy, long wealth)
    {
        (_seed, _policy, _wealth, _lastSeen) = (seed, (Policy)policy, wealth, Move.None);
        return Task.CompletedTask;
    }

    public Task<byte> DecideAsync(int quarter) =>
        Task.FromResult((byte)TradeRules.RuleMove(_policy, _seed, quarter, (int)this.GetPrimaryKeyLong(out _), _lastSeen));

    public Task<long> SettleAsync(int payoff, byte partnerMove)
    {
        _wealth = TradeRules.Settle(_wealth, payoff);
        _lastSeen = (Move)partnerMove;
        return Task.FromResult(_wealth);
    }

    public Task<int> ProcessIdAsync() => Task.FromResult(Environment.ProcessId);
}
