using System.Net;
using System.Net.Sockets;
using Braid.Simulation.Model;
using Braid.Time;

namespace Braid.Simulation.Tests.Model;

/// <summary>The model policy against a stub OpenAI-compatible server on loopback (design rule 164).</summary>
public sealed class ModelPolicyTests
{
    [Fact]
    public async Task Good_answers_make_every_decision_and_case_and_white_space_do_not_matter()
    {
        await using var server = await StubModelServer.StartAsync(trader => new StubReply.Answer(trader % 2 == 0 ? "COOPERATE" : " defect\n"));
        var result = Run(server.Endpoint, agents: 4, new ModelPolicyOptions { Timeout = TimeSpan.FromSeconds(30) });

        Assert.Empty(result.Fallbacks);
        Assert.Equal(1.0, result.ModelShare);
        Assert.Equal(16, result.Decisions);
        Assert.Equal(16, server.Requests);
        Assert.Equal(0.5, result.Years[0].CooperationShare);
    }

    [Fact]
    public async Task Nonsense_slow_answers_and_http_500_fall_back_to_tit_for_tat_counted_by_reason()
    {
        // One call at a time, so the slow call's timeout (on a manual virtual clock advanced by the stub
        // once that call has arrived) cancels that call only; no test waits on real time passing.
        var timeouts = new VirtualClock();
        var timeout = TimeSpan.FromSeconds(5);
        await using var server = await StubModelServer.StartAsync(trader => (trader % 4) switch
        {
            0 => new StubReply.Answer("cooperate"),
            1 => new StubReply.Answer("I would rather COOPERATE"),
            2 => new StubReply.Hang(() => timeouts.Advance(timeout)),
            _ => new StubReply.Status(500),
        });
        var result = Run(server.Endpoint, agents: 8, new ModelPolicyOptions { Timeout = timeout, MaxConcurrency = 1, TimeProvider = timeouts });

        Assert.Equal(32, result.Decisions);
        Assert.Equal(8, result.Years[0].ModelDecisions);
        Assert.Equal(24, result.Years[0].Fallbacks);
        Assert.Equal(new Dictionary<string, long> { ["invalid answer"] = 8, ["timeout"] = 8, ["http 500"] = 8 }, result.Fallbacks);
        Assert.Equal(0.25, result.ModelShare);
        Assert.Equal(32, server.Requests); // one request per decision: the client's retries are off
        Assert.Null(result.ModelUnreachable);
    }

    [Fact]
    public void An_unreachable_endpoint_falls_back_for_every_decision_after_one_failure()
    {
        var result = Run(new Uri($"http://127.0.0.1:{ClosedPort()}/v1/"), agents: 6, new ModelPolicyOptions { Timeout = TimeSpan.FromSeconds(30), MaxConcurrency = 1 });

        Assert.Equal(new Dictionary<string, long> { ["unreachable"] = 24 }, result.Fallbacks);
        Assert.NotNull(result.ModelUnreachable);
        Assert.Equal(0, result.ModelShare);
        Assert.Equal(1.0, result.Years[0].CooperationShare); // tit-for-tat among tit-for-tat
    }

    [Fact]
    public void Nonsense_exceptions_are_classified()
    {
        Assert.Equal("unreachable", ModelDecider.Classify(new HttpRequestException(HttpRequestError.ConnectionError, "refused")).Reason);
        Assert.Equal("timeout", ModelDecider.Classify(new InvalidOperationException("x", new TimeoutException())).Reason);
        Assert.Equal("error", ModelDecider.Classify(new InvalidOperationException("x")).Reason);
    }

    private static TradeSimulationResult Run(Uri endpoint, int agents, ModelPolicyOptions model)
    {
        using var client = ModelClients.OpenAICompatible(endpoint, "stub", TimeSpan.FromSeconds(30));
        return TradeSimulation.Run(new TradeSimulationOptions
        {
            Agents = agents,
            Years = 1,
            Policies = [Policy.Model],
            Model = new ModelPolicyOptions { Client = client, Timeout = model.Timeout, MaxConcurrency = model.MaxConcurrency, TimeProvider = model.TimeProvider },
        });
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
