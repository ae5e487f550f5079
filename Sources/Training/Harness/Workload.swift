import MLLog

/// An in-process training run: emits MLLOG through `logger`, polls `isCancelled` (set on Ctrl-C or the timeout) and
/// returns when done. Throwing marks the run failed with the error as the reason.
public typealias InProcessTraining = @Sendable (_ seed: UInt64, _ logger: MLLogger,
                                                _ isCancelled: @Sendable () -> Bool) throws -> Void

/// An external training command. Its stdout and stderr are read live; `:::MLLOG` lines are taken from them, or, when
/// `logFile` is set, from that file only (it is tailed while the command runs).
///
/// Seeds: every `{seed}` in the arguments is replaced by the run's seed; if no argument contains `{seed}`,
/// `--seed <seed>` is appended. `{run}` (0-based run index), `{division}`, `{system}` and `{benchmark}` are replaced
/// too, in the arguments and in `logFile`. The environment also gets `MLPERF_SEED`, `MLPERF_RUN_INDEX`,
/// `MLPERF_DIVISION`, `MLPERF_SYSTEM` and `MLPERF_BENCHMARK`. The command runs in its own process group; at the
/// timeout or on cancellation the whole group gets SIGTERM, then SIGKILL 3 s later.
public struct ExternalCommand: Sendable {
    public var arguments: [String]
    public var logFile: String?
    public var environment: [String: String]

    public init(arguments: [String], logFile: String? = nil, environment: [String: String] = [:]) {
        self.arguments = arguments
        self.logFile = logFile
        self.environment = environment
    }

    /// Splits a shell-like command line: whitespace separates words; single and double quotes group; backslash
    /// escapes the next character (outside single quotes).
    public static func split(_ line: String) throws(HarnessError) -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character? = nil
        var escape = false
        for ch in line {
            if escape { cur.append(ch); escape = false; continue }
            if let q = quote {
                if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escape = true } else { cur.append(ch) }
                continue
            }
            switch ch {
            case "'", "\"": quote = ch; inWord = true
            case "\\": escape = true; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(cur); cur = ""; inWord = false }
            default: cur.append(ch); inWord = true
            }
        }
        if quote != nil { throw HarnessError("unterminated quote in the command: \(line)") }
        if inWord { words.append(cur) }
        if words.isEmpty { throw HarnessError("the command is empty") }
        return words
    }

    /// The argument vector for one run (placeholders substituted, `--seed` appended when there is no `{seed}`).
    public func resolvedArguments(_ ctx: WorkloadContext, seed: UInt64) -> [String] {
        var args = arguments.map { ctx.substitute($0, seed: seed) }
        if !arguments.contains(where: { $0.contains("{seed}") }) { args += ["--seed", String(seed)] }
        return args
    }
}

/// What a workload is told about the run it is part of.
public struct WorkloadContext: Sendable {
    public var benchmark: String
    public var division: String
    public var system: String
    public var runIndex: Int

    public init(benchmark: String, division: String, system: String, runIndex: Int = 0) {
        self.benchmark = benchmark
        self.division = division
        self.system = system
        self.runIndex = runIndex
    }

    func substitute(_ s: String, seed: UInt64) -> String {
        s.replacing("{seed}", with: String(seed)).replacing("{run}", with: String(runIndex))
            .replacing("{division}", with: division).replacing("{system}", with: system)
            .replacing("{benchmark}", with: benchmark)
    }
}

/// A workload: the thing one training run runs.
public enum Workload: Sendable {
    case inProcess(name: String, InProcessTraining)
    case command(ExternalCommand)

    public var name: String {
        switch self {
        case .inProcess(let n, _): return n
        case .command(let c): return c.arguments.joined(separator: " ")
        }
    }
}

public struct HarnessError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
