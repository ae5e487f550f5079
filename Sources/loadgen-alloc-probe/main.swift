// Counts heap allocations of LoadGen runs with the null SUT (PyPI-free: ordo-one/malloc-interposer, preloaded with
// LD_PRELOAD by the test that runs this). Prints one JSON line per scenario:
//   {"scenario": S, "samples_small": n1, "mallocs_small": a1, "samples_large": n2, "mallocs_large": a2}
// A per-sample allocation on the issue/complete path shows as mallocs_large − mallocs_small growing with
// samples_large − samples_small. Used only by LoadGenTests/AllocationTests.
import LoadGen
import MallocInterposerSwift

/// Allocations during one run of `queries` queries (the run's own set-up, generation and logs included).
func mallocs(_ scenario: TestScenario, queries: UInt64, directory: String) throws -> (samples: Int, mallocs: Int) {
    var s = TestSettings()
    s.scenario = scenario
    s.minDurationMs = 0
    s.minQueryCount = queries
    s.serverTargetQPS = 1_000_000
    s.offlineExpectedQPS = 1
    s.singleStreamExpectedLatencyNs = 1
    s.multiStreamExpectedLatencyNs = 1
    var options = RunOptions(log: LogSettings(outputDirectory: directory))
    options.auditConfigPath = nil
    let before = MallocInterposerSwift.getStatistics().mallocCount
    MallocInterposerSwift.hook()
    let r = try LoadGen.run(sut: NullSUT(), qsl: NullQSL(totalSampleCount: 1024, performanceSampleCount: 1024),
                            settings: s, options: options)
    MallocInterposerSwift.unhook()
    let after = MallocInterposerSwift.getStatistics().mallocCount
    return (r.performance?.sampleCount ?? 0, after - before)
}

let directory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "alloc-probe-logs"
MallocInterposerSwift.initialize()
for scenario in TestScenario.allCases {
    _ = try mallocs(scenario, queries: 1000, directory: directory)  // warm-up: lazy runtime state
    let small = try mallocs(scenario, queries: 10_000, directory: directory)
    let large = try mallocs(scenario, queries: 200_000, directory: directory)
    print("{\"scenario\": \"\(scenario.rawValue)\", \"samples_small\": \(small.samples), \"mallocs_small\": \(small.mallocs), "
          + "\"samples_large\": \(large.samples), \"mallocs_large\": \(large.mallocs)}")
}
