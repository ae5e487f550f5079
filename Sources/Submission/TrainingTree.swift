import Foundation
import MLLog

/// Writes a training submission tree in the official layout (`<root>/<submitter>/`, the `<org>` folder the
/// package checker takes):
/// `systems/<system>.json` and `results/<system>/<benchmark>/result_<i>.txt` (spec: MLCommons training rules,
/// "Submission layout"; the package checker reads it).
public struct TrainingTreeWriter: Sendable {
    public var root: String
    public var submitter: String
    public var system: String

    public init(root: String, submitter: String, system: String) throws(SubmissionError) {
        for (name, value) in [("submitter", submitter), ("system", system)] where value.isEmpty || value.contains(" ") || value.contains("/") {
            throw .invalid(file: "--\(name)", line: nil, expected: "a name without spaces or '/'", found: value)
        }
        self.root = root; self.submitter = submitter; self.system = system
    }

    public var base: String { "\(root)/\(submitter)" }
    public var systemFile: String { "\(base)/systems/\(system).json" }

    /// Copies every `<benchmark>/result_*.txt` (and the `energy_*.json` measured with it) found under `resultsDirectory/<any system>/` (the layout
    /// `mlperf train` and `mlperf suite` write), keeping their numbering. Returns how many files were copied.
    public func addResults(from resultsDirectory: String, benchmarks: Set<String>?) throws -> Int {
        let fm = FileManager.default
        var copied = 0
        for source in ((try? fm.contentsOfDirectory(atPath: resultsDirectory)) ?? []).sorted() {
            let sys = resultsDirectory + "/" + source
            for bench in ((try? fm.contentsOfDirectory(atPath: sys)) ?? []).sorted() where benchmarks?.contains(bench) ?? true {
                let files = ((try? fm.contentsOfDirectory(atPath: sys + "/" + bench)) ?? [])
                    .filter { ($0.hasPrefix("result_") && $0.hasSuffix(".txt")) || ($0.hasPrefix("energy_") && $0.hasSuffix(".json")) }.sorted()
                guard !files.isEmpty else { continue }
                let dest = "\(base)/results/\(system)/\(bench)"
                try fm.createDirectory(atPath: dest, withIntermediateDirectories: true)
                for f in files {
                    try? fm.removeItem(atPath: dest + "/" + f)
                    try fm.copyItem(atPath: sys + "/" + bench + "/" + f, toPath: dest + "/" + f)
                    if f.hasPrefix("result_") { copied += 1 }
                }
            }
        }
        return copied
    }

    /// The training form of a system description: `status` in the training rules' words (rulesets ≥ 4:
    /// "Available on-premise", "Available cloud", "Research, Development, or Internal (RDI)", "Preview") and the
    /// vCPU count the package checker also requires.
    public static func trainingSystem(_ inference: SystemDescription, vcpus: Int) -> SystemDescription {
        var d = inference
        let status = (d["status"]?.stringValue ?? "").lowercased()
        d["status"] = .string(["available": "Available on-premise", "preview": "Preview",
                               "rdi": "Research, Development, or Internal (RDI)"][status] ?? "Available on-premise")
        if d["host_processor_vcpu_count"] == nil { d["host_processor_vcpu_count"] = .int(Int64(vcpus)) }
        return d
    }
}
