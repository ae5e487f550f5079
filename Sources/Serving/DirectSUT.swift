import LoadGen
import ONNXRuntime

/// Runs each query on LoadGen's issuing thread, inline, and completes it before returning: the lowest-latency
/// path, for SingleStream (one sample a query) and MultiStream (the query's samples run as one batch, or several
/// when the query is larger than `maxBatch`).
public final class DirectSUT: SystemUnderTest, @unchecked Sendable {
    public let name: String
    private let runner: BatchRunner

    public init(model: ServedModel, provider: SampleProvider, configuration: ServingConfiguration = .init(),
                name: String? = nil) throws {
        self.runner = try BatchRunner(model: model, provider: provider, maxBatch: configuration.maxBatch)
        self.name = name ?? "ORT-direct"
    }

    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        let indices = samples.qslIndices
        let first = samples.firstID
        for i in 0..<indices.count {
            runner.add(id: first &+ i, index: Int(indices[i]))
            if runner.isFull { runner.flush(completer) }
        }
        runner.flush(completer)
    }

    public func flushQueries() {}

    /// The first error ORT reported while serving (samples were still completed, without data).
    public var firstError: Error? { runner.firstError }

    public var statistics: ServingStatistics { ServingStatistics(batches: runner.batchesRun, samples: runner.samplesRun) }

    /// The batch size actually used (a fixed-batch model caps it).
    public var maxBatch: Int { runner.maxBatch }
}
