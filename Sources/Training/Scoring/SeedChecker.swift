import MLLog

/// The package checker's seed rule for closed results (spec training.md §5): every run logs at least one integer
/// `seed`, and the tuple (metadata.file, metadata.lineno, seed) is unique across the runs of a benchmark.
public enum SeedChecker {
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public var isError: Bool
        public var message: String
        public var description: String { (isError ? "ERROR" : "WARNING") + " [seed checker]: " + message }
    }

    /// `logs`: (name, parsed log) per run.
    public static func check(_ logs: [(String, MLLogParseResult)]) -> [Finding] {
        var out: [Finding] = []
        var seen: [String: String] = [:]
        for (name, log) in logs {
            let seeds = log.entries.filter { $0.record.key == MLLogKey.seed }
            if seeds.isEmpty { out.append(Finding(isError: true, message: "\(name): no seed logged")); continue }
            if seeds.count > 1 { out.append(Finding(isError: false, message: "\(name): \(seeds.count) seeds logged (one is expected)")) }
            for s in seeds {
                guard let v = s.record.value.int64Value ?? Int64(s.record.value.stringValue ?? "") else {
                    out.append(Finding(isError: true, message: "\(name) line \(s.line): seed \(JSONWriter().string(s.record.value)) is not an integer"))
                    continue
                }
                let file = s.record.metadata(MLLogMetadataKey.file).map { JSONWriter().string($0) } ?? "null"
                let line = s.record.metadata(MLLogMetadataKey.lineno).map { JSONWriter().string($0) } ?? "null"
                let id = "\(file):\(line):\(v)"
                if let other = seen[id] {
                    out.append(Finding(isError: true, message: "\(name) line \(s.line): seed \(v) from \(file) line \(line) was already used by \(other)"))
                } else { seen[id] = name }
            }
        }
        return out
    }
}
