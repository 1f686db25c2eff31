using System.Net.Sockets;
using System.Text.RegularExpressions;
using Braid.Data.Experiments;
using Npgsql;

namespace Braid.Data.Postgres;

/// <summary>
/// Connection strings for the PostgreSQL experiments: parsed up front (a bad one is one clear line),
/// masked wherever echoed (rule 155), and the server's failures that are the user's input (closed port,
/// wrong password, missing database or table) turned into one line each.
/// </summary>
internal static partial class PostgresTarget
{
    /// <summary>The environment variable that scripts/postgres-start.sh sets and the tests and <c>braid db</c> read.</summary>
    public const string EnvironmentVariable = "BRAID_POSTGRES";

    /// <summary>Parses <paramref name="connectionString"/>; a bad one throws <see cref="DataInputException"/> with a line that never shows the password.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrEmpty(builder.Host))
            {
                throw new DataInputException($"bad connection string '{Mask(connectionString)}': no Host");
            }

            return builder;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException or OverflowException)
        {
            throw new DataInputException($"bad connection string '{Mask(connectionString)}': {Reason(e, connectionString)}", e);
        }
    }

    /// <summary><paramref name="connectionString"/> with its password replaced by <c>***</c>, parsed or not.</summary>
    public static string Mask(string connectionString) => PasswordPattern().Replace(connectionString, m => $"{m.Groups[1].Value}=***");

    /// <summary>
    /// One line for a failure that comes from the user's input or environment, or null when
    /// <paramref name="error"/> is a bug or a failure of the experiment itself.
    /// </summary>
    public static string? Describe(Exception error, NpgsqlConnectionStringBuilder target)
    {
        var where = $"{target.Host}:{target.Port}";
        return error switch
        {
            DataInputException input => input.Message,
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } =>
                $"wrong password for user '{target.Username}' on {where} (the server said: password authentication failed)",
            PostgresException { SqlState: PostgresErrorCodes.InvalidAuthorizationSpecification } p =>
                $"the server at {where} refused user '{target.Username}': {p.MessageText}",
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } =>
                $"there is no database '{target.Database}' on {where}",
            PostgresException { SqlState: PostgresErrorCodes.UndefinedTable } p =>
                $"missing table: {p.MessageText}",
            NpgsqlException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
                $"cannot connect to {where}: connection refused (is PostgreSQL running there? scripts/postgres-start.sh starts one)",
            NpgsqlException { InnerException: SocketException s } =>
                $"cannot connect to {where}: {s.Message}",
            NpgsqlException { InnerException: TimeoutException } =>
                $"cannot connect to {where}: no answer within {target.Timeout} s",
            _ => null,
        };
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    // Npgsql says "Couldn't set frobnicate (Parameter 'frobnicate')" for an unknown keyword and a bad value
    // alike; say which it is.
    private static string Reason(Exception e, string connectionString)
    {
        if (e is ArgumentException { ParamName: { Length: > 0 } keyword })
        {
            return Known(keyword) ? $"bad value for '{keyword}'" : $"'{keyword}' is not an Npgsql keyword";
        }

        return Masked(FirstLine(e.Message), connectionString);
    }

    private static bool Known(string keyword)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder()[keyword];
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // An exception message might quote the string back: never let the password through.
    private static string Masked(string message, string connectionString)
    {
        foreach (Match m in PasswordPattern().Matches(connectionString))
        {
            var secret = m.Groups[2].Value.Trim();
            if (secret.Length > 0)
            {
                message = message.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return Mask(message);
    }

    [GeneratedRegex(@"(?i)\b(password|pwd)\s*=\s*((?:""[^""]*""|'[^']*'|[^;])*)")]
    private static partial Regex PasswordPattern();
}
