using System.Reflection;
using Braid.Structured;

namespace Braid.Tests.Structured;

/// <summary>
/// docs/design.md rule 106: the per-child path of a task group is compiled fully optimized from its
/// first call. A timing cannot be a test; the attribute that makes it so can.
/// </summary>
public sealed class TaskGroupOptimizationTests
{
    public static TheoryData<Type, string> PerChildPath() => new()
    {
        { typeof(TaskGroup), nameof(TaskGroup.Start) },
        { typeof(TaskGroup), "OnChildCompleted" },
        { typeof(TaskGroup), "Enter" },
        { typeof(TaskGroup), "Track" },
        { typeof(TaskGroup), "Classify" },
        { typeof(TaskGroup), "Leave" },
        { typeof(ChildBatch), nameof(ChildBatch.TryAdd) },
        { typeof(ChildBatch), nameof(ChildBatch.TryAddOwned) },
        { typeof(ChildBatch), "OnAnyCompleted" },
        { typeof(AmbientScope), nameof(AmbientScope.Enter) },
        { typeof(AmbientScope.ChainSwitch), nameof(AmbientScope.ChainSwitch.Dispose) },
    };

    [Theory]
    [MemberData(nameof(PerChildPath))]
    public void The_per_child_path_is_compiled_fully_optimized_from_its_first_call(Type type, string name)
    {
        var methods = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.Name == name && !m.IsGenericMethodDefinition)
            .ToList();
        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.True(
            m.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization),
            $"{type.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))}) is not AggressiveOptimization"));
    }
}
