namespace Braid.Simulation.Model;

/// <summary>One run of the trading model: its population, length, seed, payoffs and policies.</summary>
public sealed record TradeSimulationOptions
{
    /// <summary>How many agents trade. Default 1,000.</summary>
    public int Agents { get; init; } = 1_000;

    /// <summary>How many years (of four quarters) the run lasts. Default 10.</summary>
    public int Years { get; init; } = 10;

    /// <summary>The seed every random stream derives from (design rule 161). Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>What each agent holds at the start. Default 10.</summary>
    public long InitialWealth { get; init; } = 10;

    /// <summary>The payoffs of a trade. Default <see cref="PayoffMatrix.Book"/>.</summary>
    public PayoffMatrix Payoffs { get; init; } = PayoffMatrix.Book;

    /// <summary>The policies, dealt to agents round-robin (agent i gets <c>Policies[i % Count]</c>). Default random for all.</summary>
    public IReadOnlyList<Policy> Policies { get; init; } = [Policy.Random];

    /// <summary>A label for reports (default: the policies' names).</summary>
    public string? Label { get; init; }

    /// <summary>How many agents one process decides for in one handler call (design rule 160). Default 65,536.</summary>
    public int BatchSize { get; init; } = 65_536;

    /// <summary>How the model policy calls its model; required when <see cref="Policies"/> includes <see cref="Policy.Model"/>.</summary>
    public ModelPolicyOptions? Model { get; init; }

    /// <summary>Bins of the final wealth histogram. Default 20.</summary>
    public int HistogramBins { get; init; } = 20;

    /// <summary>The label reports show: <see cref="Label"/>, or the policies' names and the seed.</summary>
    public string DisplayName => Label ?? $"{string.Join('+', Policies.Select(PolicyNames.Name))} seed {Seed}";

    /// <summary>The first problem with these options as one line, or null when they can run.</summary>
    /// <returns>The problem, or null.</returns>
    public string? Problem() =>
        Agents < 0 ? $"agents must not be negative (got {Agents})"
        : Years < 0 ? $"years must not be negative (got {Years})"
        : InitialWealth < 0 ? $"initial wealth must not be negative (got {InitialWealth})"
        : Policies.Count == 0 ? "no policy given"
        : BatchSize < 1 ? $"batch size must be at least 1 (got {BatchSize})"
        : HistogramBins < 1 ? $"histogram bins must be at least 1 (got {HistogramBins})"
        : Policies.Contains(Policy.Model) && Model?.Client is null ? "the model policy needs a chat client (ModelPolicyOptions.Client)"
        : Model is { MaxConcurrency: < 1 } ? $"model concurrency must be at least 1 (got {Model.MaxConcurrency})"
        : Model is { } m && m.Timeout <= TimeSpan.Zero ? "the model timeout must be positive"
        : null;
}
