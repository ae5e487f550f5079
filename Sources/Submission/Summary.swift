import Foundation
import MLLog
import Training

/// An hourly price, for cost figures (DAWNBench's cost to train and cost per million inferences).
public struct HourlyPrice: Sendable, Codable, Equatable {
    public var perHour: Double
    public var currency: String
    /// Where the price came from (a flag, or a price file and its note).
    public var source: String

    /// - Throws: `SubmissionError.invalid` for a negative or non-finite price.
    public init(perHour: Double, currency: String = "USD", source: String) throws(SubmissionError) {
        guard perHour.isFinite, perHour >= 0 else {
            throw .invalid(file: source, line: nil, expected: "a price per hour ≥ 0", found: "\(perHour)")
        }
        self.perHour = perHour; self.currency = currency; self.source = source
    }

    /// A price file: `{"price_per_hour": 3.06, "currency": "USD", "note": "on-demand, region …"}`.
    /// - Throws: `SubmissionError` naming the file and what was wrong (missing, not JSON, no or negative price).
    public static func read(_ path: String) throws(SubmissionError) -> HourlyPrice {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "no such file") }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes: [UInt8](data)) } catch {
            throw .invalid(file: path, line: nil, expected: "a JSON object with price_per_hour", found: error.description)
        }
        guard let price = json["price_per_hour"]?.doubleValue else {
            throw .invalid(file: path, line: nil, expected: "a numeric price_per_hour", found: json["price_per_hour"].map { JSONWriter().string($0) } ?? "none")
        }
        let note = json["note"]?.stringValue.map { ", \($0)" } ?? ""
        return try HourlyPrice(perHour: price, currency: json["currency"]?.stringValue ?? "USD", source: path + note)
    }
}

/// One row of the results summary: the official summary's columns (`submission_checker` CSV) plus the normalized
/// figures, each with what it was computed from.
public struct SummaryRow: Sendable, Codable {
    public var organization, availability, division, systemType, systemName, platform: String
    public var model, mlperfModel, scenario: String
    public var result: Double
    public var units: String
    public var accuracy: String
    public var nodes, hostProcessor, hostProcessorsPerNode, hostCoreCount, acceleratorName, acceleratorsPerNode: String
    public var location, framework, operatingSystem, notes: String
    public var compliance: Int
    public var version: String
    public var weightDataTypes: String
    /// Normalization.
    public var chips: Int
    public var chipKind: String
    /// Throughput per chip (Offline, Server); latencies are not divided by chips (nil).
    public var perChip: Double?
    public var energy: EnergyMeasurement?
    public var joulesPerSample: Double?
    public var samplesPerSecond: Double?
    public var costPerMillionInferences: Double?
    public var costNote: String
}

/// A training benchmark's time to train from the result files of one system.
public struct TrainingSummaryRow: Sendable, Codable {
    public var benchmark: String
    public var system: String
    public var runs: Int
    public var successfulRuns: Int
    /// Minutes: the official olympic score (`OlympicScore`) where the runs allow one, else the plain mean.
    public var minutes: Double?
    public var scoring: String
    public var chips: Int
    public var chipKind: String
    public var energy: EnergyMeasurement?
    public var costToTrain: Double?
    public var costNote: String
}

