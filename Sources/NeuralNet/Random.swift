/// xoshiro256** seeded through SplitMix64: a small, fast, reproducible generator (the same seed gives the same
/// stream on every platform).
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
    }

    @inline(__always) public mutating func next() -> UInt64 {
        let x = s1 &* 5
        let result = (x << 7 | x >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always) public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, n) without modulo bias worth noting (multiply-high).
    @inline(__always) public mutating func nextIndex(below n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Fisher–Yates shuffle in place.
    public mutating func shuffle(_ a: UnsafeMutableBufferPointer<Int32>) {
        var i = a.count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            a.swapAt(i, j)
            i -= 1
        }
    }
}
