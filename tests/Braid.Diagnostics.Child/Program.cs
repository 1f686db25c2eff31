using Braid.Instrumentation;
using Braid.Structured;

// Driven line by line on stdin so the test never sleeps: "go" runs the groups, "exit" ends.
// Each line it prints is what the test waits for.
_ = BraidInstrumentation.IsEnabled; // creates the Braid event source and meter (docs/design.md rule 124)
Console.WriteLine("ready");
while (Console.ReadLine() is { } line)
{
    if (line == "go")
    {
        for (var i = 0; i < 3; i++)
        {
            await TaskGroup.RunAsync(
                group =>
                {
                    group.Start(async _ => await Task.Yield(), "worker");
                    group.Start(async _ => await Task.Yield(), "worker");
                    return Task.CompletedTask;
                },
                new TaskGroupOptions { Name = "child-process" });
        }

        Console.WriteLine("done");
    }
    else if (line == "exit")
    {
        break;
    }
}
