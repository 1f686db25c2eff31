using Braid.Data.Embeddings;
using Braid.Data.Tests.Postgres;

namespace Braid.Data.Tests.Embeddings;

public sealed class EmbeddingsExperimentTests
{
    [Fact]
    public void TopK_is_the_highest_scores_best_first()
    {
        float[] scores = [0.1f, 0.9f, -0.5f, 0.7f, 0.9f, 0.3f];
        Assert.Equal([1, 4, 3], EmbeddingsExperiment.TopK(scores, 3)); // the tie at 0.9: lower id first
    }

    [SkippableFact]
    public async Task PostgreSQL_and_the_in_process_search_find_the_same_neighbours()
    {
        const int Queries = 3, K = 5;
        var report = await EmbeddingsExperiment.RunAsync(PostgresServer.ConnectionString(), vectors: 500, dimensions: 16, Queries, K, seed: 16, CancellationToken.None);
        Assert.Equal(3, report.Cases.Count);
        Assert.InRange(report.Cases[2]["ids agreeing with SQL"], (Queries * K) - 1, Queries * K);
    }
}
