namespace Braid.Lab;

/// <summary>A progress report: which model is running and how many of its tasks are done.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Repeat">The repeat, from 1.</param>
/// <param name="Done">Tasks finished so far in this run of the model.</param>
/// <param name="Total">Tasks in this run of the model.</param>
public readonly record struct LabProgress(string Model, int Repeat, int Done, int Total);
