import CBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic clock in nanoseconds.
@inline(__always) public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Work done in `cblas_sgemm`: floating-point operations (2·M·N·K per call) and time spent inside the calls.
public struct SGEMMStats: Sendable, Equatable {
    public var calls: Int = 0
    public var flops: Double = 0
    public var nanoseconds: UInt64 = 0

    public init() {}

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    /// FLOP/s reached inside sgemm (0 when nothing was measured).
    public var rate: Double { nanoseconds == 0 ? 0 : flops / seconds }
}

/// Row-major single-precision matrix multiply through OpenBLAS: `C = alpha·op(A)·op(B) + beta·C`, where op(A) is
/// M×K and op(B) is K×N. Records the call in `stats`.
public enum BLAS {
    /// Fixes OpenBLAS's thread count (process-wide). The reference uses 1, which also makes sgemm deterministic.
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                             stats: inout SGEMMStats) {
        let t0 = monotonicNanos()
        var beta = beta
        if beta == 0 {
            // OpenBLAS clears C for beta = 0 with its own loop, which measured slower here than libc's memset
            // followed by accumulation (beta = 1): about 0.4 ms of a 9 ms Fashion-MNIST training step.
            if ldc == n { c.update(repeating: 0, count: m * n) } else {
                for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
            }
            beta = 1
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
                    blasint(ldc))
        let t1 = monotonicNanos()
        stats.calls += 1
        stats.flops += 2 * Double(m) * Double(n) * Double(k)
        stats.nanoseconds &+= t1 &- t0
    }

    /// Measures this machine's sgemm rate on square `size`×`size` matrices with the current thread count: the best
    /// of `repetitions` timed calls after one warm-up, in FLOP/s.
    public static func measurePeak(size: Int = 1024, repetitions: Int = 5) -> Double {
        let count = size * size
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = Xoshiro256(seed: 1)
        for i in 0..<count { a[i] = rng.nextUniform(); b[i] = rng.nextUniform(); c[i] = 0 }
        var best = 0.0
        for rep in 0...repetitions {
            var stats = SGEMMStats()
            sgemm(m: size, n: size, k: size, a: a, lda: size, b: b, ldb: size, c: c, ldc: size, stats: &stats)
            if rep > 0 { best = max(best, stats.rate) }
        }
        return best
    }
}
