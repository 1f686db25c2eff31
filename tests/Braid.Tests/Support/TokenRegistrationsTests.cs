using Braid.Tests.Shared;

namespace Braid.Tests.Support;

public class TokenRegistrationsTests
{
    [Fact]
    public void Counts_registrations_as_they_are_added_and_disposed()
    {
        using var cts = new CancellationTokenSource();
        Assert.Equal(0, TokenRegistrations.Count(cts));
        var first = cts.Token.Register(static () => { });
        var second = cts.Token.UnsafeRegister(static _ => { }, null);
        Assert.Equal(2, TokenRegistrations.Count(cts));
        first.Dispose();
        Assert.Equal(1, TokenRegistrations.Count(cts));
        second.Dispose();
        Assert.Equal(0, TokenRegistrations.Count(cts));
    }

    [Fact]
    public void A_linked_source_is_a_registration_on_its_parent_until_disposed()
    {
        using var parent = new CancellationTokenSource();
        var linked = CancellationTokenSource.CreateLinkedTokenSource(parent.Token);
        Assert.Equal(1, TokenRegistrations.Count(parent));
        linked.Dispose();
        Assert.Equal(0, TokenRegistrations.Count(parent));
    }
}
