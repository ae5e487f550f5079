/// One loadable set: the QSL indices loaded together (MultiStream sets are padded so that a query of contiguous
/// samples starting below `end` never overflows).
struct LoadableSet {
    var indices: [Int]
    var end: Int
}

/// Official `GenerateLoadableSets`: shuffle `[0, min(requested, total))` with `qsl_rng`, cut into chunks.
func generateLoadableSets(total: Int, requested: Int, setSize: Int, seed: UInt64, padding: Int) -> [LoadableSet] {
    var rng = MT19937(seed: seed)
    var samples = Array(0..<min(requested, total))
    rng.shuffle(&samples)
    let size = max(setSize, 1)
    var sets: [LoadableSet] = []
    var start = 0
    while start < samples.count {
        let chunk = Array(samples[start..<min(start + size, samples.count)])
        var padded = chunk
        if padding > 0 { padded.append(contentsOf: chunk.prefix(padding)) }
        sets.append(LoadableSet(indices: padded, end: chunk.count))
        start += size
    }
    return sets
}

/// All queries of one issuing series, pre-generated before the timed run, in flat arrays (no per-query objects).
/// Sample `j` of query `q` is `sampleIndex[q * samplesPerQuery + j]`; Offline has one query of all samples.
struct QueryPlan {
    var sampleIndex: [Int32] = []
    var queryCount = 0
    var samplesPerQuery = 1
    /// Server only: scheduled time of each query relative to the start (ns).
    var scheduledDelta: [Int64] = []
    /// `generated_query_duration`: the accumulated schedule after the last query (ns).
    var durationNs: Int64 = 0
    /// SequenceGen's per-sample value for accuracy-log sampling (only kept when sampling is on).
    var accuracyLogValue: [Double] = []

    var sampleCount: Int { sampleIndex.count }
}

enum IssueKind { case performance, accuracy }

/// Official `GenerateQueries` (spec §4.2), reproducing every RNG draw of the official LoadGen.
func generateQueries(_ s: EffectiveSettings, kind: IssueKind, set: LoadableSet, sequenceRNG: inout MT19937,
                     keepAccuracyLogValues: Bool) -> QueryPlan {
    var sampleRNG = MT19937(seed: s.sampleIndexRngSeed)
    var scheduleRNG = MT19937(seed: s.scheduleRngSeed)
    let loaded = set.indices
    let end = set.end
    let scenario = s.scenario
    // Clamped conversions: `TestSettings.problems` and `QueryBudget` refuse settings this large before a
    // performance run, and accuracy mode replaces them below; no value may trap here.
    var spq = Int(clamping: s.samplesPerQuery)
    var genDurationNs: Int64 = (scenario == .server ? 1 : 2) * Int64(clamping: s.targetDurationMs) * 1_000_000
    var minQueries = Int(clamping: s.minQueryCount)
    let unique = kind == .accuracy || s.performanceIssueUnique
    if unique {
        genDurationNs = 0
        if scenario == .offline && kind == .accuracy { spq = end }
        minQueries = spq > 0 ? loaded.count / spq : 0
    }
    let equalIssue = s.sampleConcatenatePermutation && kind == .performance
    if equalIssue && !loaded.isEmpty {
        if scenario == .offline {
            if spq % loaded.count != 0 { spq += loaded.count - spq % loaded.count }
        } else if minQueries % loaded.count != 0 {
            minQueries += loaded.count - minQueries % loaded.count
        }
    }

    // Both lists are always built: they consume sample_rng even when unused.
    let stride = scenario == .multiStream ? max(spq, 1) : 1
    var uniqueList = Swift.stride(from: 0, to: end, by: stride).map { $0 }
    sampleRNG.shuffle(&uniqueList)
    var equalList: [Int] = []
    do {
        var e = Array(0..<loaded.count)
        if !loaded.isEmpty {
            var j = 0
            while j < minQueries {
                sampleRNG.shuffle(&e)
                equalList.append(contentsOf: e)
                j += loaded.count
            }
        }
    }

    var plan = QueryPlan()
    plan.samplesPerQuery = spq
    let sameIndex = Int(clamping: s.performanceIssueSameIndex)
    let same = s.performanceIssueSame && kind == .performance
    var uniquePos = 0
    var equalPos = 0

    func nextIndex(_ rng: inout MT19937) -> Int {
        if unique {
            let v = uniqueList[uniquePos % max(uniqueList.count, 1)]
            uniquePos += 1
            return v
        }
        if same { return sameIndex }
        if equalIssue && !equalList.isEmpty {
            let v = equalList[equalPos % equalList.count]
            equalPos += 1
            return v
        }
        return Int(rng.uniformInt(0, UInt64(max(end - 1, 0))))
    }

    let constantGap: Int64 = s.targetQPS > 0 ? Int64((1.0 / s.targetQPS) * 1e9) : 0
    var prev: Int64 = 0
    if scenario == .offline {
        // One query: the loaded set in load order, repeated to fill the query (each repeat shuffled in equal-issue
        // mode); accuracy mode and performance_issue_unique issue the set exactly once.
        plan.sampleIndex.reserveCapacity(spq)
        if same {
            plan.sampleIndex = Array(repeating: Int32(loaded[min(sameIndex, loaded.count - 1)]), count: spq)
        } else {
            let setOrder = loaded.prefix(end).map { Int32($0) }
            var remaining = spq
            while remaining > 0 && !setOrder.isEmpty {
                var block = setOrder  // each repeat is an independent shuffle of the set in load order
                if equalIssue { sampleRNG.shuffle(&block) }
                let n = min(remaining, block.count)
                plan.sampleIndex.append(contentsOf: block.prefix(n))
                remaining -= n
            }
        }
        plan.queryCount = plan.sampleIndex.isEmpty ? 0 : 1
        plan.samplesPerQuery = plan.sampleIndex.count
        prev = constantGap
    } else {
        // The loop tests the scheduled time of the previous query (not the running sum including its gap).
        var q = 0
        var prevScheduled: Int64 = 0
        while prevScheduled < genDurationNs || q < minQueries {
            if equalIssue && q >= minQueries && prevScheduled < genDurationNs { minQueries += loaded.count }
            prevScheduled = prev
            if scenario == .multiStream {
                let k = nextIndex(&sampleRNG)
                for j in 0..<spq { plan.sampleIndex.append(Int32(loaded[min(k + j, loaded.count - 1)])) }
            } else {
                for _ in 0..<spq { plan.sampleIndex.append(Int32(loaded[nextIndex(&sampleRNG)])) }
            }
            if scenario == .server {
                plan.scheduledDelta.append(prev)
                prev += Int64(scheduleRNG.exponential(s.targetQPS) * 1e9)
            } else {
                prev += constantGap
            }
            q += 1
        }
        plan.queryCount = q
    }
    plan.durationNs = prev
    // SequenceGen draws one value per sample, in issue order, for the whole test.
    if keepAccuracyLogValues {
        plan.accuracyLogValue.reserveCapacity(plan.sampleCount)
        for _ in 0..<plan.sampleCount { plan.accuracyLogValue.append(sequenceRNG.canonical()) }
    } else {
        for _ in 0..<plan.sampleCount { _ = sequenceRNG.canonical() }
    }
    return plan
}
