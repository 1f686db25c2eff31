using Braid.Lab;
using Spectre.Console;

namespace Braid.Cli.Commands;

/// <summary>
/// The lab's live progress: a bar per model (and repeat). A bar's clock stops when its model is done or
/// the next one starts (models run one after another), so a finished model does not keep counting.
/// </summary>
internal sealed class LiveBars(ProgressContext context, int repeats)
{
    private readonly Dictionary<string, ProgressTask> _bars = [];

    /// <summary>The bars so far, in the order their models started.</summary>
    public IReadOnlyCollection<ProgressTask> Bars => _bars.Values;

    /// <summary>Moves <paramref name="progress"/>'s bar; called from the models' threads.</summary>
    public void Report(LabProgress progress)
    {
        lock (_bars)
        {
            var key = progress.Model + "#" + progress.Repeat;
            if (!_bars.TryGetValue(key, out var bar))
            {
                foreach (var previous in _bars.Values)
                {
                    previous.StopTask();
                }

                bar = context.AddTask(Markup.Escape(repeats > 1 ? $"{progress.Model} ({progress.Repeat})" : progress.Model), maxValue: progress.Total);
                _bars[key] = bar;
            }

            bar.Value = progress.Done;
            if (progress.Done >= progress.Total)
            {
                bar.StopTask();
            }
        }
    }

    /// <summary>Stops every clock (the run ended, cancelled or not).</summary>
    public void StopAll()
    {
        lock (_bars)
        {
            foreach (var bar in _bars.Values)
            {
                bar.StopTask();
            }
        }
    }
}
