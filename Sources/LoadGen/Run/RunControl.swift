import CLoadGenSupport

/// Cancels a running test from another thread (e.g. the CLI's Ctrl-C handler). The run stops issuing, waits
/// briefly for outstanding samples, writes every log marked partial, and returns.
public final class CancellationFlag: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Int64>
    public init() {
        storage = .allocate(capacity: 1)
        storage.initialize(to: 0)
    }
    deinit { storage.deallocate() }
    public func cancel() { lg_store(storage, 1) }
    public var isCancelled: Bool { lg_load_relaxed(storage) != 0 }
}

/// A snapshot of a running test, delivered to `RunOptions.progress` from a monitor thread (never from the issue
/// loop, which stays free of callbacks).
public struct RunProgress: Sendable {
    public var phase: String
    public var issuedQueries: Int
    public var plannedQueries: Int
    public var completedSamples: Int
    public var issuedSamples: Int
    public var elapsedNs: Int64
    public var minDurationNs: Int64
}

/// Where and how logs are written (the official LogOutputSettings, less what only a CLI should do).
public struct LogSettings: Sendable {
    public var outputDirectory: String = "."
    public var prefix: String = "mlperf_log_"
    public var suffix: String = ""
    /// Writes `mlperf_log_trace.json` (Chrome trace events, one per sample; large).
    public var enableTrace: Bool = false
    public init(outputDirectory: String = ".") { self.outputDirectory = outputDirectory }

    func path(_ kind: String, _ ext: String) -> String {
        var dir = outputDirectory
        if dir.isEmpty { dir = "." }
        return dir + "/" + prefix + kind + suffix + "." + ext
    }
}

/// Options of one LoadGen test beyond the official TestSettings.
public struct RunOptions: Sendable {
    public var log: LogSettings
    /// The audit config to apply if it exists (official default: `audit.config` in the working directory).
    public var auditConfigPath: String? = "audit.config"
    /// Model name used for audit/user conf lookups and in results.json.
    public var model: String = "*"
    /// The watchdog when `max_duration_ms` is 0: how long to wait for outstanding samples while none completes
    /// (counted from the last issue, then from each completion).
    public var completionTimeoutNs: Int64 = 60_000_000_000
    public var cancellation: CancellationFlag?
    /// Called about every `progressIntervalMs` from a monitor thread.
    public var progress: (@Sendable (RunProgress) -> Void)?
    public var progressIntervalMs: Int = 500
    /// Notes to put into the detail log as warnings (e.g. from user.conf parsing).
    public var configNotes: [String] = []
    /// The most memory a performance run's queries may take (`QueryBudget`); default half the physical memory.
    public var queryMemoryLimitBytes: Double = QueryBudget.defaultLimitBytes()

    public init(log: LogSettings = LogSettings()) { self.log = log }
}
