using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Braid.Lab.Workloads;

/// <summary>The db workload's database: the city dataset in one SQLite table, indexed by country; task i asks for one country's figures.</summary>
internal static class DbFixture
{
    private static string[]? s_countries;

    public static string Create(string directory)
    {
        var path = Path.Combine(directory, "cities.db");
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE cities (id INTEGER PRIMARY KEY, name TEXT, country TEXT, lat REAL, lon REAL, population INTEGER);";
            create.ExecuteNonQuery();
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO cities VALUES ($id, $name, $country, $lat, $lon, $population)";
            var p = new[] { "$id", "$name", "$country", "$lat", "$lon", "$population" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
            foreach (var c in CityData.Instance.Cities)
            {
                p[0].Value = c.Id;
                p[1].Value = c.Name;
                p[2].Value = c.Country;
                p[3].Value = c.Lat;
                p[4].Value = c.Lon;
                p[5].Value = c.Population;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            using var index = connection.CreateCommand();
            index.CommandText = "CREATE INDEX cities_country ON cities (country);";
            index.ExecuteNonQuery();
        }

        return path;
    }

    /// <summary>The countries of the dataset, sorted; task i asks about country i mod count.</summary>
    public static string[] Countries => s_countries ??= [.. CityData.Instance.Cities.Select(c => c.Country).Distinct().Order(StringComparer.Ordinal)];

    public static SqliteCommand QueryCommand(SqliteConnection connection, int index)
    {
        var command = connection.CreateCommand();
        command.CommandText = "SELECT $country, count(*), sum(population), max(population) FROM cities WHERE country = $country";
        command.Parameters.AddWithValue("$country", Countries[index % Countries.Length]);
        return command;
    }

    public static TaskOutcome ReadResult(SqliteDataReader reader) =>
        reader.Read()
            ? TaskOutcome.Success(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)}|{reader.GetInt64(1)}|{reader.GetInt64(2)}|{reader.GetInt64(3)}"))
            : TaskOutcome.Failure("no row");
}
