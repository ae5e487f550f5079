/// Errors the submission tools raise for input they cannot use at all. Problems inside a tree that the checker can
/// report and step over are `CheckProblem`s, not errors.
public enum SubmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownRuleBook(String, known: [String])
    case unreadable(file: String, reason: String)
    case invalid(file: String, line: Int?, expected: String, found: String)
    case missing(String, hint: String)

    public var description: String {
        switch self {
        case .unknownRuleBook(let v, let known):
            return "unknown checker version '\(v)': expected one of \(known.joined(separator: ", "))"
        case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
        case .invalid(let file, let line, let expected, let found):
            return "\(file)\(line.map { ":\($0)" } ?? ""): expected \(expected), found \(found)"
        case .missing(let what, let hint): return "\(what) is missing; \(hint)"
        }
    }
}
