import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Submission
import Training
import LoadGen
import ProjectEnvironment

/// Console helpers. Only the CLI prints.
enum Console {
    static let isTTY = isatty(2) != 0

    static func err(_ s: String) { write(s + "\n") }

    /// A line on standard output, unbuffered (so progress shows through a pipe too).
    static func out(_ s: String) {
        var s = s + "\n"
        s.withUTF8 { buf in _ = Glibc.write(1, buf.baseAddress, buf.count) }
    }

    /// Writes to standard error (unbuffered, thread-safe).
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
    }

    /// A progress line on stderr: rewritten in place on a terminal, one line every few seconds otherwise.
    final class ProgressLine: @unchecked Sendable {
        private var last: Int64 = 0
        private let lock = NSLockish()
        func update(_ text: String) {
            lock.with {
                if Console.isTTY {
                    Console.write("\r\u{1B}[2K" + text)
                } else {
                    var ts = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &ts)
                    let now = Int64(ts.tv_sec)
                    if now - last >= 5 { Console.write(text + "\n"); last = now }
                }
            }
        }
        func finish() { lock.with { if Console.isTTY { Console.write("\r\u{1B}[2K") } } }
    }
}

/// A tiny pthread mutex wrapper.
final class NSLockish: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func with<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}

/// Ctrl-C → cancel the running work (first press); a second press exits at once. Installs the signal handlers
/// once; every flag registered (one per run, e.g. in `mlperf suite`) is cancelled.
enum Interrupt {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var flags: [CancellationFlag] = []
    nonisolated(unsafe) private static var callbacks: [@Sendable () -> Void] = []
    private static let lock = NSLockish()
    nonisolated(unsafe) private static var interrupted = false

    static func install(_ flag: CancellationFlag, onCancel: (@Sendable () -> Void)? = nil) {
        lock.with {
            flags.append(flag)
            if let onCancel { callbacks.append(onCancel) }
            if interrupted { flag.cancel() }
            guard sources.isEmpty else { return }
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            for sig in [SIGINT, SIGTERM] {
                let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                src.setEventHandler { Interrupt.fire() }
                src.resume()
                sources.append(src)
            }
        }
    }

    private static func fire() {
        lock.with {
            if interrupted { _exit(130) }
            interrupted = true
            Console.err("\ninterrupted: stopping, flushing logs (results will be marked partial); press Ctrl-C again to quit at once")
            for f in flags { f.cancel() }
            for c in callbacks { c() }
        }
    }

    static var wasInterrupted: Bool { lock.with { interrupted } }
}

func formatDuration(_ ns: Int64) -> String {
    let s = Double(ns) / 1e9
    if s < 60 { return String(Int(s)) + "s" }
    return "\(Int(s) / 60)m\(Int(s) % 60)s"
}

func progressText(_ p: RunProgress) -> String {
    var t = "[\(p.phase)] \(formatDuration(p.elapsedNs))"
    if p.minDurationNs > 0 { t += "/\(formatDuration(p.minDurationNs))" }
    t += "  queries \(p.issuedQueries)/\(p.plannedQueries)  samples done \(p.completedSamples)/\(p.issuedSamples)"
    return t
}

/// The median of `values` (the mean of the middle two for an even count; 0 when empty).
func median(_ values: [Double]) -> Double {
    let v = values.sorted()
    guard !v.isEmpty else { return 0 }
    return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
}

/// The Python interpreter for a command: `override` (an option the user typed) when given, else the project's
/// (`MLPERF_PYTHON`, else the checkout's `.venv`). Throws the locator's one-line error when there is none.
func projectPython(_ override: String? = nil) throws -> String {
    if let override, !override.isEmpty { return override }
    return try ProjectPython.locate(environment: ProcessInfo.processInfo.environment).path
}

/// After the official summary: each rule a performance run failed, with the measured value, the threshold and the
/// advice (the summary itself keeps the official LoadGen's wording).
func printFailedRules(_ result: TestResult) {
    guard let p = result.performance, !p.isValid else { return }
    print("Why INVALID:")
    for r in p.rules where !r.passed {
        print("  - \(r.rule): \(r.measured) (needs \(r.required))" + (r.advice.map { ". \($0)" } ?? ""))
    }
}

/// A run that performed no test (invalid settings, a mode the scenario lacks, …) ends the command with status 1 and
/// the reason, after its logs are written.
func exitIfNoTest(_ result: TestResult, logs: String) throws {
    guard let reason = result.noTestReason else { return }
    Console.err("No test was run: \(reason)")
    Console.err("Logs: \(logs)/  (the detail log has the error)")
    throw ExitCode(1)
}

/// Measures each training run's energy (RAPL or NVML where the machine has them, else the reason) from the
/// harness's events, and writes `energy_<i>.json` beside `result_<i>.txt` (read by `mlperf submission summarize`).
final class TrainingEnergyRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var probes: [Int: EnergyProbe] = [:]

    func handle(_ event: HarnessEvent) {
        switch event {
        case .runStarted(let index, _, _, _, _):
            lock.withLock { probes[index] = EnergyProbe() }
        case .runFinished(let r):
            guard let probe = lock.withLock({ probes.removeValue(forKey: r.index) }) else { return }
            let dir = (r.logPath as NSString).deletingLastPathComponent
            try? probe.finish().write(to: dir + "/energy_\(r.index).json")
        case .progress: break
        }
    }
}
