using System.Globalization;

namespace Braid.Lab.Workloads;

/// <summary>
/// The cpu work of one task: a slice of the Leibniz series for pi, and great-circle distances from a
/// slice of the cities to the 100 most populous ones. Pure functions of (index, size): every model
/// computes bit-identical values, which the lab compares.
/// </summary>
internal static class CpuWork
{
    public const double EarthRadiusKm = 6371.0088;
    private const int ReferenceCount = 100;
    private static readonly Lazy<City[]> References = new(() => [.. CityData.Instance.Cities.OrderByDescending(c => c.Population).ThenBy(c => c.Id).Take(ReferenceCount)]);

    public static TaskOutcome Run(int index, int size, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pi = PiSlice((long)index * size, size);
        var km = DistanceSlice(index, size);
        return TaskOutcome.Success(string.Create(CultureInfo.InvariantCulture, $"pi:{pi:R}|km:{km:R}"));
    }

    /// <summary>The sum of (-1)^k / (2k + 1) for k in [first, first + count).</summary>
    public static double PiSlice(long first, int count)
    {
        var sum = 0.0;
        var sign = first % 2 == 0 ? 1.0 : -1.0;
        var denominator = 2.0 * first + 1.0;
        for (var k = 0; k < count; k++)
        {
            sum += sign / denominator;
            sign = -sign;
            denominator += 2.0;
        }

        return sum;
    }

    /// <summary>Sum of distances from size / 1000 cities (at least one) to the reference cities, in km.</summary>
    public static double DistanceSlice(int index, int size)
    {
        var cities = CityData.Instance.Cities;
        var references = References.Value;
        var slice = Math.Max(1, size / 1000);
        var total = 0.0;
        for (var j = 0; j < slice; j++)
        {
            var city = cities[(int)(((long)index * slice + j) % cities.Length)];
            foreach (var reference in references)
            {
                total += GreatCircleKm(city.Lat, city.Lon, reference.Lat, reference.Lon);
            }
        }

        return total;
    }

    /// <summary>The haversine great-circle distance on a sphere of the Earth's mean radius, in km.</summary>
    public static double GreatCircleKm(double lat1, double lon1, double lat2, double lon2)
    {
        const double toRadians = Math.PI / 180.0;
        var dLat = (lat2 - lat1) * toRadians;
        var dLon = (lon2 - lon1) * toRadians;
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
            + Math.Cos(lat1 * toRadians) * Math.Cos(lat2 * toRadians) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }

    /// <summary>Checks the distance function against known city distances (within 1%), one line each.</summary>
    public static IReadOnlyList<string> CheckKnownDistances()
    {
        (string A, string Ca, string B, string Cb, double Km)[] known =
        [
            ("Paris", "FR", "London", "GB", 344),
            ("New York City", "US", "London", "GB", 5570),
            ("Tokyo", "JP", "Sydney", "AU", 7823),
        ];
        var lines = new List<string>();
        foreach (var (a, ca, b, cb, km) in known)
        {
            var x = CityData.Instance.Find(a, ca);
            var y = CityData.Instance.Find(b, cb);
            var d = GreatCircleKm(x.Lat, x.Lon, y.Lat, y.Lon);
            var ok = Math.Abs(d - km) / km < 0.01;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{(ok ? "ok" : "FAILED")}: {a}-{b} great-circle distance {d:F0} km (known {km:F0} km, within 1%)"));
        }

        return lines;
    }

    /// <summary>Checks the pi slices of a whole run: 4 times their sum is within the Leibniz bound 4 / (2N + 1) of pi.</summary>
    public static string CheckPi(IEnumerable<string> values, long terms)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            var start = value.IndexOf("pi:", StringComparison.Ordinal) + 3;
            var end = value.IndexOf('|', start);
            sum += double.Parse(value.AsSpan(start, end - start), CultureInfo.InvariantCulture);
        }

        var pi = 4 * sum;
        var bound = 4.0 / (2.0 * terms + 1.0);
        var ok = Math.Abs(pi - Math.PI) <= bound + 1e-12;
        return string.Create(CultureInfo.InvariantCulture, $"{(ok ? "ok" : "FAILED")}: pi from {terms:N0} series terms = {pi:F12} (error {Math.Abs(pi - Math.PI):E2}, bound {bound:E2})");
    }
}
