using System.ClientModel;
using System.Globalization;
using Braid.Coordination;
using Braid.Loop;
using Microsoft.Extensions.AI;

namespace Braid.Simulation.Model;

/// <summary>
/// The model policy's decisions (design rule 164): each call runs on one of <see cref="ToThread"/>'s
/// threads, so the loop counts it as off-loop work and the virtual clock does not jump while it is in
/// flight; it has a real-time timeout; at most <see cref="ModelPolicyOptions.MaxConcurrency"/> calls run at
/// once; an answer other than COOPERATE or DEFECT (ignoring case and surrounding white space), a late
/// answer, or a failure falls back to tit-for-tat, counted by reason. After the first "unreachable"
/// failure every later decision falls back at once with that reason.
/// </summary>
/// <remarks>Used on the simulation's loop only: its counters are not synchronised.</remarks>
internal sealed class ModelDecider(ModelPolicyOptions options, PayoffMatrix payoffs)
{
    public const string Timeout = "timeout";
    public const string InvalidAnswer = "invalid answer";
    public const string Unreachable = "unreachable";
    public const string Error = "error";

    private readonly AsyncSemaphore _limit = new(options.MaxConcurrency);
    private readonly IChatClient _client = options.Client ?? throw new ArgumentException("the model policy needs a chat client", nameof(options));
    private readonly ChatOptions _chatOptions = new() { Temperature = 0, MaxOutputTokens = 8 };

    /// <summary>Fallbacks by reason, over the whole run.</summary>
    public Dictionary<string, long> Fallbacks { get; } = new(StringComparer.Ordinal);

    /// <summary>The first failure that made the endpoint unreachable, if any.</summary>
    public string? UnreachableBecause { get; private set; }

    /// <summary>Decides one agent's move; <c>ByModel</c> is false for a fallback.</summary>
    public async Task<(Move Move, bool ByModel)> DecideAsync(int agent, int quarter, long wealth, Move lastSeen, CancellationToken cancellationToken)
    {
        if (UnreachableBecause is not null)
        {
            return Fallback(Unreachable, lastSeen);
        }

        string? answer;
        string? reason;
        string? detail;
        using (await _limit.AcquireAsync(cancellationToken))
        {
            if (UnreachableBecause is not null)
            {
                return Fallback(Unreachable, lastSeen);
            }

            var messages = Prompt(agent, quarter, wealth, lastSeen);
            (answer, reason, detail) = await ToThread.RunAsync(() => Ask(messages, cancellationToken), cancellationToken);
        }

        if (reason is not null)
        {
            if (reason == Unreachable)
            {
                UnreachableBecause ??= detail;
            }

            return Fallback(reason, lastSeen);
        }

        return answer!.Trim().ToUpperInvariant() switch
        {
            "COOPERATE" => (Move.Cooperate, true),
            "DEFECT" => (Move.Defect, true),
            _ => Fallback(InvalidAnswer, lastSeen),
        };
    }

    /// <summary>The reason a failed call is counted under.</summary>
    internal static (string Reason, string Detail) Classify(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } http)
            {
                return (Unreachable, http.Message);
            }

            if (x is TimeoutException)
            {
                return (Timeout, x.Message);
            }

            if (x is ClientResultException { Status: > 0 } status)
            {
                return (string.Create(CultureInfo.InvariantCulture, $"http {status.Status}"), status.Message.Split('\n')[0]);
            }
        }

        return (Error, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
    }

    // On a ToThread thread: the model's HTTP call, blocking that thread (not the loop) until it answers,
    // fails or times out in real time.
    private (string? Answer, string? Reason, string? Detail) Ask(List<ChatMessage> messages, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
#pragma warning disable VSTHRD002 // On a dedicated ToThread thread, by design: the loop knows the call is in flight.
            var response = _client.GetResponseAsync(messages, _chatOptions, linked.Token).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
            return (response.Text ?? "", null, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (null, Timeout, $"no answer within {options.Timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var (reason, detail) = Classify(e);
            return (null, reason, detail);
        }
    }

    private (Move, bool) Fallback(string reason, Move lastSeen)
    {
        Fallbacks[reason] = Fallbacks.GetValueOrDefault(reason) + 1;
        return (TradeRules.TitForTat(lastSeen), false);
    }

    private List<ChatMessage> Prompt(int agent, int quarter, long wealth, Move lastSeen)
    {
        var c = CultureInfo.InvariantCulture;
        var last = lastSeen switch
        {
            Move.Cooperate => "traded honestly with you",
            Move.Defect => "cheated you",
            _ => "does not exist: this is your first trade",
        };
        return
        [
            new(ChatRole.System, string.Create(c, $"You are a trader in a repeated trading game. Each quarter you trade with a random partner. If both trade honestly, each gains {payoffs.Reward}. If one cheats, the cheat gains {payoffs.Temptation} and the honest one gets {payoffs.Sucker}. If both cheat, each gets {payoffs.Punishment}. Wealth never falls below 0. Answer with exactly one word: COOPERATE or DEFECT.")),
            new(ChatRole.User, string.Create(c, $"You are trader {agent}. It is quarter {quarter + 1} (year {(quarter / 4) + 1}). Your wealth is {wealth}. Your last partner {last}. Your move?")),
        ];
    }
}
