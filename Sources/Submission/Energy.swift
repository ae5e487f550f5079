import Foundation
import MLLog

/// Energy used during one run, and where the figure came from.
public struct EnergyMeasurement: Sendable, Codable, Equatable {
    /// `RAPL`, `NVML`, `PTD log`, or `none`.
    public var source: String
    public var joules: Double?
    public var seconds: Double
    /// When nothing was measured: why (e.g. "no /sys/class/powercap/intel-rapl:* zones on this machine").
    public var note: String?

    public init(source: String, joules: Double?, seconds: Double, note: String? = nil) {
        self.source = source; self.joules = joules; self.seconds = seconds; self.note = note
    }

    public var averageWatts: Double? { joules.flatMap { seconds > 0 ? $0 / seconds : nil } }

    public static func notMeasured(_ why: String, seconds: Double = 0) -> EnergyMeasurement {
        EnergyMeasurement(source: "none", joules: nil, seconds: seconds, note: why)
    }

    /// `energy.json` beside a run's logs.
    public func write(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: URL(fileURLWithPath: path))
    }

    public static func read(_ path: String) -> EnergyMeasurement? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(EnergyMeasurement.self, from: $0) }
    }
}

/// CPU package energy from the kernel's RAPL counters (`/sys/class/powercap/intel-rapl:N/energy_uj`, µJ, wrapping at
/// `max_energy_range_uj`; AMD processors expose the same interface). Only top-level package zones are summed
/// (sub-zones such as `intel-rapl:0:0` are parts of their package).
public struct RAPLMeter: Sendable {
    public let root: String
    /// Package zones: directory name → wrap range (µJ).
    public let zones: [(name: String, range: UInt64)]

    /// - Throws: `SubmissionError.missing` saying why when there is no readable package zone (no powercap directory,
    ///   no zones, or counters readable only by root).
    public init(root: String = "/sys/class/powercap") throws(SubmissionError) {
        self.root = root
        // psys (the whole platform, on client CPUs) already contains the packages: left out.
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0.hasPrefix("intel-rapl:") && $0.split(separator: ":").count == 2 }
            .filter { (try? String(contentsOfFile: "\(root)/\($0)/name", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) != "psys" }
            .sorted()
        guard !names.isEmpty else {
            throw .missing("RAPL", hint: "no \(root)/intel-rapl:* package zones on this machine (virtual machines rarely expose them)")
        }
        var zones: [(String, UInt64)] = []
        for n in names {
            guard Self.readCounter("\(root)/\(n)/energy_uj") != nil else {
                throw .missing("RAPL", hint: "\(root)/\(n)/energy_uj is not readable (kernels since 5.10 let only root read it)")
            }
            zones.append((n, Self.readCounter("\(root)/\(n)/max_energy_range_uj") ?? UInt64.max))
        }
        self.zones = zones
    }

    /// The counters now (µJ), one per zone.
    public func snapshot() -> [UInt64] { zones.map { Self.readCounter("\(root)/\($0.name)/energy_uj") ?? 0 } }

    /// Joules between two snapshots, counting one wrap per zone.
    public func joules(from a: [UInt64], to b: [UInt64]) -> Double {
        var total = 0.0
        for (i, z) in zones.enumerated() where i < a.count && i < b.count {
            let d = b[i] >= a[i] ? b[i] - a[i] : (z.range - a[i]) + b[i]
            total += Double(d) / 1e6
        }
        return total
    }

    static func readCounter(_ path: String) -> UInt64? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

/// GPU energy through NVML (`libnvidia-ml.so.1`, loaded at run time): `nvmlDeviceGetTotalEnergyConsumption`
/// (mJ since the driver loaded), summed over all devices.
public final class NVMLMeter: @unchecked Sendable {
    private typealias InitFn = @convention(c) () -> Int32
    private typealias CountFn = @convention(c) (UnsafeMutablePointer<UInt32>) -> Int32
    private typealias HandleFn = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias EnergyFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt64>) -> Int32
    private let energy: EnergyFn
    private let devices: [OpaquePointer?]

