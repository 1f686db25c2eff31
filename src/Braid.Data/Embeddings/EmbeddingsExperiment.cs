using System.Diagnostics;
using System.Numerics.Tensors;
using Braid.Data.Experiments;
using Braid.Data.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Braid.Data.Embeddings;

/// <summary>
/// <c>braid db embeddings</c>: seeded random unit vectors (no embedding model is available offline)
/// bulk-inserted into PostgreSQL as <c>real[]</c> by binary COPY, then the nearest neighbours of some
/// query vectors by brute-force cosine similarity, set-based in SQL and in process with
/// <see cref="TensorPrimitives"/>. The two answers are compared: the top-k ids must agree.
/// </summary>
internal static class EmbeddingsExperiment
{
    /// <summary>Runs the experiment; <paramref name="k"/> neighbours a query.</summary>
    public static async Task<DataReport> RunAsync(string connectionString, int vectors, int dimensions, int queries, int k, int seed, CancellationToken cancellationToken)
    {
        var target = PostgresTarget.Parse(connectionString);
        await using var source = NpgsqlDataSource.Create(target.ConnectionString);
        var settings = await PostgresExperiments.SettingsAsync(source, cancellationToken).ConfigureAwait(false);
        settings["vectors"] = $"{vectors} x {dimensions} (seed {seed})";
        var random = new Random(seed);
        var data = new float[vectors * dimensions];
        for (var i = 0; i < vectors; i++)
        {
            Unit(random, data.AsSpan(i * dimensions, dimensions));
        }

        var probes = new float[queries][];
        for (var q = 0; q < queries; q++)
        {
            probes[q] = new float[dimensions];
            Unit(random, probes[q]);
        }

        var table = PostgresExperiments.TableName("braid_vectors");
        var cases = new List<DataCase>();
        await PostgresExperiments.ExecuteAsync(source, $"CREATE TABLE {table} (id int PRIMARY KEY, v real[] NOT NULL)", cancellationToken).ConfigureAwait(false);
        try
        {
            var clock = Stopwatch.StartNew();
            await using (var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            await using (var copy = await connection.BeginBinaryImportAsync($"COPY {table} (id, v) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
            {
                var row = new float[dimensions];
                for (var i = 0; i < vectors; i++)
                {
                    data.AsSpan(i * dimensions, dimensions).CopyTo(row);
                    await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await copy.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await copy.WriteAsync(row, NpgsqlDbType.Array | NpgsqlDbType.Real, cancellationToken).ConfigureAwait(false);
                }

                await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            clock.Stop();
            cases.Add(new DataCase("bulk insert (binary COPY, real[])", [
                new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                new Metric("vectors/s", vectors / clock.Elapsed.TotalSeconds, "/s"),
            ]));

            // Set-based: every query against every vector in one statement; the vectors are unit length,
            // so the cosine similarity is the dot product (summed in float8).
            clock.Restart();
            var sqlTop = new List<int>[queries];
            for (var q = 0; q < queries; q++)
            {
                sqlTop[q] = [];
            }

            await using (var command = source.CreateCommand(
                $"""
                WITH q AS (SELECT qid, ($2::real[])[qid * {dimensions} + 1 : qid * {dimensions} + {dimensions}] AS v FROM unnest($1::int[]) AS qid)
                SELECT q.qid, n.id
                FROM q CROSS JOIN LATERAL (
                    SELECT d.id
                    FROM {table} d
                    ORDER BY (SELECT sum(a::float8 * b::float8) FROM unnest(d.v, q.v) AS t(a, b)) DESC, d.id
                    LIMIT {k}) n
                """))
            {
                command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. Enumerable.Range(0, queries)] });
                command.Parameters.Add(new NpgsqlParameter<float[]> { TypedValue = [.. probes.SelectMany(p => p)] });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    sqlTop[reader.GetInt32(0)].Add(reader.GetInt32(1));
                }
            }

            clock.Stop();
            cases.Add(new DataCase($"{queries} queries, top {k}, in PostgreSQL (real[], set-based)", [
                new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                new Metric("per query", clock.Elapsed.TotalMilliseconds / queries, "ms"),
            ]));

            clock.Restart();
            var localTop = new List<int>[queries];
            var scores = new float[vectors];
            for (var q = 0; q < queries; q++)
            {
                for (var i = 0; i < vectors; i++)
                {
                    scores[i] = TensorPrimitives.Dot(data.AsSpan(i * dimensions, dimensions), probes[q]);
                }

                localTop[q] = TopK(scores, k);
            }

            clock.Stop();
            var agree = Enumerable.Range(0, queries).Sum(q => sqlTop[q].Intersect(localTop[q]).Count());
            cases.Add(new DataCase($"{queries} queries, top {k}, in process (TensorPrimitives.Dot)", [
                new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                new Metric("per query", clock.Elapsed.TotalMilliseconds / queries, "ms"),
                new Metric("ids agreeing with SQL", agree, $"of {queries * k}"),
            ]));
        }
        finally
        {
            await PostgresExperiments.ExecuteAsync(source, $"DROP TABLE IF EXISTS {table}", CancellationToken.None).ConfigureAwait(false);
        }

        return new DataReport("embeddings", PostgresTarget.Mask(connectionString), settings, cases, [
            "Random unit vectors stand in for embeddings: no model is available offline. Brute force, no index.",
            "pgvector is not packaged for this machine's Debian (apt-cache search pgvector finds nothing); the contrib extension cube is the in-box index, for up to 100 dimensions.",
        ]);
    }

    /// <summary>The ids of the <paramref name="k"/> highest scores, best first (ties: lower id first).</summary>
    internal static List<int> TopK(float[] scores, int k)
    {
        var best = new PriorityQueue<int, (float Score, int Id)>(Comparer<(float Score, int Id)>.Create((a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Id.CompareTo(a.Id)));
        for (var i = 0; i < scores.Length; i++)
        {
            if (best.Count < k)
            {
                best.Enqueue(i, (scores[i], i));
            }
            else
            {
                best.EnqueueDequeue(i, (scores[i], i));
            }
        }

        var result = new List<int>(k);
        while (best.TryDequeue(out var id, out _))
        {
            result.Add(id);
        }

        result.Reverse();
        return result;
    }

    private static void Unit(Random random, Span<float> vector)
    {
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, norm, vector);
    }
}
