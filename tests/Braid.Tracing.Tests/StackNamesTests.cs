namespace Braid.Tracing.Tests;

/// <summary>How <c>braid trace</c> names a blocked thread's stack (frames as TraceEvent resolves them, innermost first; issue 14).</summary>
public sealed class StackNamesTests
{
    [Theory]
    [InlineData("Braid.Tracing.Target.Orders+<FetchAsync>d__2.MoveNext()", "Orders.FetchAsync")]
    [InlineData("Braid.Tracing.Target.Starving.Handle()", "Starving.Handle")]
    [InlineData("Shop.OrderService+<>c.<Get>b__3_0(int32)", "OrderService.Get (lambda)")]
    [InlineData("Shop.OrderService.<Get>g__Load|3_1()", "OrderService.Get.Load")]
    [InlineData("Shop.Cache`1[System.Collections.Generic.List`1[System.Int32]].Read(!0)", "Cache.Read")]
    [InlineData("", null)]
    [InlineData("libcoreclr.so!?", null)]
    public void A_frame_is_named_as_the_user_wrote_it(string frame, string? expected) =>
        Assert.Equal(expected, StackNames.MethodName(frame));

    [Fact]
    public void A_task_wait_is_named_by_the_api_the_user_called_and_the_method_that_called_it_with_its_callers()
    {
        var site = StackNames.Describe(
        [
            "System.Threading.Monitor.Wait(class System.Object,int32)",
            "System.Threading.ManualResetEventSlim.Wait(int32,value class System.Threading.CancellationToken)",
            "System.Threading.Tasks.Task.SpinThenBlockingWait(int32,value class System.Threading.CancellationToken)",
            "System.Threading.Tasks.Task.InternalWaitCore(int32,value class System.Threading.CancellationToken)",
            "System.Threading.Tasks.Task`1[System.Int32].GetResultCore(bool)",
            "Shop.OrderService.Get(int32)",
            "Shop.Handlers+<HandleAsync>d__1.MoveNext()",
            "System.Runtime.CompilerServices.AsyncMethodBuilderCore.Start(!!0&)",
            "Shop.Handlers.HandleAsync()",
            "System.Threading.ThreadPoolWorkQueue.Dispatch()",
        ]);

        Assert.NotNull(site);
        Assert.Equal("Task.Result called from OrderService.Get", site.Name);
        Assert.Equal("Task.Result called from OrderService.Get ← Handlers.HandleAsync", site.WithCallers);
        Assert.Null(site.LockType);
    }

    [Fact]
    public void A_contended_lock_is_named_by_its_type_where_the_stack_shows_it()
    {
        var threadingLock = StackNames.Describe(["System.Threading.Lock.TryEnterSlow(int32,int32)", "System.Threading.Lock.EnterScope()", "Shop.Cache.Put()"]);
        var monitor = StackNames.Describe(["System.Threading.Monitor.Enter(class System.Object,bool&)", "Shop.Cache.Put()"]);

        Assert.Equal(("System.Threading.Lock", "Cache.Put"), (threadingLock?.LockType, threadingLock?.Caller));
        Assert.Equal(("Monitor", "Monitor.Enter called from Cache.Put"), (monitor?.LockType, monitor?.Name));
    }

    [Fact]
    public void A_stack_with_no_resolved_frame_has_no_site() =>
        Assert.Null(StackNames.Describe(["", "libcoreclr.so!?"]));
}
