namespace Braid.Diagnostics;

/// <summary>
/// Blocked time summed per call site by a <see cref="BlockingDetector"/>: how often it blocked, for how
/// long in all, and its share of all the blocked time seen.
/// </summary>
/// <param name="Kind">What kind of blocking call the site makes.</param>
/// <param name="Name">The site's name, as in <see cref="BlockingEvent.CallSite"/>.</param>
/// <param name="Count">How many blocking calls were seen there.</param>
/// <param name="BlockedTime">
/// Their blocked time summed over threads (so it may exceed the time observed); a wait still in
/// progress counts up to the moment of the snapshot.
/// </param>
/// <param name="Share">This site's fraction of the blocked time of every site, from 0 to 1.</param>
public sealed record BlockingCallSite(BlockingKind Kind, string Name, int Count, TimeSpan BlockedTime, double Share);
