using Braid.Load;

namespace Braid.Lab.Web;

/// <summary>A progress report of the web experiment: which endpoint is loaded, and the load generator's own progress.</summary>
/// <param name="Endpoint">The endpoint under load.</param>
/// <param name="Index">Its position in the run, from 1.</param>
/// <param name="Count">How many endpoints the run loads.</param>
/// <param name="Load">The generator's progress; null when the endpoint's server is starting.</param>
public readonly record struct WebProgress(string Endpoint, int Index, int Count, LoadProgress? Load);
