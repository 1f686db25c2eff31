namespace Braid.DiagnosticsOverhead;

/// <summary>One way of watching the program: <see cref="Start"/> turns it on before a run, the result's disposal turns it off after.</summary>
internal sealed record Mode(string Name, string Description, Func<IDisposable> Start);
