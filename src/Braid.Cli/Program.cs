// The braid command. Each command is a thin shell over a library type (ARCHITECTURE.md §2).
Console.Error.WriteLine("braid: no command yet. The lab lands with issue 5.");
return 2;
