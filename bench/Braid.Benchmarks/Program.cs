using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project bench/Braid.Benchmarks -- --filter '*'
// Each area's benchmarks live in the folder named after it; results and commands are in bench/README.md.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
