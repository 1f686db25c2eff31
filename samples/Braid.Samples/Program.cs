using System.Reflection;
using Braid.Samples;

var samples = typeof(ISample).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ISample).IsAssignableFrom(t))
    .Select(t => (ISample)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "-h" or "--help" or "list")
{
    Console.WriteLine("Usage: dotnet run --project samples/Braid.Samples -- <sample>");
    Console.WriteLine();
    foreach (var s in samples)
    {
        Console.WriteLine($"  {s.Name,-24} {s.Description}");
    }

    return 0;
}

var sample = samples.FirstOrDefault(s => s.Name == args[0]);
if (sample is null)
{
    Console.Error.WriteLine($"braid-samples: unknown sample '{args[0]}'. Run with --help to list them.");
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
return await sample.RunAsync(Console.Out, cts.Token);
