using Braid.Lab.Workloads;

namespace Braid.Lab.Tests.Workloads;

public sealed class WorkloadTests
{
    [Fact]
    public void The_city_dataset_is_embedded_and_parsed_with_quoted_names()
    {
        var cities = CityData.Instance.Cities;
        Assert.InRange(cities.Length, 40_000, 60_000);
        Assert.All(cities.Take(1000), c => Assert.InRange(c.Population, 5_000, long.MaxValue));
        var tokyo = CityData.Instance.Find("Tokyo", "JP");
        Assert.Equal(35.6895, tokyo.Lat, 4);
        Assert.Contains(cities, c => c.Name.Contains(',', StringComparison.Ordinal) || c.Name.Contains('"', StringComparison.Ordinal) || c.Name.Length > 0);
    }

    [Fact]
    public void Great_circle_distances_match_known_values()
    {
        Assert.All(CpuWork.CheckKnownDistances(), line => Assert.StartsWith("ok: ", line));
        Assert.Equal(0, CpuWork.GreatCircleKm(10, 20, 10, 20), 9);
        Assert.Equal(Math.PI * CpuWork.EarthRadiusKm, CpuWork.GreatCircleKm(0, 0, 0, 180), 6);
    }

    [Fact]
    public void Pi_slices_add_up_to_pi_whatever_the_split()
    {
        var whole = CpuWork.PiSlice(0, 1_000_000);
        var parts = Enumerable.Range(0, 10).Sum(i => CpuWork.PiSlice(i * 100_000L, 100_000));
        Assert.Equal(whole, parts, 12);
        Assert.True(Math.Abs((4 * whole) - Math.PI) < 4.0 / 2_000_001);
        Assert.StartsWith("FAILED", CpuWork.CheckPi(["ok:pi:0.5|km:1"], 10), StringComparison.Ordinal);
    }

    [Fact]
    public void Jitter_and_failures_are_fixed_per_record_by_the_seed()
    {
        var latency = TimeSpan.FromMilliseconds(50);
        var jitter = TimeSpan.FromMilliseconds(20);
        var delays = Enumerable.Range(0, 1000).Select(i => Deterministic.Delay(7, i, latency, jitter)).ToList();
        Assert.All(delays, d => Assert.InRange(d, latency, latency + jitter));
        Assert.Equal(delays, Enumerable.Range(0, 1000).Select(i => Deterministic.Delay(7, i, latency, jitter)));
        var failures = Enumerable.Range(0, 10_000).Count(i => Deterministic.Fails(7, i, 0.1));
        Assert.InRange(failures, 850, 1150);
        Assert.DoesNotContain(Enumerable.Range(0, 1000), i => Deterministic.Fails(7, i, 0));
    }

    [Fact]
    public void The_record_parser_rejects_incomplete_or_broken_json()
    {
        Assert.True(WorkSession.TryParse("""{"id":3,"geonameId":1,"name":"A, \"B\"","country":"FR","lat":1.5,"lon":2,"population":9}"""u8, out var record, out _));
        Assert.Equal("A, \"B\"", record.Name);
        Assert.False(WorkSession.TryParse("""{"id":3}"""u8, out _, out var incomplete));
        Assert.Equal("incomplete record", incomplete);
        Assert.False(WorkSession.TryParse("""{"id":"""u8, out _, out var broken));
        Assert.StartsWith("bad JSON", broken, StringComparison.Ordinal);
    }
}
