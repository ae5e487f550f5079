#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a child process to completion, capturing stdout, and reports its peak memory (wait4's ru_maxrss), so that
/// benchmarks measure each run in a process of its own.
struct ChildResult {
    var status: Int32
    var stdout: String
    var maxRSSKB: Int
    var wallSeconds: Double
    /// User + system CPU time of the child and its threads (wait4's rusage), seconds.
    var cpuSeconds: Double
}

func runChild(_ argv: [String], environment extra: [String: String] = [:], stderrToNull: Bool = true) throws -> ChildResult {
    var pipeFDs: [Int32] = [0, 0]
    guard pipe(&pipeFDs) == 0 else { throw ChildError("pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
    if stderrToNull { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
    var env: [String] = []
    var i = 0
    while let p = environ[i] {
        let kv = String(cString: p)
        if let eq = kv.firstIndex(of: "="), extra[String(kv[..<eq])] != nil { i += 1; continue }
        env.append(kv)
        i += 1
    }
    for (k, v) in extra { env.append("\(k)=\(v)") }
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
    var t0 = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t0)
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, cEnv)
    close(pipeFDs[1])
    guard rc == 0 else { close(pipeFDs[0]); throw ChildError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(pipeFDs[0], &buf, buf.count)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    close(pipeFDs[0])
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    var t1 = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t1)
    let wall = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return ChildResult(status: exit, stdout: String(decoding: out, as: UTF8.self), maxRSSKB: Int(usage.ru_maxrss),
                       wallSeconds: wall, cpuSeconds: cpu)
}

struct ChildError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The path of the running executable.
func selfExecutablePath() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    return n > 0 ? String(cString: buf) : CommandLine.arguments[0]
}
