import MLLog

/// Live state of one run, from its MLLOG stream.
public struct TrainingProgress: Sendable {
    public var runIndex: Int
    public var runs: Int
    public var seed: UInt64
    /// The latest epoch seen (`epoch_num`, or the block's `first_epoch_num`).
    public var epoch: Int?
    public var samplesCount: Double?
    public var latestQuality: Double?
    public var bestQuality: Double?
    public var target: Double
    public var higherIsBetter: Bool
    public var reachedTarget: Bool
    /// Seconds since the workload started.
    public var elapsedSeconds: Double
    /// Seconds since `run_start` (the timed region), once it has been logged.
    public var timedSeconds: Double?
    /// Estimated seconds left in this run, when there is enough to estimate from.
    public var estimatedSecondsLeft: Double?
    public var mllogLines: Int
    public var issues: Int
}

/// Follows an MLLOG stream: parses lines, tracks progress, keeps what scoring needs.
struct RunMonitor {
    var stream = MLLogParser.Stream()
    var entries: [MLLogEntry] = []
    var issues: [MLLogIssue] = []
    let benchmark: TrainingBenchmark
    let expectedEpochs: Double
    var progress: TrainingProgress
    var region = TimedRegion()
    var runStartMs: Double? { region.startMs }
    var runStopMs: Double? { region.stopMs }
    var runStopStatus: String? { region.stopStatus }
    /// run_start lines seen before the timed region closed (more than one is warned about).
    var runStartCount: Int { region.startCount }
    /// Non-finite times and qualities, one sentence each: such a run cannot be scored.
    var nonFinite: [String] = []
    var firstEpochTimeMs: Double?
    var epochsDone = 0
    var sawEpochStop = false
    var lastEpochStopMs: Double?
    var startWall: Double

    init(benchmark: TrainingBenchmark, runIndex: Int, runs: Int, seed: UInt64, expectedEpochs: Double) {
        self.benchmark = benchmark
        self.expectedEpochs = expectedEpochs
        startWall = monotonicSeconds()
        progress = TrainingProgress(runIndex: runIndex, runs: runs, seed: seed, epoch: nil, samplesCount: nil,
                               latestQuality: nil, bestQuality: nil, target: benchmark.target,
                               higherIsBetter: benchmark.higherIsBetter, reachedTarget: false, elapsedSeconds: 0,
                               timedSeconds: nil, estimatedSecondsLeft: nil, mllogLines: 0, issues: 0)
    }

    /// Feeds one line. Returns the normalised MLLOG text to save, or nil for a non-MLLOG line.
    mutating func feed(_ line: [UInt8]) -> String? {
        guard let (entry, newIssues) = stream.feed(line) else { return nil }
        issues += newIssues
        progress.issues = issues.count
        progress.mllogLines += 1
        guard let entry else {
            // Keep the bad line as it came, from the token on, so the saved log shows what the checker judges.
            if let at = MLLogParser.lastToken(in: line) { return JSONParser.decode(Array(line[at...])) }
            return nil
        }
        entries.append(entry)
        observe(entry.record)
        return entry.text
    }

    mutating func observe(_ r: MLLogRecord) {
        if !r.timeMs.isFinite && (r.key == MLLogKey.runStart || r.key == MLLogKey.runStop) {
            nonFinite.append("\(r.key) has time_ms \(r.timeMs)")
        }
        region.observe(r)
        switch r.key {
        case MLLogKey.epochStart, MLLogKey.blockStart:
            if let e = (r.metadata(MLLogMetadataKey.epochNum) ?? r.metadata(MLLogMetadataKey.firstEpochNum))?.int64Value {
                progress.epoch = Int(e)
            }
            if firstEpochTimeMs == nil { firstEpochTimeMs = r.timeMs }
        case MLLogKey.epochStop, MLLogKey.blockStop:
            // A block and its epochs both end: count each epoch once (by the epoch_stop, or the block_stop alone).
            if r.key == MLLogKey.epochStop || !sawEpochStop {
                epochsDone += r.key == MLLogKey.epochStop ? 1 : max(1, Int(r.metadata(MLLogMetadataKey.epochCount)?.int64Value ?? 1))
            }
            if r.key == MLLogKey.epochStop { sawEpochStop = true }
            lastEpochStopMs = r.timeMs
        case MLLogKey.evalAccuracy:
            guard let q = r.value.doubleValue else { break }
            guard q.isFinite else {
                nonFinite.append("eval_accuracy is \(q)")
                break
            }
            progress.latestQuality = q
            if let b = progress.bestQuality {
                progress.bestQuality = benchmark.higherIsBetter ? max(b, q) : min(b, q)
            } else { progress.bestQuality = q }
            if benchmark.meetsTarget(q) { progress.reachedTarget = true }
            if let e = r.metadata(MLLogMetadataKey.epochNum)?.doubleValue { progress.epoch = Int(e) }
            if let s = r.metadata(MLLogMetadataKey.samplesCount)?.doubleValue { progress.samplesCount = s }
        default: break
        }
        updateTimes(nowMs: r.timeMs)
    }

    mutating func updateTimes(nowMs: Double? = nil) {
        progress.elapsedSeconds = monotonicSeconds() - startWall
        // Log times are wall-clock ms (as the reference loggers write them); between lines, use the wall clock.
        let now = runStopMs ?? nowMs ?? MLLogger.wallClockMs()
        if let start = runStartMs { progress.timedSeconds = max(0, (now - start) / 1000) }
        if runStopMs != nil {
            progress.estimatedSecondsLeft = 0
        } else if let first = firstEpochTimeMs, epochsDone > 0, let lastStop = lastEpochStopMs {
            // Seconds per epoch so far, times the epochs still expected, minus the time into the current epoch.
            let perEpoch = (lastStop - first) / 1000 / Double(epochsDone)
            let expected = max(expectedEpochs, Double(epochsDone + 1))
            let intoCurrent = max(0, (now - lastStop) / 1000)
            progress.estimatedSecondsLeft = max(0, perEpoch * (expected - Double(epochsDone)) - intoCurrent)
        }
    }
}
