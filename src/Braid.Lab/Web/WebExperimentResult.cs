namespace Braid.Lab.Web;

/// <summary>The web experiment's result: every endpoint measured under the same load, and what the numbers say.</summary>
/// <param name="Options">The options it ran with.</param>
/// <param name="Endpoints">One result per endpoint, in the order run; an endpoint cut short by cancellation is included, one not started is not.</param>
/// <param name="Findings">Sentences written from the measured numbers (which endpoint did best is never assumed).</param>
/// <param name="Cancelled">Whether cancellation cut the run short.</param>
/// <param name="LoadAverage">The machine's load average when the run ended (<c>/proc/loadavg</c>), null where unreadable.</param>
public sealed record WebExperimentResult(WebExperimentOptions Options, IReadOnlyList<WebEndpointResult> Endpoints, IReadOnlyList<string> Findings, bool Cancelled, string? LoadAverage);
