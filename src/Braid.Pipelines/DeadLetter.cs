namespace Braid.Pipelines;

/// <summary>An item that a stage's function failed on, after every retry, under <see cref="ErrorPolicy.ContinueWithDeadLetters"/>.</summary>
/// <param name="Stage">The name of the stage that failed.</param>
/// <param name="Item">The item the stage received.</param>
/// <param name="Exception">The last exception thrown for it.</param>
/// <param name="Attempts">How many times the function was called for it.</param>
public sealed record DeadLetter(string Stage, object? Item, Exception Exception, int Attempts);
