#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `std::mt19937` (32-bit Mersenne Twister), seeded as libstdc++ does: the 64-bit seed is reduced modulo 2^32.
/// Bit-exact reproduction of the official LoadGen's streams also needs the libstdc++ (GCC ≥ 11) algorithms below.
struct MT19937 {
    private var state: [UInt32]
    private var index: Int

    init(seed: UInt64) {
        var s = [UInt32](repeating: 0, count: 624)
        s[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<624 {
            let p = s[i - 1]
            s[i] = 1_812_433_253 &* (p ^ (p >> 30)) &+ UInt32(i)
        }
        state = s
        index = 624
    }

    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { mt in
            for i in 0..<624 {
                let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7fff_ffff)
                mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_b0df : 0)
            }
        }
        index = 0
    }

    mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// `std::uniform_int_distribution<>(a, b)` for a 32-bit engine (libstdc++ ≥ 11: Lemire's multiply-shift).
    mutating func uniformInt(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let urange = b - a
        if urange == 0xFFFF_FFFF { return a + UInt64(next()) }
        let uerange = urange + 1
        var product = UInt64(next()) * uerange
        var low = product & 0xFFFF_FFFF
        if low < uerange {
            let threshold = ((1 << 32) - uerange) % uerange
            while low < threshold {
                product = UInt64(next()) * uerange
                low = product & 0xFFFF_FFFF
            }
        }
        return a + (product >> 32)
    }

    /// `std::generate_canonical<double, 53>`: two draws, `(g1 + g2·2^32) / 2^64`, clamped below 1.
    mutating func canonical() -> Double {
        let a = Double(next())
        let b = Double(next())
        let r = (a + b * 4_294_967_296.0) / 18_446_744_073_709_551_616.0
        return r < 1.0 ? r : (1.0).nextDown
    }

    /// `std::exponential_distribution<double>(lambda)`.
    mutating func exponential(_ lambda: Double) -> Double {
        -log(1.0 - canonical()) / lambda
    }

    /// `std::shuffle` as libstdc++ does it: two swap positions per draw when the range allows.
    mutating func shuffle<T>(_ v: inout [T]) {
        let n = v.count
        if n < 2 { return }
        v.withUnsafeMutableBufferPointer { buf in
            if UInt64(0xFFFF_FFFF) / UInt64(n) >= UInt64(n) {
                var i = 1
                if n % 2 == 0 {
                    let j = Int(uniformInt(0, 1))
                    buf.swapAt(i, j)
                    i += 1
                }
                while i != n {
                    let r = UInt64(i + 1)
                    let x = uniformInt(0, r * (r + 1) - 1)
                    buf.swapAt(i, Int(x / (r + 1)))
                    i += 1
                    buf.swapAt(i, Int(x % (r + 1)))
                    i += 1
                }
            } else {
                for i in 1..<n { buf.swapAt(i, Int(uniformInt(0, UInt64(i)))) }
            }
        }
    }
}