    /// - Throws: `SubmissionError.missing` saying why when NVML or a GPU with an energy counter is not there.
    public init(library: String = "libnvidia-ml.so.1") throws(SubmissionError) {
        guard let h = dlopen(library, RTLD_NOW) else {
            throw .missing("NVML", hint: "\(library) cannot be loaded (no NVIDIA driver on this machine)")
        }
        guard let i = dlsym(h, "nvmlInit_v2"), let c = dlsym(h, "nvmlDeviceGetCount_v2"),
              let g = dlsym(h, "nvmlDeviceGetHandleByIndex_v2"), let e = dlsym(h, "nvmlDeviceGetTotalEnergyConsumption")
        else { throw .missing("NVML", hint: "\(library) lacks the energy functions (driver too old)") }
        guard unsafeBitCast(i, to: InitFn.self)() == 0 else { throw .missing("NVML", hint: "nvmlInit failed") }
        var n: UInt32 = 0
        _ = unsafeBitCast(c, to: CountFn.self)(&n)
        var handles: [OpaquePointer?] = []
        for k in 0..<n {
            var d: OpaquePointer?
            if unsafeBitCast(g, to: HandleFn.self)(k, &d) == 0 { handles.append(d) }
        }
        energy = unsafeBitCast(e, to: EnergyFn.self)
        devices = handles
        var probe: UInt64 = 0
        guard !handles.isEmpty, handles.allSatisfy({ energy($0, &probe) == 0 }) else {
            throw .missing("NVML", hint: "no GPU reports its total energy")
        }
    }

    public var deviceCount: Int { devices.count }

    /// Millijoules per device now; nil when a device's counter cannot be read.
    public func snapshot() -> [UInt64]? {
        var out: [UInt64] = []
        for d in devices {
            var mj: UInt64 = 0
            guard energy(d, &mj) == 0 else { return nil }
            out.append(mj)
        }
        return out
    }

    public func joules(from a: [UInt64], to b: [UInt64]) -> Double {
        zip(a, b).reduce(0) { $0 + (($1.1 >= $1.0) ? Double($1.1 - $1.0) / 1000 : 0) }
    }
}

/// Measures a stretch of work with every meter this machine has — RAPL (CPU packages) and NVML (NVIDIA GPUs),
/// added up, since a whole system draws both whichever did the work — or says why none.
///
/// Limits: RAPL counters wrap (at `max_energy_range_uj`, about 262 kJ: 20–45 minutes at 100–250 W); only one wrap
/// between the two readings can be seen, so a longer stretch is reported with a note and should be measured with an
/// external meter (a PTD log) instead.
public struct EnergyProbe: Sendable {
    private let rapl: RAPLMeter?
    private let nvml: NVMLMeter?
    private let why: String
    private let raplStart: [UInt64]
    private let nvmlStart: [UInt64]?
    private let started: Double

    /// Takes the first reading. `powercapRoot` and `nvmlLibrary` are where to look (tests point them at copies).
    public init(powercapRoot: String = "/sys/class/powercap", nvmlLibrary: String = "libnvidia-ml.so.1") {
        func hint(_ e: SubmissionError) -> String { if case .missing(_, let h) = e { return h }; return e.description }
        var reasons: [String] = []
        var r: RAPLMeter? = nil, n: NVMLMeter? = nil
        do { r = try RAPLMeter(root: powercapRoot) } catch { reasons.append(hint(error)) }
        do { n = try NVMLMeter(library: nvmlLibrary) } catch { reasons.append(hint(error)) }
        rapl = r; nvml = n
        why = "not measured: " + reasons.joined(separator: "; ")
        raplStart = r?.snapshot() ?? []
        nvmlStart = n?.snapshot()
        started = Self.now()
    }

