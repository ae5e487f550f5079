import Foundation
import Submission
import Testing
import TestSupport

/// Energy readers on files laid out as the kernel (powercap) and MLPerf Power's PTD present them — this machine has
/// neither RAPL counters nor a GPU, so these are copies of those layouts, named as such — plus prices and the score.
@Suite("energy, cost and the suite score")
struct EnergyAndCostTests {
    /// A powercap tree as the kernel lays it out: package zones with energy_uj and max_energy_range_uj, and a
    /// sub-zone (core) that must not be added to its package.
    static func fakePowercap(_ packages: [(energy: UInt64, range: UInt64)]) throws -> String {
        let root = try Scratch.directory("powercap-layout").path
        for (i, p) in packages.enumerated() {
            let zone = root + "/intel-rapl:\(i)"
            try FileManager.default.createDirectory(atPath: zone + "/intel-rapl:\(i):0", withIntermediateDirectories: true)
            try "\(p.energy)\n".write(toFile: zone + "/energy_uj", atomically: true, encoding: .utf8)
            try "\(p.range)\n".write(toFile: zone + "/max_energy_range_uj", atomically: true, encoding: .utf8)
            try "package-\(i)\n".write(toFile: zone + "/name", atomically: true, encoding: .utf8)
            try "999999\n".write(toFile: zone + "/intel-rapl:\(i):0/energy_uj", atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("RAPL (kernel powercap layout): package zones summed, sub-zones left out, a counter wrap counted once")
    func rapl() throws {
        let root = try Self.fakePowercap([(1_000_000, 10_000_000), (9_500_000, 10_000_000)])
        let meter = try RAPLMeter(root: root)
        #expect(meter.zones.map(\.name) == ["intel-rapl:0", "intel-rapl:1"])
        let a = meter.snapshot()
        try "3500000\n".write(toFile: root + "/intel-rapl:0/energy_uj", atomically: true, encoding: .utf8)   // +2.5 J
        try "500000\n".write(toFile: root + "/intel-rapl:1/energy_uj", atomically: true, encoding: .utf8)    // wrapped: +1.0 J
        #expect(abs(meter.joules(from: a, to: meter.snapshot()) - 3.5) < 1e-9)
    }

    @Test("no RAPL and no NVML: the run says 'not measured' and why")
    func notMeasured() throws {
        let empty = try Scratch.directory("no-powercap").path
        let probe = EnergyProbe(powercapRoot: empty, nvmlLibrary: "libnvidia-ml-absent.so.1")
        let m = probe.finish()
        #expect(m.source == "none" && m.joules == nil)
        #expect(m.note?.contains("intel-rapl") == true && m.note?.contains("libnvidia-ml-absent.so.1") == true, "\(m)")
        #expect(throws: SubmissionError.self) { try RAPLMeter(root: empty) }
    }

    @Test("EnergyProbe uses RAPL where the powercap layout has it")
    func probeUsesRAPL() throws {
        let root = try Self.fakePowercap([(5_000_000, 1 << 40)])
        let probe = EnergyProbe(powercapRoot: root, nvmlLibrary: "libnvidia-ml-absent.so.1")
        try "7000000\n".write(toFile: root + "/intel-rapl:0/energy_uj", atomically: true, encoding: .utf8)
        let m = probe.finish()
        #expect(m.source == "RAPL" && abs((m.joules ?? 0) - 2.0) < 1e-9)
    }

    /// A PTD log as MLPerf Power's daemon writes it: one sample a second, with a header line of another kind.
    static func ptdLog(start: Double, watts: [Double], gapAfter: Int? = nil) throws -> String {
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "MM-dd-yyyy HH:mm:ss.SSS"
        var text = "Go with mark 'ranging' 2026-11-30\n"
        var t = start
        for (i, w) in watts.enumerated() {
            text += "Time,\(f.string(from: Date(timeIntervalSince1970: t))),Watts,\(w),Volts,230.1,Amps,\(w / 230.1),PF,0.98,Mark,run\n"
            t += (gapAfter == i) ? 5 : 1
        }
        let path = try Scratch.directory("ptd").path + "/ptd_log.txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("PTD log: energy over the run window equals numpy's trapezoid integral of the same samples")
    func ptdEnergy() throws {
        let start = 1_790_000_000.0
        let watts = (0..<30).map { 100 + 10 * sin(Double($0) / 3) }
        let log = try PTDLog(path: try Self.ptdLog(start: start, watts: watts))
        let m = try log.energy(begin: start + 4, end: start + 20)
        let script = "import numpy as np, sys; w=np.array([float(x) for x in sys.argv[1].split(',')]); print(np.trapz(w[4:21], dx=1.0))"
        let oracle = try Double(Python.run(script, arguments: [watts.map { String($0) }.joined(separator: ",")],
                                           interpreter: Python.project).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(abs((m.joules ?? 0) - (oracle ?? -1)) < 1e-6, "\(m) vs \(String(describing: oracle))")
        #expect(abs((m.averageWatts ?? 0) - (oracle ?? 0) / 16) < 1e-6)
        // LoadGen's power_begin / power_end form parses to the same instants.
        // (Python: datetime(2026, 11, 30, 15, 45, 25, 450000, tzinfo=timezone.utc).timestamp() == 1796053525.45)
        #expect(PTDLog.parseTime("11-30-2026 15:45:25.450") == 1_796_053_525.45)
    }

    @Test("PTD log: a window a little wider than the samples is integrated whole, the edge samples held")
    func ptdEdges() throws {
        let start = 1_790_000_000.0
        let log = try PTDLog(path: try Self.ptdLog(start: start + 1.5, watts: Array(repeating: 100, count: 18)))
        let m = try log.energy(begin: start, end: start + 20)  // samples from +1.5 s to +18.5 s
        #expect(abs((m.joules ?? 0) - 2000) < 1e-6 && abs((m.averageWatts ?? 0) - 100) < 1e-9, "\(m)")
    }

    @Test("PTD log with a gap inside the run, or not covering it: one error naming the line")
    func ptdGaps() throws {
        let start = 1_790_000_000.0
        let log = try PTDLog(path: try Self.ptdLog(start: start, watts: Array(repeating: 50, count: 20), gapAfter: 9))
        do {
            _ = try log.energy(begin: start + 2, end: start + 18)
            Issue.record("a 5 s gap was accepted")
        } catch {
            #expect(error.description.contains(":12:") && error.description.contains("gap of 5.0 s"), "\(error)")
        }
        #expect(throws: SubmissionError.self) { try log.energy(begin: start + 100, end: start + 120) }
        let bad = try Scratch.directory("ptd-bad").path + "/ptd.txt"
        try "Time,11-30-2026 10:00:00.000,Watts,abc,Volts,1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        do { _ = try PTDLog(path: bad); Issue.record("accepted a non-numeric power") } catch {
            #expect(error.description.contains("ptd.txt:1"), "\(error)")
        }
    }

    @Test("prices: a negative price, a price file without a price, a broken price file: one clear error each")
    func prices() throws {
        #expect(throws: SubmissionError.self) { try HourlyPrice(perHour: -1, source: "--price-per-hour") }
        let dir = try Scratch.directory("prices").path
        for (name, text, needle) in [("neg.json", #"{"price_per_hour": -3}"#, "price per hour ≥ 0"),
                                     ("none.json", #"{"currency": "EUR"}"#, "numeric price_per_hour"),
                                     ("broken.json", "{price", "JSON object")] {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            do { _ = try HourlyPrice.read(dir + "/" + name); Issue.record("\(name) accepted") } catch {
                #expect(error.description.contains(name) && error.description.contains(needle), "\(error)")
            }
        }
        try #"{"price_per_hour": 3.06, "currency": "USD", "note": "on-demand"}"#.write(toFile: dir + "/ok.json", atomically: true, encoding: .utf8)
        let p = try HourlyPrice.read(dir + "/ok.json")
        #expect(p.perHour == 3.06 && p.source.hasSuffix("on-demand"))
    }

    @Test("suite score: the weighted geometric mean, checked against Python's statistics module")
    func score() throws {
        let reference = ReferenceResults(system: "ref box", note: "", figures: [
            ReferenceFigure(benchmark: "a", scenario: "Offline", value: 1000, units: "Samples/s"),
            ReferenceFigure(benchmark: "a", scenario: "SingleStream", value: 2.0, units: "Latency (ms)"),
            ReferenceFigure(benchmark: "b", scenario: "training", value: 10, units: "minutes"),
            ReferenceFigure(benchmark: "c", scenario: "Offline", value: 5, units: "Samples/s")])
        let s = SuiteScore.compute(division: "closed", results: [
            ("a", "Offline", 1500, "Samples/s"), ("a", "SingleStream", 4.0, "Latency (ms)"),
            ("b", "training", 5, "minutes"), ("d", "Offline", 1, "Samples/s")],
            reference: reference, weights: ["a": 1, "b": 2])
        // ratios 1.5 (throughput), 0.5 (latency: lower is better), 2.0 (time to train) with weights 1, 1, 2
        #expect(s.ratios.map(\.ratio) == [1.5, 0.5, 2.0])
        let oracle = try Double(Python.run("import statistics; print(statistics.geometric_mean([1.5, 0.5, 2.0, 2.0]))",
                                           interpreter: Python.project).trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(abs(s.score! - oracle) < 1e-12)
        #expect(s.caveats.contains { $0.contains("d Offline: not in the reference") })
        #expect(s.caveats.contains { $0.hasPrefix("subset:") && $0.contains("c Offline") })
        #expect(s.caveats.contains { $0.hasPrefix("mixed scenarios") })
        let units = SuiteScore.compute(division: "open", results: [("a", "Offline", 10, "Tokens/s")], reference: reference, weights: [:])
        #expect(units.score == nil && units.caveats.contains { $0.contains("in Tokens/s here but Samples/s in the reference") })
    }

    @Test("time to train: the timed region the official summarizer reads (last run_start, first run_stop), success only")
    func timeToTrain() throws {
        let dir = try Scratch.directory("ttt").path
        func line(_ key: String, _ t: Int, status: String? = nil) -> String {
            let md = status.map { "\"status\": \"\($0)\", " } ?? ""
            return ":::MLLOG {\"namespace\": \"\", \"time_ms\": \(t), \"event_type\": \"INTERVAL_END\", \"key\": \"\(key)\", \"value\": null, \"metadata\": {\(md)\"file\": \"x.py\", \"lineno\": 1}}"
        }
        let ok = [line("run_start", 0), line("run_start", 60_000), line("run_stop", 180_000, status: "success"), line("run_start", 200_000)]
        try ok.joined(separator: "\n").write(toFile: dir + "/result_0.txt", atomically: true, encoding: .utf8)
        #expect(Summarizer.timeToTrainMinutes(dir + "/result_0.txt") == 2.0)
        let aborted = [line("run_start", 0), line("run_stop", 60_000, status: "aborted")]
        try aborted.joined(separator: "\n").write(toFile: dir + "/result_1.txt", atomically: true, encoding: .utf8)
        #expect(Summarizer.timeToTrainMinutes(dir + "/result_1.txt") == nil)
    }

    @Test("chips: accelerators when there are some, else CPU sockets")
    func chips() {
        let gpu = SystemDescription(fields: [.init("accelerators_per_node", "8"), .init("number_of_nodes", 2),
                                             .init("host_processors_per_node", 2)])
        #expect(gpu.chips.count == 16 && gpu.chips.kind == "accelerator")
        let cpu = SystemDescription(fields: [.init("accelerators_per_node", "0"), .init("number_of_nodes", 1),
                                             .init("host_processors_per_node", 2)])
        #expect(cpu.chips.count == 2 && cpu.chips.kind == "CPU socket")
    }
}
