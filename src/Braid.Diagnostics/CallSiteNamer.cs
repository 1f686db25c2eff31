using System.Diagnostics;
using System.Reflection;

namespace Braid.Diagnostics;

/// <summary>
/// Names the user's code on a blocking thread's stack: the first frame outside the .NET libraries and
/// this assembly is the calling method, the frame just below it the blocking API it called.
/// </summary>
internal static class CallSiteNamer
{
    private static readonly Assembly Self = typeof(CallSiteNamer).Assembly;

    /// <summary>
    /// The blocking API (<see langword="null"/> when the JIT inlined every public frame of it, leaving only
    /// the task's internal wait), the calling method, and the whole stack.
    /// </summary>
    public static (string? Api, string Caller, string Stack) Describe(StackTrace trace)
    {
        string? api = null;
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method is null || method.Module.Assembly == Self)
            {
                continue;
            }

            if (IsFramework(method))
            {
                // The last framework frame before the user's is the API the user called.
                api = ApiName(method);
                continue;
            }

            return (api, MethodName(method), trace.ToString());
        }

        return (api, "(framework code)", trace.ToString());
    }

    /// <summary>"Type.Method" for a method, seeing through async state machines, lambdas and local functions.</summary>
    public static string MethodName(MethodBase method)
    {
        var type = method.DeclaringType;
        var name = method.Name;
        if (type is null)
        {
            return name;
        }

        // An async method or iterator runs as <Name>d__N.MoveNext in a nested state-machine type.
        if (type.Name.StartsWith('<') && type.DeclaringType is { } owner && Between(type.Name) is { Length: > 0 } stateMachineOf)
        {
            return $"{TypeName(owner)}.{stateMachineOf}";
        }

        // Lambdas live in <>c or <>c__DisplayClass types as <Outer>b__0_0; local functions as <Outer>g__Local|0_0.
        while (type.Name.StartsWith('<') && type.DeclaringType is { } outer)
        {
            type = outer;
        }

        if (name.StartsWith('<') && Between(name) is { Length: > 0 } enclosing)
        {
            var local = name.IndexOf("g__", StringComparison.Ordinal);
            if (local > 0)
            {
                var end = name.IndexOf('|', local);
                return $"{TypeName(type)}.{enclosing}.{name[(local + 3)..(end > 0 ? end : name.Length)]}";
            }

            return $"{TypeName(type)}.{enclosing} (lambda)";
        }

        return $"{TypeName(type)}.{name}";
    }

    private static bool IsFramework(MethodBase method)
    {
        var ns = method.DeclaringType?.Namespace ?? string.Empty;
        return ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)
            || ns.StartsWith("Microsoft.", StringComparison.Ordinal) || ns.StartsWith("Internal.", StringComparison.Ordinal);
    }

    private static string? ApiName(MethodBase method)
    {
        var name = method.Name.StartsWith("get_", StringComparison.Ordinal) ? method.Name[4..] : method.Name;
        var type = method.DeclaringType is { } declaring ? TypeName(declaring) : string.Empty;

        // The JIT inlines the small public entry points into the caller: name what the user wrote.
        return (type, name) switch
        {
            ("Task", "GetResultCore") => "Task.Result",
            ("Task", _) when name.StartsWith("InternalWait", StringComparison.Ordinal) => null,
            _ => type.Length > 0 ? $"{type}.{name}" : name,
        };
    }

    private static string TypeName(Type type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick > 0 ? name[..tick] : name;
    }

    private static string Between(string name)
    {
        var close = name.IndexOf('>', StringComparison.Ordinal);
        return close > 1 ? name[1..close] : string.Empty;
    }
}
