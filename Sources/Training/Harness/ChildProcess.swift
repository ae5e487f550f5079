#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process in its own process group, with stdout and stderr merged into one pipe.
final class ChildProcess {
    let pid: pid_t
    let outputFD: Int32
    private(set) var exitStatus: Int32? = nil
    private(set) var terminationSignal: Int32? = nil

    init(arguments: [String], environment: [String: String]) throws(HarnessError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw HarnessError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (so a timeout can kill the whole tree), default signal dispositions and an empty mask
        // (the CLI ignores SIGINT/SIGTERM to handle them itself; a child must not inherit that).
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)

        var env: [String: String] = [:]
        var e = environ
        while let p = e.pointee {
            let kv = String(cString: p)
            if let eq = kv.firstIndex(of: "=") { env[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
            e += 1
        }
        for (k, v) in environment { env[k] = v }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, arguments[0], &actions, &attr, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw HarnessError("cannot start '\(arguments[0])': \(String(cString: strerror(rc)))")
        }
        pid = child
        outputFD = fds[0]
        _ = fcntl(outputFD, F_SETFL, fcntl(outputFD, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(outputFD) }

    /// Non-blocking reap. True once the child has exited.
    func poll() -> Bool {
        if exitStatus != nil || terminationSignal != nil { return true }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return false }
        let sig = status & 0x7f
        if sig == 0 { exitStatus = (status >> 8) & 0xff } else { terminationSignal = sig }
        return true
    }

    /// Signals the whole process group.
    func signalGroup(_ sig: Int32) { kill(-pid, sig) }

    /// Reads what is available (up to 64 KiB). nil at end of file, empty when nothing is there yet.
    func readAvailable(timeoutMs: Int32) -> [UInt8]? {
        var pfd = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&pfd, 1, timeoutMs)
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = read(outputFD, &buf, buf.count)
        if n > 0 { return Array(buf[0..<n]) }
        if n == 0 { return nil }
        return []
    }
}

/// Splits a byte stream into lines.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed(_ bytes: [UInt8], _ emit: ([UInt8]) -> Void) {
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if pending.isEmpty { emit(Array(bytes[start..<i])) } else {
                pending += bytes[start..<i]
                emit(pending)
                pending.removeAll(keepingCapacity: true)
            }
            start = i + 1
        }
        if start < bytes.count { pending += bytes[start...] }
    }

    mutating func finish(_ emit: ([UInt8]) -> Void) {
        if !pending.isEmpty { emit(pending); pending.removeAll() }
    }
}

/// An append-only text file.
final class LineFile {
    private let fp: UnsafeMutablePointer<FILE>

    init(path: String) throws(HarnessError) {
        guard let f = fopen(path, "w") else {
            throw HarnessError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        fp = f
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, fp) }
        fputc(0x0A, fp)
    }

    func write(_ s: String) { write(Array(s.utf8)) }
    func flush() { fflush(fp) }
    deinit { fclose(fp) }
}

/// Reads what was appended to a file since the last call.
final class FileTail {
    let path: String
    private var fd: Int32 = -1

    init(path: String) { self.path = path }

    func readNew() -> [UInt8] {
        if fd < 0 { fd = open(path, O_RDONLY); if fd < 0 { return [] } }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    deinit { if fd >= 0 { close(fd) } }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
