import Foundation
import TestSupport
import Testing

/// The hot-path rule as a check (as swift-nio keeps allocation counts in CI): a null-SUT run of 200 000 samples
/// allocates no more than one of 10 000 in every scenario, so the issue/complete path allocates nothing per sample.
/// The counts come from `loadgen-alloc-probe` (release build, made by scripts/test.sh) under the preloaded
/// ordo-one/malloc-interposer. (A debug build allocates per sample: unspecialised generics; users run release.)
@Suite("LoadGen heap allocations")
struct AllocationTests {
    static let release = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/release").path

    @Test("no allocation per sample on the issue/complete path, in every scenario (release build)")
    func noPerSampleAllocations() throws {
        let probe = Self.release + "/loadgen-alloc-probe"
        let interposer = Self.release + "/libMallocInterposerSwift.so"
        guard FileManager.default.isExecutableFile(atPath: probe), FileManager.default.fileExists(atPath: interposer) else {
            let fix = "scripts/test.sh builds them (swift build -c release --product loadgen-alloc-probe)"
            Issue.record(Comment(rawValue: "\(probe) or \(interposer) is missing: \(fix)"))
            return
        }
        let logs = try Scratch.directory("alloc-probe").path
        let r = try Subprocess.run(probe, [logs], environment: ["LD_PRELOAD": interposer])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(rows.count == 4, "\(r.stdout)")
        for row in rows {
            let scenario = row["scenario"] as? String ?? "?"
            let small = (row["mallocs_small"] as? NSNumber)?.intValue ?? -1
            let large = (row["mallocs_large"] as? NSNumber)?.intValue ?? -1
            let extraSamples = ((row["samples_large"] as? NSNumber)?.intValue ?? 0) - ((row["samples_small"] as? NSNumber)?.intValue ?? 0)
            #expect(small > 0, "\(scenario): the interposer counted nothing (not preloaded?)")
            #expect(extraSamples >= 190_000, "\(scenario): \(extraSamples) more samples")
            // Array growth while generating (logarithmic) and a few log lines are allowed; per-sample work is not.
            #expect(large - small <= 64, "\(scenario): \(large - small) more allocations for \(extraSamples) more samples")
        }
    }
}
