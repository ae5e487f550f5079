import Foundation
import MLLog

/// A submission's `systems/<system>.json`: the official fields (the inference checker's required list; the training
/// package checker reads the same names), filled from the machine and overridable from a file.
///
/// Detected here (Linux): CPU model, sockets and cores per socket (`/proc/cpuinfo`), memory (`/proc/meminfo`),
/// storage capacity and type (`statfs` of the tree, `/sys/block/*/queue/rotational`), NVIDIA accelerators: their
/// model and count (`/proc/driver/nvidia/gpus/*/information`, written by the NVIDIA driver; their memory is not
/// detected), the OS (`/etc/os-release`, kernel release). Memory is in GiB, written "GB" as submitters do. What cannot be detected is written as "N/A" where the
/// checker wants a meaningful value, so that the file passes and says plainly that it is unknown.
public struct SystemDescription: Sendable {
    /// Field name → value, in the order the file is written.
    public private(set) var fields: [JSONField]

    public init(fields: [JSONField]) { self.fields = fields }

    public subscript(key: String) -> JSONValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let i = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[i].value = newValue } else { fields.remove(at: i) }
            } else if let newValue { fields.append(JSONField(key, newValue)) }
        }
    }

    /// A field as text (strings as they are, numbers and booleans as Python's `str()` writes them), "" when absent.
    public func text(_ key: String) -> String { self[key].map { SystemJSON.text($0) } ?? "" }

    /// Number of chips results are normalized by: the accelerators, or the CPU sockets when there are none.
    public var chips: (count: Int, kind: String) {
        let acc = Int(text("accelerators_per_node")) ?? 0
        let nodes = max(1, Int(text("number_of_nodes")) ?? 1)
        if acc > 0 { return (acc * nodes, "accelerator") }
        let sockets = max(1, Int(text("host_processors_per_node")) ?? 1)
        return (sockets * nodes, "CPU socket")
    }

    /// The machine this runs on, as a system description.
    /// - Parameters:
    ///   - submitter, division, systemName: the tree's names (`division` is `closed`, `open` or `network`).
    ///   - framework: the inference framework and version (e.g. `ONNX Runtime 1.31.1`).
    ///   - treeDirectory: where results are written (its file system gives the storage figures).
    public static func detect(submitter: String, division: String, systemName: String, framework: String,
                              softwareStack: String, treeDirectory: String) -> SystemDescription {
        let cpu = Self.cpuInfo()
        let gpus = Self.nvidiaGPUs()
        let memory = Self.meminfoGB().map { String(format: "%.0f GB", $0) } ?? "N/A"
        let storage = Self.storageGB(treeDirectory).map { String(format: "%.0f GB", $0) } ?? "N/A"
        var os = "Linux"
        if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
            os = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        var uts = utsname()
        uname(&uts)
        let kernel = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let na: JSONValue = "N/A"
        let fields: [JSONField] = [
            JSONField("division", .string(division)), JSONField("submitter", .string(submitter)),
            JSONField("status", "available"), JSONField("system_name", .string(systemName)),
            JSONField("system_type", "datacenter,edge"), JSONField("system_type_detail", "N/A"),
            JSONField("number_of_nodes", 1),
            JSONField("host_processor_model_name", .string(cpu.model)),
            JSONField("host_processors_per_node", .int(Int64(cpu.sockets))),
            // A string: the training package checker joins it into text and fails on a number.
            JSONField("host_processor_core_count", .string(String(cpu.coresPerSocket))),
            JSONField("host_processor_frequency", .string(cpu.mhz.map { String(format: "%.0f MHz", $0) } ?? "")),
            JSONField("host_processor_caches", .string(cpu.cache ?? "")),
            JSONField("host_processor_interconnect", ""),
            JSONField("host_memory_capacity", .string(memory)), JSONField("host_memory_configuration", na),
            JSONField("host_storage_capacity", .string(storage)),
            JSONField("host_storage_type", .string(Self.storageType())),
            JSONField("host_networking", na), JSONField("host_networking_topology", na),
            JSONField("host_network_card_count", na),
            // A string: the checker wants a "meaningful" value, and 0 is not one to Python.
            JSONField("accelerators_per_node", .string(String(gpus.count))),
            JSONField("accelerator_model_name", .string(gpus.first?.model ?? "N/A")),
            JSONField("accelerator_memory_capacity", .string(gpus.first?.memory ?? "N/A")),
            JSONField("accelerator_frequency", ""), JSONField("accelerator_host_interconnect", na),
            JSONField("accelerator_interconnect", na), JSONField("accelerator_interconnect_topology", ""),
            JSONField("accelerator_memory_configuration", na), JSONField("accelerator_on-chip_memories", ""),
            JSONField("cooling", na), JSONField("hw_notes", "Detected by mlperf submission init"),
            JSONField("framework", .string(framework)),
            JSONField("operating_system", .string("\(os) (Linux \(kernel))")),
            JSONField("other_software_stack", .string(softwareStack)),
            JSONField("sw_notes", ""),
        ]
        return SystemDescription(fields: fields)
    }

    /// Replaces fields with those of a JSON object file (keys not in the detected set are added).
    /// - Throws: `SubmissionError.unreadable` / `.invalid` naming the file when it is missing or not an object.
    public mutating func override(withFile path: String) throws(SubmissionError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "no such file") }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes: [UInt8](data)) } catch {
            throw .invalid(file: path, line: nil, expected: "a JSON object of system fields", found: error.description)
        }
        guard case .object(let fields) = value else {
            throw .invalid(file: path, line: nil, expected: "a JSON object of system fields", found: "another JSON value")
        }
        for f in fields { self[f.key] = f.value }
    }

    /// Reads a system file.
    public static func read(_ path: String) throws(SubmissionError) -> SystemDescription {
        var s = SystemDescription(fields: [])
        try s.override(withFile: path)
        return s
    }

    public func write(to path: String) throws {
        try (JSONWriter().pretty(.object(fields)) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    // MARK: - Probes

    struct CPU { var model = "unknown CPU"; var sockets = 1; var coresPerSocket = 1; var mhz: Double?; var cache: String? }

    static func cpuInfo() -> CPU {
        var cpu = CPU()
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return cpu }
        var physical = Set<String>(), processors = 0, cores: Int?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "model name": cpu.model = parts[1]
            case "physical id": physical.insert(parts[1])
            case "processor": processors += 1
            case "cpu cores": cores = Int(parts[1])
            case "cpu MHz": cpu.mhz = Double(parts[1])
            case "cache size": cpu.cache = parts[1]
            default: break
            }
        }
        cpu.sockets = max(1, physical.count)
        cpu.coresPerSocket = cores ?? max(1, processors / cpu.sockets)
        return cpu
    }

    static func meminfoGB() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1_048_576
    }

    static func storageGB(_ path: String) -> Double? {
        guard let attrs = try? FileManager.default.attributesOfFileSystem(forPath: path),
              let size = attrs[.systemSize] as? NSNumber else { return nil }
        return size.doubleValue / 1_073_741_824
    }

    static func storageType() -> String {
        let blocks = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        for b in blocks.sorted() where !b.hasPrefix("loop") && !b.hasPrefix("ram") {
            guard let r = try? String(contentsOfFile: "/sys/block/\(b)/queue/rotational", encoding: .utf8) else { continue }
            let kind = r.trimmingCharacters(in: .whitespacesAndNewlines) == "1" ? "HDD" : "SSD"
            return b.hasPrefix("vd") ? "\(kind) (virtual disk \(b))" : "\(kind) (\(b))"
        }
        return "N/A"
    }

    /// NVIDIA GPUs as the driver lists them under `/proc/driver/nvidia/gpus/<bus id>/information`.
    static func nvidiaGPUs(root: String = "/proc/driver/nvidia/gpus") -> [(model: String, memory: String?)] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return ids.sorted().compactMap { id in
            guard let text = try? String(contentsOfFile: "\(root)/\(id)/information", encoding: .utf8) else { return nil }
            var model = "NVIDIA GPU"
            for line in text.split(separator: "\n") where line.hasPrefix("Model:") {
                model = line.dropFirst("Model:".count).trimmingCharacters(in: .whitespaces)
            }
            return (model, nil)
        }
    }
}

extension SystemJSON {
    /// A JSON value as text (Python's `str()` of it, for numbers and strings).
    static func text(_ v: JSONValue) -> String {
        SystemJSON(fields: [JSONField("v", v)]).string("v")
    }
}
