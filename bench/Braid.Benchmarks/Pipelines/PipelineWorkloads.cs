using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Braid.Pipelines;

namespace Braid.Benchmarks.Pipelines;

/// <summary>
/// One three-stage pipeline written with each library: source → f → g → h → sink (a sum). Every
/// variant has bounded buffers of <see cref="Capacity"/> items between stages, like Braid's default.
/// </summary>
internal static class PipelineWorkloads
{
    public const int Capacity = 1024;

    public static async Task<long> BraidAsync(int count, Func<int, int> f, Func<int, int> g, Func<int, int> h, int workers)
    {
        long sum = 0;
        var stage = new StageOptions { Workers = workers, Capacity = Capacity };
        await Pipeline.From(Enumerable.Range(0, count))
            .Map(f, stage)
            .Map(g, stage)
            .Map(h, stage)
            .RunAsync(x => sum += x);
        return sum;
    }

    public static async Task<long> DataflowAsync(int count, Func<int, int> f, Func<int, int> g, Func<int, int> h, int workers, bool bounded)
    {
        long sum = 0;
        var options = new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = bounded ? Capacity : DataflowBlockOptions.Unbounded,
            MaxDegreeOfParallelism = workers,
            EnsureOrdered = true,
        };
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        var first = new TransformBlock<int, int>(f, options);
        var second = new TransformBlock<int, int>(g, options);
        var third = new TransformBlock<int, int>(h, options);
        var sink = new ActionBlock<int>(x => sum += x, new ExecutionDataflowBlockOptions { BoundedCapacity = options.BoundedCapacity });
        first.LinkTo(second, link);
        second.LinkTo(third, link);
        third.LinkTo(sink, link);
        for (var i = 0; i < count; i++)
        {
            if (!first.Post(i))
            {
                await first.SendAsync(i);
            }
        }

        first.Complete();
        await sink.Completion;
        return sum;
    }

    public static async Task<long> ChannelsAsync(int count, Func<int, int> f, Func<int, int> g, Func<int, int> h, int workers)
    {
        // The hand-written version a careful user writes: bounded channels, drain loops
        // (WaitToReadAsync + TryRead), one task per worker, completion passed on by the last worker.
        var a = Bounded();
        var b = Bounded();
        var c = Bounded();
        var d = Bounded();
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                if (!a.Writer.TryWrite(i))
                {
                    await a.Writer.WriteAsync(i);
                }
            }

            a.Writer.Complete();
        });
        var stages = new[] { Stage(a, b, f), Stage(b, c, g), Stage(c, d, h) };
        long sum = 0;
        while (await d.Reader.WaitToReadAsync())
        {
            while (d.Reader.TryRead(out var x))
            {
                sum += x;
            }
        }

        await producer;
        await Task.WhenAll(stages);
        return sum;

        Task Stage(Channel<int> input, Channel<int> output, Func<int, int> function)
        {
            var tasks = new Task[workers];
            for (var w = 0; w < workers; w++)
            {
                tasks[w] = Task.Run(async () =>
                {
                    while (await input.Reader.WaitToReadAsync())
                    {
                        while (input.Reader.TryRead(out var x))
                        {
                            var y = function(x);
                            if (!output.Writer.TryWrite(y))
                            {
                                await output.Writer.WriteAsync(y);
                            }
                        }
                    }
                });
            }

            return Task.WhenAll(tasks).ContinueWith(_ => output.Writer.Complete(), TaskScheduler.Default);
        }

        static Channel<int> Bounded() => Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    public static Task<long> AkkaAsync(IMaterializer materializer, int count, Func<int, int> f, Func<int, int> g, Func<int, int> h, bool asyncBoundaries)
    {
        var source = Source.From(Enumerable.Range(0, count));
        var flow = asyncBoundaries
            ? source.Select(f).Async().Select(g).Async().Select(h).Async()
            : source.Select(f).Select(g).Select(h);
        return flow.RunWith(Sink.Aggregate<int, long>(0L, (sum, x) => sum + x), materializer);
    }

    public static (ActorSystem System, IMaterializer Materializer) StartAkka()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        var system = ActorSystem.Create("bench", config);
        var settings = ActorMaterializerSettings.Create(system).WithInputBuffer(Capacity, Capacity);
        return (system, system.Materializer(settings));
    }
}
