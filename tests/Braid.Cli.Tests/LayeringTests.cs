using System.Reflection;

namespace Braid.Cli.Tests;

/// <summary>docs/design.md rule 103: the layering is enforced by a test, not by hope.</summary>
public sealed class LayeringTests
{
    // Which Braid assemblies each Braid assembly may reference. Anything not listed is forbidden.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Braid"] = [],
        ["Braid.Testing"] = ["Braid"],
        ["Braid.Pipelines"] = ["Braid"],
        ["Braid.Diagnostics"] = ["Braid"],
        ["Braid.Data"] = ["Braid"],
        ["Braid.Lab"] = ["Braid", "Braid.Testing", "Braid.Pipelines", "Braid.Diagnostics", "Braid.Data", "Braid.Load"],
        ["Braid.Web"] = ["Braid", "Braid.Testing", "Braid.Pipelines", "Braid.Diagnostics"],
        ["Braid.Load"] = ["Braid", "Braid.Testing", "Braid.Pipelines", "Braid.Diagnostics"],
        ["Braid.Simulation"] = ["Braid", "Braid.Testing", "Braid.Pipelines", "Braid.Diagnostics"],
        ["Braid.Simulation.Orleans"] = ["Braid", "Braid.Simulation"],
        ["Braid.Tracing"] = ["Braid", "Braid.Testing", "Braid.Pipelines", "Braid.Diagnostics"],
        ["Braid.Cli"] = ["Braid", "Braid.Testing", "Braid.Pipelines", "Braid.Diagnostics", "Braid.Data", "Braid.Lab", "Braid.Web", "Braid.Load", "Braid.Simulation", "Braid.Simulation.Orleans", "Braid.Tracing"],
    };

    public static TheoryData<string> BraidAssemblies()
    {
        // Every listed assembly is checked: one missing beside the tests fails its case (the project
        // references them all), instead of being skipped as Braid.Diagnostics once silently was.
        var data = new TheoryData<string>();
        foreach (var name in Allowed.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BraidAssemblies))]
    public void Assembly_references_only_lower_layers(string name)
    {
        var assembly = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
        var braidReferences = assembly.GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n == "Braid" || n.StartsWith("Braid.", StringComparison.Ordinal))
            .ToList();
        Assert.All(braidReferences, r => Assert.Contains(r, Allowed[name]));
    }

    [Fact]
    public void The_core_has_no_package_dependencies()
    {
        var core = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, "Braid.dll"));
        var foreign = core.GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => !(n.StartsWith("System", StringComparison.Ordinal) || n is "netstandard" or "mscorlib" or "Microsoft.Win32.Primitives"))
            .ToList();
        Assert.Empty(foreign);
    }
}
