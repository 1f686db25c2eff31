namespace Braid.Data.Experiments;

/// <summary>
/// A problem with what the user gave (a connection string, a server that is not there, a wrong password,
/// a missing table, a bad CSV line), with a one-line message fit to print as it is (rule 155).
/// </summary>
internal sealed class DataInputException(string message, Exception? inner = null) : Exception(message, inner);
