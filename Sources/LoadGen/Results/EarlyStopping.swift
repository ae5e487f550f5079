#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The official early-stopping statistics (spec §6): with `t` over-latency results, the minimum number `h` of
/// under-latency results needed to claim, at confidence `c`, that the true `p`-percentile meets the bound.
public struct EarlyStopping: Sendable {
    public static let confidence = 0.99
    public static let tolerance = 0.0

    private var cache: [Int64: Int64] = [:]
    let p: Double
    let d: Double
    let c: Double

    public init(percentile p: Double, tolerance d: Double = EarlyStopping.tolerance,
                confidence c: Double = EarlyStopping.confidence) {
        self.p = p; self.d = d; self.c = c
    }

    /// Gauss hypergeometric 2F1(1, b; c; x) by its series, summed until a term is ≤ 2^-33 (as the official code).
    static func hypergeometric2F1A1(_ b: Int64, _ c: Int64, _ x: Double) -> Double {
        let tolerance = 1.0 / Double(1 << 33)
        var term = 1.0
        var result = 1.0
        var i: Int64 = 0
        while abs(term) > tolerance {
            term *= Double(b + i) * x / Double(c + i)
            result += term
            i += 1
        }
        return result
    }

    /// The regularised incomplete beta function I_x(a, b) through 2F1 (DLMF 15.8.1).
    static func betaRegularized(_ x: Double, _ a: Int64, _ b: Int64) -> Double {
        let lbeta = lgamma(Double(a)) + lgamma(Double(b)) - lgamma(Double(a + b))
        return exp(Double(a) * log(x) + Double(b - 1) * log(1 - x) - lbeta) / Double(a)
            * hypergeometric2F1A1(1 - b, 1 + a, x / (x - 1))
    }

    /// P[at most t over-latency results among h + t] if the true under-latency fraction were p − d.
    static func odds(_ h: Int64, _ t: Int64, _ p: Double, _ d: Double) -> Double {
        betaRegularized(p - d, h, 1 + t)
    }

    /// The smallest h with odds(h, t) < 1 − c. `odds` decreases in h and the answer grows with t, so the search is
    /// bracketed by cached neighbours and exponential widening.
    public mutating func minPassing(overLatency t: Int64) -> Int64 {
        if let h = cache[t] { return h }
        let target = 1 - c
        var lo: Int64 = 1
        for (tt, hh) in cache where tt < t && hh > lo { lo = hh }
        var hi = max(lo * 2, lo + 16)
        for (tt, hh) in cache where tt > t && hh < hi { hi = hh + 1 }
        // Far below the answer the formula under/overflows to NaN; NaN counts as "not passing" (the true odds are ≈ 1
        // there), so `!(odds < target)` rather than `odds >= target`.
        while !(EarlyStopping.odds(hi, t, p, d) < target) && hi < (1 << 50) { lo = hi; hi *= 2 }
        // Invariant: the answer is in [lo, hi].
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if EarlyStopping.odds(mid, t, p, d) < target { hi = mid } else { lo = mid + 1 }
        }
        cache[t] = lo
        return lo
    }

    /// SingleStream/MultiStream: the early-stopping estimate from `n` sorted latencies.
    /// Returns nil when fewer than `minPassing(1) + 1` queries were processed.
    public mutating func estimate(sortedLatencies v: UnsafeBufferPointer<Int64>) -> (estimate: Int64, discarded: Int64)? {
        let n = Int64(v.count)
        let hMin = minPassing(overLatency: 1)
        if n < hMin + 1 { return nil }
        // The official loop takes t = i − 1 for the first i ≥ 2 with n < h(i) + i (t = 1 if none). h(i) + i grows
        // with i, so that i is found by binary search instead of a linear scan.
        // h(i) > i·p/(1−p) (the observed fraction must exceed p), so n < h(i) + i holds for every i ≥ n·(1−p) + 1:
        // that bounds the search (and keeps t where the formula is accurate).
        var lo: Int64 = 2
        var hi = min(n + 1, Int64(Double(n) * (1 - p + d)) + 2)
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if n < minPassing(overLatency: mid) + mid { hi = mid } else { lo = mid + 1 }
        }
        let t: Int64 = lo <= n ? lo - 1 : 1
        return (v[Int(n - t)], t - 1)
    }

    /// Processed-queries threshold for the summary text (`h_min + 1`).
    public mutating func minimumQueries() -> Int64 { minPassing(overLatency: 1) + 1 }
}