    /// The energy since `init`.
    public func finish() -> EnergyMeasurement {
        let seconds = Self.now() - started
        var joules = 0.0, sources: [String] = [], notes: [String] = []
        if let rapl {
            joules += rapl.joules(from: raplStart, to: rapl.snapshot())
            sources.append("RAPL")
            let range = Double(rapl.zones.map(\.range).min() ?? .max) / 1e6
            if seconds * 250 > range { notes.append(String(format: "RAPL counters wrap every %.0f kJ; over %.0f s a second wrap may be missed", range / 1000, seconds)) }
        }
        if let nvml {
            if let a = nvmlStart, let b = nvml.snapshot() { joules += nvml.joules(from: a, to: b); sources.append("NVML") }
            else { notes.append("NVML energy could not be read") }
        }
        guard !sources.isEmpty else { return .notMeasured(why, seconds: seconds) }
        return EnergyMeasurement(source: sources.joined(separator: "+"), joules: joules, seconds: seconds,
                                 note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}

/// A power log in the format MLPerf Power's PTD (power-temperature daemon) writes:
/// `Time,MM-DD-YYYY HH:MM:SS.fff,Watts,<W>,Volts,<V>,Amps,<A>,PF,<pf>,Mark,<mark>` per line (UTC), one sample about
/// every second. Lines of other kinds are ignored.
public struct PTDLog: Sendable {
    public struct Sample: Sendable { public var time: Double; public var watts: Double; public var line: Int }
    public let path: String
    public let samples: [Sample]
    /// The widest gap between samples accepted inside a run window (s).
    public static let maxGapSeconds = 2.0

    /// - Throws: `SubmissionError.invalid` with the line number for a malformed sample line, or when the log has no
    ///   sample at all.
    public init(path: String) throws(SubmissionError) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "no such file") }
        var out: [Sample] = []
        for (i, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("Time,") else { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, f[2] == "Watts", let t = Self.parseTime(f[1]), let w = Double(f[3]), w >= 0 else {
                throw .invalid(file: path, line: i + 1, expected: "Time,MM-DD-YYYY HH:MM:SS.fff,Watts,<non-negative number>,…",
                               found: String(line.prefix(80)))
            }
            out.append(Sample(time: t, watts: w, line: i + 1))
        }
        guard !out.isEmpty else { throw .invalid(file: path, line: nil, expected: "Time,…,Watts,… sample lines", found: "none") }
        samples = out.sorted { $0.time < $1.time }
    }

    /// Energy between `begin` and `end` (Unix seconds): the trapezoid rule over the samples inside the window.
    /// - Throws: `SubmissionError.invalid` when the log does not cover the window or has a gap over `maxGapSeconds`
    ///   inside it (naming the line after the gap).
    public func energy(begin: Double, end: Double) throws(SubmissionError) -> EnergyMeasurement {
        let inside = samples.filter { $0.time >= begin - Self.maxGapSeconds && $0.time <= end + Self.maxGapSeconds }
        guard let first = inside.first, let last = inside.last, first.time <= begin + Self.maxGapSeconds,
              last.time >= end - Self.maxGapSeconds else {
            throw .invalid(file: path, line: nil, expected: "samples covering \(Self.format(begin)) to \(Self.format(end))",
                           found: samples.isEmpty ? "none" : "\(Self.format(samples.first!.time)) to \(Self.format(samples.last!.time))")
        }
        // Piecewise-linear power between samples, held flat before the first and after the last one inside the
        // window; integrated exactly over [begin, end].
        func watts(at t: Double) -> Double {
            if t <= first.time { return first.watts }
            if t >= last.time { return last.watts }
            let i = inside.lastIndex { $0.time <= t }!
            let a = inside[i], b = inside[i + 1]
            return a.watts + (b.watts - a.watts) * (t - a.time) / (b.time - a.time)
        }
        var joules = 0.0
        for (a, b) in zip(inside, inside.dropFirst()) where b.time - a.time > Self.maxGapSeconds {
            if b.time > begin && a.time < end {
                throw .invalid(file: path, line: b.line, expected: "a sample at least every \(Self.maxGapSeconds) s",
                               found: String(format: "a gap of %.1f s before this line", b.time - a.time))
            }
        }
        var knots = [begin] + inside.map(\.time).filter { $0 > begin && $0 < end } + [end]
        knots.sort()
        for (t0, t1) in zip(knots, knots.dropFirst()) where t1 > t0 {
            joules += (t1 - t0) * (watts(at: t0) + watts(at: t1)) / 2
        }
        return EnergyMeasurement(source: "PTD log", joules: joules, seconds: end - begin,
                                 note: "\((path as NSString).lastPathComponent), \(inside.count) samples")
    }

    /// `MM-DD-YYYY HH:MM:SS.fff` (UTC; the form of PTD logs and of LoadGen's `power_begin`/`power_end`) → Unix s.
    public static func parseTime(_ s: String) -> Double? {
        let parts = s.split(separator: " ")
        guard parts.count == 2 else { return nil }
        let d = parts[0].split(separator: "-").compactMap { Int($0) }
        let t = parts[1].split(separator: ":")
        guard d.count == 3, t.count == 3, let h = Int(t[0]), let m = Int(t[1]), let sec = Double(t[2]) else { return nil }
        var c = DateComponents()
        c.year = d[2]; c.month = d[0]; c.day = d[1]; c.hour = h; c.minute = m
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: c) else { return nil }
        return date.timeIntervalSince1970 + sec
    }

    static func format(_ t: Double) -> String {
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "MM-dd-yyyy HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
