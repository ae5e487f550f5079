import MLLog

/// The timed region of a training log as the official result summarizer reads it: the last `run_start` and the
/// first `run_stop` before both are known (a second `run_start` moves the start; lines after both are ignored).
public struct TimedRegion: Sendable, Equatable {
    public private(set) var startMs: Double?
    public private(set) var stopMs: Double?
    /// `run_stop`'s `status` metadata (`success`, `aborted`).
    public private(set) var stopStatus: String?
    /// `run_start` lines seen before the region closed (more than one is worth a warning).
    public private(set) var startCount = 0

    public init() {}

    /// The region of a whole parsed log.
    public init(_ entries: [MLLogEntry]) {
        for e in entries { observe(e.record) }
    }

    public mutating func observe(_ r: MLLogRecord) {
        guard startMs == nil || stopMs == nil else { return }
        switch r.key {
        case MLLogKey.runStart:
            startMs = r.timeMs
            startCount += 1
        case MLLogKey.runStop:
            stopMs = r.timeMs
            stopStatus = r.metadata(MLLogMetadataKey.status)?.stringValue
        default: break
        }
    }

    /// Time to train in ms, when both ends are known and finite.
    public var milliseconds: Double? {
        guard let a = startMs, let b = stopMs, a.isFinite, b.isFinite else { return nil }
        return b - a
    }

    public var succeeded: Bool { stopStatus == MLLogRunStatus.success }
}
