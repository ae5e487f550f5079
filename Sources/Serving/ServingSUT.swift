import LoadGen
import ONNXRuntime

/// What the CLI and the suite need from an ORT SUT beyond LoadGen's protocol.
public protocol ServingSUT: SystemUnderTest {
    /// The first error ORT reported while serving (its samples were completed without data).
    var firstError: Error? { get }
    /// Batches and samples run (exact after `shutdown()`).
    var statistics: ServingStatistics { get }
    /// The batch size actually used (a fixed-batch model caps the requested one).
    var maxBatch: Int { get }
    /// Stops worker threads after the queued work; call once the LoadGen test has returned.
    func shutdown()
    /// Drops work not yet started (on Ctrl-C: the run stops; queued samples are never completed). Thread-safe.
    func discardPending()
}

extension DirectSUT: ServingSUT {
    public func shutdown() {}
    public func discardPending() {}
}

extension BatchingSUT: ServingSUT {}

extension ServingConfiguration {
    /// Defaults per scenario: SingleStream runs each sample alone; MultiStream runs a query's samples as one batch;
    /// Offline runs batches of 32 on one worker; Server batches what has queued (up to 8) without waiting.
    public static func defaults(for scenario: TestScenario, samplesPerQuery: Int = 8) -> ServingConfiguration {
        switch scenario {
        case .singleStream: return ServingConfiguration(maxBatch: 1)
        case .multiStream: return ServingConfiguration(maxBatch: max(1, samplesPerQuery))
        case .offline: return ServingConfiguration(maxBatch: 32, workers: 1)
        case .server: return ServingConfiguration(maxBatch: 8, workers: 1, maxWaitMicroseconds: 0)
        }
    }
}

/// Builds the ORT SUT for a scenario: SingleStream and MultiStream run directly on LoadGen's issuing thread,
/// Offline and Server go through the dynamic batcher on worker threads.
public enum ORTSUT {
    public static func make(scenario: TestScenario, model: ServedModel, provider: SampleProvider,
                            configuration: ServingConfiguration, name: String? = nil) throws -> any ServingSUT {
        let label = name ?? "ORT-\(basename(model.session.modelName))-\(scenario.rawValue)"
        switch scenario {
        case .singleStream, .multiStream:
            return try DirectSUT(model: model, provider: provider, configuration: configuration, name: label)
        case .offline, .server:
            return try BatchingSUT(model: model, provider: provider, configuration: configuration, name: label)
        }
    }

    static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
