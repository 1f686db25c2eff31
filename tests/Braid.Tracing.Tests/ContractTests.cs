using System.Reflection;
using Braid.Structured;

namespace Braid.Tracing.Tests;

/// <summary>
/// Diagnostic contract 1 (docs/design.md rule 171): every name <c>braid ps</c> reads exists in the core it was
/// built with, and the core stamps the version the reader knows. Renaming a field fails here first.
/// </summary>
public sealed class ContractTests
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private static readonly Assembly Core = typeof(TaskGroup).Assembly;

    [Fact]
    public void The_core_stamps_the_version_the_reader_knows()
    {
        var stamp = Core.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == ContractV1.MetadataKey);
        Assert.Equal(ContractV1.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), stamp.Value);
    }

    [Theory]
    [InlineData(ContractV1.TaskGroup, ContractV1.GroupId, typeof(long))]
    [InlineData(ContractV1.TaskGroup, ContractV1.GroupName, typeof(string))]
    [InlineData(ContractV1.TaskGroup, ContractV1.GroupCompletion, typeof(TaskCompletionSource))]
    [InlineData(ContractV1.ChildNode, ContractV1.ChildGroup, typeof(TaskGroup))]
    [InlineData(ContractV1.ChildNode, ContractV1.ChildTask, typeof(Task))]
    [InlineData(ContractV1.NamedChildNode, ContractV1.ChildName, typeof(string))]
    [InlineData(ContractV1.ChildBatch, ContractV1.BatchGroup, typeof(TaskGroup))]
    public void Each_field_the_reader_reads_exists(string type, string field, Type fieldType)
    {
        var found = Core.GetType(type) ?? throw new Xunit.Sdk.XunitException($"{type} is gone from the core: bump the diagnostic contract");
        var info = FindField(found, field);
        Assert.True(info is not null, $"{type}.{field} is gone from the core: bump the diagnostic contract");
        Assert.Equal(fieldType, info!.FieldType);
    }

    [Fact]
    public void A_child_batch_holds_as_many_tasks_as_the_reader_scans()
    {
        var slots = FindField(Core.GetType(ContractV1.ChildBatch)!, ContractV1.BatchSlots)!.FieldType;
        var inline = slots.GetCustomAttribute<System.Runtime.CompilerServices.InlineArrayAttribute>();
        Assert.Equal(ContractV1.BatchCapacity, inline!.Length);
        Assert.Equal(typeof(Task), slots.GetFields(Instance).Single().FieldType);
    }

    [Fact]
    public void A_waiter_names_its_owner_and_the_owners_have_ids()
    {
        var waiter = Core.GetType("Braid.Internal.Waiters.Waiter`1")!;
        Assert.NotNull(FindField(waiter, ContractV1.WaiterOwner));
        Assert.NotNull(FindField(typeof(Braid.Coordination.AsyncLock), ContractV1.PrimitiveId));
        Assert.NotNull(FindField(typeof(Braid.Coordination.AsyncSemaphore), ContractV1.PrimitiveId));
    }

    private static FieldInfo? FindField(Type type, string name)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.GetField(name, Instance | BindingFlags.DeclaredOnly) is { } field)
            {
                return field;
            }
        }

        return null;
    }
}
