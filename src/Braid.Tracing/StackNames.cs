namespace Braid.Tracing;

/// <summary>
/// Names the user's code on a stack an event carried (TraceEvent's resolved managed frames, innermost
/// first, as <c>Namespace.Type+Nested.Method(args)</c>): the first frame outside the .NET libraries is the
/// calling method, the framework frame just inside it the blocking API it called, and the user frames
/// further out its callers. The names follow <c>Braid.Diagnostics</c>' in-process call-site names: an async
/// method's <c>MoveNext</c> is the method, a lambda is its enclosing method.
/// </summary>
internal static class StackNames
{
    /// <summary>The caller of a stack with no user frame: a runtime thread.</summary>
    public const string FrameworkCode = "(framework code)";

    /// <summary>A blocking call site: "Task.Result called from Starving.Handle", and the callers further out.</summary>
    public sealed record Site(string? Api, string Caller, IReadOnlyList<string> Callers, string? LockType, IReadOnlyList<string> Frames)
    {
        public string Name => $"{Api ?? "a wait"} called from {Caller}";

        public string WithCallers => Callers.Count == 0 ? Name : $"{Name} ← {string.Join(" ← ", Callers)}";
    }

    /// <summary>The site of a stack, or <see langword="null"/> when no frame of it is resolved.</summary>
    public static Site? Describe(IReadOnlyList<string> frames, int callers = 3)
    {
        string? api = null;
        string? lockType = null;
        string? caller = null;
        var outer = new List<string>();
        foreach (var full in frames)
        {
            if (Parse(full) is not { } frame)
            {
                continue;
            }

            if (caller is null)
            {
                if (frame.Framework)
                {
                    api = ApiName(frame) ?? api;
                    lockType ??= frame.Namespace == "System.Threading" && frame.Types[^1] is "Lock" ? "System.Threading.Lock"
                        : frame.Namespace == "System.Threading" && frame.Types[^1] is "Monitor" && frame.Method.Contains("Enter", StringComparison.Ordinal) ? "Monitor" : null;
                    continue;
                }

                caller = Name(frame);
                continue;
            }

            if (frame.Framework)
            {
                continue;
            }

            var name = Name(frame);
            if ((outer.Count == 0 ? caller : outer[^1]) != name)
            {
                outer.Add(name);
                if (outer.Count == callers)
                {
                    break;
                }
            }
        }

        var named = frames.Where(f => Parse(f) is not null).ToList();
        return caller is null ? (api is null ? null : new Site(api, FrameworkCode, [], lockType, named)) : new Site(api, caller, outer, lockType, named);
    }

    /// <summary>"Type.Method" for a frame's full name, seeing through async state machines, lambdas and local functions; <see langword="null"/> when unresolved.</summary>
    public static string? MethodName(string full) => Parse(full) is { } frame ? Name(frame) : null;

    private sealed record Frame(string Namespace, string[] Types, string Method, bool Framework);

    private static Frame? Parse(string full)
    {
        var open = full.IndexOf('(', StringComparison.Ordinal);
        var name = open >= 0 ? full[..open] : full;
        if (string.IsNullOrEmpty(name) || name.Contains('!', StringComparison.Ordinal) || name == "?")
        {
            return null;
        }

        // Split at dots outside generic brackets: namespace segments, then "Outer+Nested", then the method.
        var segments = new List<string>();
        var depth = 0;
        var begin = 0;
        for (var i = 0; i < name.Length; i++)
        {
            switch (name[i])
            {
                case '[':
                    depth++;
                    break;
                case ']':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '.' when depth == 0:
                    segments.Add(name[begin..i]);
                    begin = i + 1;
                    break;
            }
        }

        segments.Add(name[begin..]);
        if (segments.Count < 2)
        {
            return null;
        }

        var method = segments[^1];
        var types = StripGenerics(segments[^2]).Split('+');
        var ns = string.Join('.', segments.Take(segments.Count - 2));
        var framework = ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)
            || ns.StartsWith("Microsoft.", StringComparison.Ordinal) || ns.StartsWith("Internal.", StringComparison.Ordinal);
        return new Frame(ns, types, method, framework);
    }

    private static string Name(Frame frame)
    {
        var types = frame.Types.Select(TypeName).ToList();
        var last = types[^1];

        // An async method or iterator runs as <Name>d__N.MoveNext in a nested state-machine type.
        if (last.StartsWith('<') && types.Count > 1 && Between(last) is { Length: > 0 } stateMachineOf)
        {
            return $"{types[^2]}.{stateMachineOf}";
        }

        // Lambdas live in <>c or <>c__DisplayClass types as <Outer>b__0_0; local functions as <Outer>g__Local|0_0.
        while (types.Count > 1 && types[^1].StartsWith('<'))
        {
            types.RemoveAt(types.Count - 1);
        }

        var type = types[^1];
        if (frame.Method.StartsWith('<') && Between(frame.Method) is { Length: > 0 } enclosing)
        {
            var local = frame.Method.IndexOf("g__", StringComparison.Ordinal);
            if (local > 0)
            {
                var end = frame.Method.IndexOf('|', local);
                return $"{type}.{enclosing}.{frame.Method[(local + 3)..(end > 0 ? end : frame.Method.Length)]}";
            }

            return $"{type}.{enclosing} (lambda)";
        }

        return $"{type}.{frame.Method}";
    }

    private static string? ApiName(Frame frame)
    {
        var name = frame.Method.StartsWith("get_", StringComparison.Ordinal) ? frame.Method[4..] : frame.Method;
        var type = TypeName(frame.Types[^1]);

        // The JIT inlines the small public entry points into the caller: name what the user wrote.
        return (type, name) switch
        {
            ("Task", "GetResultCore") => "Task.Result",
            // Task.Result and Task.Wait both end there once the JIT inlined them: the stack cannot tell which.
            ("Task", _) when name.StartsWith("InternalWait", StringComparison.Ordinal) || name == "SpinThenBlockingWait" => "Task.Wait/Result",
            ("Lock", "EnterScope" or "Enter" or "TryEnterSlow") => "lock (Lock)",
            _ when type.StartsWith('<') => null,
            _ => $"{type}.{name}",
        };
    }

    private static string TypeName(string type)
    {
        var tick = type.IndexOf('`', StringComparison.Ordinal);
        return tick > 0 ? type[..tick] : type;
    }

    private static string StripGenerics(string type)
    {
        var bracket = type.IndexOf('[', StringComparison.Ordinal);
        return bracket > 0 ? type[..bracket] : type;
    }

    private static string Between(string name)
    {
        var close = name.IndexOf('>', StringComparison.Ordinal);
        return close > 1 ? name[1..close] : string.Empty;
    }
}
