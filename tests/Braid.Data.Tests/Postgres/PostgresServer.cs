using Braid.Data.Postgres;

namespace Braid.Data.Tests.Postgres;

/// <summary>
/// The PostgreSQL server the tests use: the connection string in BRAID_POSTGRES (set by
/// scripts/postgres-start.sh, which .ci/run calls). Without it a test skips with one line, except under
/// CI=true, where a missing server is a failure: CI must never pass by skipping the database.
/// </summary>
internal static class PostgresServer
{
    public static string ConnectionString()
    {
        var connection = Environment.GetEnvironmentVariable(PostgresTarget.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(connection))
        {
            return connection;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true but {PostgresTarget.EnvironmentVariable} is not set: .ci/run starts the server (scripts/postgres-start.sh)");
        }

        Skip.If(true, $"no PostgreSQL: set {PostgresTarget.EnvironmentVariable} (eval \"$(bash scripts/postgres-start.sh)\"; see docs/databases.md)");
        return "";
    }
}
