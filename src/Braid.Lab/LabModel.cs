namespace Braid.Lab;

/// <summary>
/// One way of organising the lab's tasks (sequential, threads, async, ...). A model decides only
/// where and when each task runs: it calls <see cref="LabTasks.Run"/> or <see cref="LabTasks.RunAsync"/>
/// for every index, and the lab times, records and checks every task (design rule 80). The built-in
/// models are listed in <see cref="LabCatalog"/>; a model of your own is passed in <see cref="LabOptions.Models"/>.
/// </summary>
/// <remarks>An instance holds no state of a run: the lab may run it several times (repeats), one run at a time.</remarks>
public abstract class LabModel
{
    /// <summary>Creates a model named <paramref name="name"/>.</summary>
    /// <param name="name">Its command-line name: lower-case letters, digits and '-', such as <c>async-bounded</c>.</param>
    /// <exception cref="ArgumentException">The name is empty or has other characters.</exception>
    protected LabModel(string name) => Name = LabCatalog.CheckName(name);

    /// <summary>The model's command-line name, also its name in the results and reports.</summary>
    public string Name { get; }

    /// <summary>The options this model reads (<see cref="LabSettings.Concurrency"/>, <see cref="LabSettings.Workers"/>); none by default.</summary>
    public virtual LabSettings Settings => LabSettings.None;

    /// <summary>Whether the model runs its tasks in other processes: the lab then opens no session in this one.</summary>
    internal virtual bool RunsOutOfProcess => false;

    /// <summary>One sentence saying how this model runs the tasks that <paramref name="options"/> describe, for the results and reports.</summary>
    /// <param name="options">The run's options.</param>
    /// <returns>Such as <c>200 dedicated OS threads, one per task, blocking I/O</c>.</returns>
    public abstract string Describe(LabOptions options);

    /// <summary>Runs every task of <paramref name="tasks"/> once, in this model's organisation.</summary>
    /// <param name="tasks">The tasks: <see cref="LabTasks.Count"/> indices to run, and the run's options.</param>
    /// <param name="cancellationToken">
    /// Stops the run: start no more tasks, and let the ones running see the token. The returned task
    /// may then end in <see cref="OperationCanceledException"/>; tasks not run are reported as such.
    /// </param>
    /// <returns>A task that completes when every task has run (or the run was cancelled); may complete synchronously.</returns>
    public abstract Task RunAsync(LabTasks tasks, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
