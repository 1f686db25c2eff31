namespace Braid.Lab;

/// <summary>One task as it ran: where (lane) and when, relative to its model's start.</summary>
public sealed record TaskRecord
{
    /// <summary>The task's index, 0 to tasks - 1; the same index does the same work in every model.</summary>
    public required int Index { get; init; }

    /// <summary>Where the task started: <c>t</c> and a managed thread id, or <c>w</c> and a worker process number.</summary>
    public required string Lane { get; init; }

    /// <summary>When the task started, in milliseconds after the model started.</summary>
    public required double StartMs { get; init; }

    /// <summary>When the task finished, in milliseconds after the model started.</summary>
    public required double EndMs { get; init; }

    /// <summary>Whether the task produced a result (false when its request failed, its worker died or it was cancelled).</summary>
    public required bool Ok { get; init; }

    /// <summary>Why the task failed; null when it succeeded.</summary>
    public string? Error { get; init; }
}