public enum Summarizer {
    /// Rows for the accepted results of `report`; a result accepted only because short runs were allowed (its
    /// `min_duration` warning) says so in `notes`.
    public static func inferenceRows(_ report: CheckReport, root: String, price: HourlyPrice?,
                                     powerLog: PTDLog?) -> (rows: [SummaryRow], problems: [String]) {
        var rows: [SummaryRow] = [], problems: [String] = []
        let fs = FileTree(root: root)
        for r in report.results {
            guard r.accepted, let value = r.value else { continue }
            let short = r.warnings.contains { $0.rule == "min_duration" }
            guard let data = fs.contents("\(r.division)/\(r.submitter)/systems/\(r.system).json"),
                  case .object(let fields)? = try? JSONParser.parse(bytes: [UInt8](data)) else { continue }
            let sys = SystemJSON(fields: fields)
            let chips = SystemDescription(fields: fields).chips
            let detail = try? DetailLog(path: fs.path(r.path + "/performance/run_1/mlperf_log_detail.txt"))
            let rate = detail.flatMap { samplesPerSecond($0) }
            var energy = EnergyMeasurement.read(fs.path(r.path + "/energy.json"))
            if let powerLog, let d = detail, let b = d.string("power_begin").flatMap(PTDLog.parseTime),
               let e = d.string("power_end").flatMap(PTDLog.parseTime) {
                do { energy = try powerLog.energy(begin: b, end: e) } catch { problems.append("\(r.path): \(error)") }
            }
            if energy == nil { energy = .notMeasured("not measured: no energy.json beside the result and no --power-log") }
            var notes = [sys.string("hw_notes"), sys.string("sw_notes")].filter { !$0.isEmpty }.joined(separator: ". ")
            if short { notes += (notes.isEmpty ? "" : ". ") + "run shorter than MLPerf's 600 s" }
            let throughput = r.scenario == "Offline" || r.scenario == "Server" || r.scenario == "Interactive"
            var cost: Double?, costNote = "no price given"
            if let price, let rate, rate > 0 {
                cost = price.perHour / 3600 / rate * 1e6
                costNote = String(format: "%.4g %@/h (%@) at %.4g samples/s", price.perHour, price.currency, price.source, rate)
            }
            let accuracy = r.accuracy.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: " ")
            let weights = (try? JSONParser.parse(bytes: [UInt8](fs.contents(r.path + "/measurements.json") ?? Data())))?["weight_data_types"]
            rows.append(SummaryRow(
                organization: r.submitter, availability: sys.string("status").lowercased(), division: r.division,
                systemType: sys.string("system_type"), systemName: sys.string("system_name"), platform: r.system,
                model: r.model, mlperfModel: r.mlperfModel, scenario: r.scenario, result: value, units: r.unit,
                accuracy: accuracy, nodes: sys.string("number_of_nodes"), hostProcessor: sys.string("host_processor_model_name"),
                hostProcessorsPerNode: sys.string("host_processors_per_node"), hostCoreCount: sys.string("host_processor_core_count"),
                acceleratorName: sys.string("accelerator_model_name"), acceleratorsPerNode: sys.string("accelerators_per_node"),
                location: r.path, framework: sys.string("framework"), operatingSystem: sys.string("operating_system"),
                notes: notes, compliance: r.compliance ? 1 : 0, version: report.version,
                weightDataTypes: weights.map { SystemJSON.text($0) } ?? "",
                chips: chips.count, chipKind: chips.kind, perChip: throughput ? value / Double(chips.count) : nil,
                energy: energy, joulesPerSample: energy?.averageWatts.flatMap { w in rate.map { w / $0 } },
                samplesPerSecond: rate, costPerMillionInferences: cost, costNote: costNote))
        }
        return (rows, problems)
    }

    /// Samples per second of a performance run: Offline and Server from their result keys, SingleStream and
    /// MultiStream from the queries per second with LoadGen overhead times the samples per query.
    static func samplesPerSecond(_ d: DetailLog) -> Double? {
        switch d.string("effective_scenario") {
        case "Offline": return d.double("result_samples_per_second")
        case "Server": return d.double("result_completed_samples_per_sec") ?? d.double("result_scheduled_samples_per_sec")
        case "MultiStream":  // each query is issued when the previous one completes
            guard let mean = d.double("result_mean_query_latency_ns"), mean > 0 else { return nil }
            return Double(d.int("effective_samples_per_query") ?? 8) * 1e9 / mean
        default:
            return d.double("result_qps_with_loadgen_overhead")
        }
    }

    /// Time to train per benchmark directory of `<root>/<submitter>/results/<system>/` (a training tree).
    public static func trainingRows(root: String, price: HourlyPrice?) -> [TrainingSummaryRow] {
        let fs = FileTree(root: root)
        var rows: [TrainingSummaryRow] = []
        for submitter in fs.dirs("") {
            for system in fs.dirs("\(submitter)/results") {
                var chips = (count: 1, kind: "CPU socket")
                if let data = fs.contents("\(submitter)/systems/\(system).json"),
                   case .object(let fields)? = try? JSONParser.parse(bytes: [UInt8](data)) {
                    chips = SystemDescription(fields: fields).chips
                }
                for bench in fs.dirs("\(submitter)/results/\(system)") {
                    let dir = "\(submitter)/results/\(system)/\(bench)"
                    let files = fs.files(dir).filter { $0.hasPrefix("result_") && $0.hasSuffix(".txt") }
                    let minutes = files.compactMap { timeToTrainMinutes(fs.path(dir + "/" + $0)) }.sorted()
                    // The official olympic score where the runs allow one; else, labelled, the plain mean.
                    let olympic = OlympicScore(successfulMinutes: minutes, failed: files.count - minutes.count)
                    var score: Double?, scoring: String
                    if let m = olympic.minutes {
                        score = m
                        scoring = "olympic mean of \(olympic.counted.count) of \(minutes.count) successful runs"
                    } else {
                        score = minutes.isEmpty ? nil : minutes.reduce(0, +) / Double(minutes.count)
                        scoring = "mean of \(minutes.count) successful run\(minutes.count == 1 ? "" : "s") (no olympic score: \(olympic.invalidReason ?? ""); MLPerf asks for 5–10 runs)"
                    }
                    // Energy to train: the plain mean of the successful runs' energy_<i>.json.
                    let measured = files.compactMap { f -> EnergyMeasurement? in
                        guard timeToTrainMinutes(fs.path(dir + "/" + f)) != nil else { return nil }
                        let i = f.dropFirst("result_".count).dropLast(".txt".count)
                        return EnergyMeasurement.read(fs.path(dir + "/energy_\(i).json"))
                    }
                    let joules = measured.compactMap(\.joules)
                    var energy: EnergyMeasurement
                    if !joules.isEmpty && joules.count == measured.count {
                        energy = EnergyMeasurement(source: measured[0].source, joules: joules.reduce(0, +) / Double(joules.count),
                                                   seconds: measured.map(\.seconds).reduce(0, +) / Double(measured.count),
                                                   note: "mean over \(joules.count) run\(joules.count == 1 ? "" : "s")")
                    } else {
                        energy = .notMeasured(measured.first?.note ?? "not measured: the training runs recorded no energy_<i>.json")
                    }
                    var cost: Double?, note = "no price given"
                    if let price, let score {
                        cost = price.perHour * score / 60
                        note = String(format: "%.4g %@/h (%@) × %.3g min", price.perHour, price.currency, price.source, score)
                    }
                    rows.append(TrainingSummaryRow(benchmark: bench, system: system, runs: files.count,
                        successfulRuns: minutes.count, minutes: score, scoring: scoring, chips: chips.count,
                        chipKind: chips.kind, energy: energy, costToTrain: cost, costNote: note))
                }
            }
        }
        return rows
    }

    /// Minutes of a training log's timed region (`TimedRegion`: as the official result summarizer reads it) when
    /// its `run_stop` status is success, else nil.
    public static func timeToTrainMinutes(_ path: String) -> Double? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let region = TimedRegion(MLLogParser.parse(bytes: [UInt8](data)).entries)
        guard region.succeeded, let ms = region.milliseconds else { return nil }
        return ms / 60_000
    }

    /// The official summary CSV's columns.
    public static let csvColumns = [
        "Organization", "Availability", "Division", "SystemType", "SystemName", "Platform", "Model", "MlperfModel",
        "Scenario", "Result", "Accuracy", "number_of_nodes", "host_processor_model_name", "host_processors_per_node",
        "host_processor_core_count", "accelerator_model_name", "accelerators_per_node", "Location", "framework",
        "operating_system", "notes", "compliance", "errors", "version", "inferred", "has_power", "Units",
        "weight_data_types"]

    /// The summary as the official checker's CSV (same columns, same order).
    public static func csv(_ rows: [SummaryRow]) -> String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "'") + "\"" }
        var out = csvColumns.joined(separator: ",") + "\n"
        for r in rows {
            let cells: [String] = [
                r.organization, r.availability, r.division, q(r.systemType), q(r.systemName), r.platform, r.model,
                r.mlperfModel, r.scenario, String(r.result), r.accuracy, r.nodes, q(r.hostProcessor),
                r.hostProcessorsPerNode, r.hostCoreCount, q(r.acceleratorName), q(r.acceleratorsPerNode), r.location,
                q(r.framework), q(r.operatingSystem), q(r.notes), String(r.compliance), "0", r.version, "0", "False",
                r.units, q(r.weightDataTypes)]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }
}
