// The detectors see the whole process: a test that starves the thread pool must not run beside one
// that asserts it is healthy.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
