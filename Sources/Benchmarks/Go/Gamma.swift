import Datasets
import Foundation

extension SplitMix64 {
    /// A uniform double in (0, 1).
    mutating func unitOpen() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        sqrt(-2 * log(unitOpen())) * cos(2 * Double.pi * unitOpen())
    }

    /// A Gamma(shape, 1) draw: Marsaglia and Tsang (2000), with the boost U^(1/shape) for shape < 1. The search's
    /// root noise is Dirichlet(α), i.e. normalised Gamma(α, 1) draws.
    mutating func gamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma shape must be positive")
        if shape < 1 { return gamma(shape: shape + 1) * pow(unitOpen(), 1 / shape) }
        let d = shape - 1.0 / 3, c = 1 / sqrt(9 * d)
        while true {
            var x: Double, v: Double
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = unitOpen()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
