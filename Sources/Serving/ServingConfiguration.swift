/// How an ORT SUT batches and threads its work.
public struct ServingConfiguration: Sendable, Equatable {
    /// The largest batch one ORT run takes (capped at a fixed-batch model's size).
    public var maxBatch: Int
    /// Worker threads (batching SUT only), each with its own buffers, sharing one ORT session.
    public var workers: Int
    /// Batching SUT: how long a worker holding fewer than `maxBatch` samples waits for more before running,
    /// counted from the oldest waiting sample's arrival. 0 runs whatever is queued at once.
    public var maxWaitMicroseconds: Int

    public init(maxBatch: Int = 1, workers: Int = 1, maxWaitMicroseconds: Int = 0) {
        self.maxBatch = max(1, maxBatch)
        self.workers = max(1, workers)
        self.maxWaitMicroseconds = max(0, maxWaitMicroseconds)
    }
}

/// Counters a SUT keeps while it runs, for the result report.
public struct ServingStatistics: Sendable, Equatable {
    public var batches: Int
    public var samples: Int
    public var meanBatchSize: Double { batches == 0 ? 0 : Double(samples) / Double(batches) }
}
