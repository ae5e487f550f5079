@testable import LoadGen
import Testing

@Suite struct EarlyStoppingTests {
    /// Reference values from the official early-stopping code (spec §6), c = 0.99.
    @Test(arguments: [
        (0.90, [Int64(0): Int64(44), 1: 63, 2: 79, 5: 122, 10: 187, 100: 1146]),
        (0.99, [0: 459, 1: 661, 2: 836, 5: 1302, 10: 2000, 100: 12471]),
        (0.999, [0: 4603, 1: 6635, 2: 8401, 5: 13100, 10: 20130, 100: 125726]),
    ])
    func minPassingMatchesReference(p: Double, expected: [Int64: Int64]) {
        var es = EarlyStopping(percentile: p)
        for (t, h) in expected.sorted(by: { $0.key > $1.key }) {  // out of order on purpose: the cache must not matter
            #expect(es.minPassing(overLatency: t) == h, "p=\(p) t=\(t)")
        }
    }

    @Test func singleStreamEstimateDiscardsTheRightCount() {
        // 1000 latencies 1...1000: h(t) + t ≤ 1000 for t up to the official scan's break.
        var v = (1...1000).map { Int64($0) }
        var es = EarlyStopping(percentile: 0.9)
        let r = v.withUnsafeMutableBufferPointer { es.estimate(sortedLatencies: UnsafeBufferPointer($0)) }
        // Linear reference scan (the official loop).
        var ref = EarlyStopping(percentile: 0.9)
        var t: Int64 = 1
        for i in Int64(2)...1000 where 1000 < ref.minPassing(overLatency: i) + i { t = i - 1; break }
        #expect(r?.discarded == t - 1)
        #expect(r?.estimate == v[1000 - Int(t)])
        v.removeAll()
    }

    @Test func tooFewQueriesIsNotMet() {
        let v = [Int64](repeating: 5, count: 63)
        var es = EarlyStopping(percentile: 0.9)
        #expect(v.withUnsafeBufferPointer { es.estimate(sortedLatencies: $0) } == nil)
        #expect(es.minimumQueries() == 64)
    }
}
