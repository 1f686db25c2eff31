using Braid.Simulation.Kernel;

namespace Braid.Simulation.Tests.Kernel;

public sealed class SeededRandomTests
{
    [Fact]
    public void A_derived_stream_depends_only_on_seed_and_coordinates()
    {
        var first = SeededRandom.For(42, 3, 7);
        var noise = SeededRandom.For(42, 3, 8);
        noise.NextUInt64();
        var again = SeededRandom.For(42, 3, 7);
        Assert.Equal(first.NextUInt64(), again.NextUInt64());
        Assert.NotEqual(SeededRandom.Hash(42, 3, 7), SeededRandom.Hash(42, 7, 3));
        Assert.NotEqual(SeededRandom.Hash(42, 3, 7), SeededRandom.Hash(43, 3, 7));
    }

    [Fact]
    public void NextInt_stays_in_range_and_covers_it()
    {
        var random = new SeededRandom(9);
        var seen = new bool[7];
        for (var i = 0; i < 1_000; i++)
        {
            seen[random.NextInt(7)] = true;
        }

        Assert.All(seen, Assert.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededRandom(1).NextInt(0));
    }
}
