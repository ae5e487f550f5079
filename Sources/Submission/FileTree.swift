import Foundation

/// Read-only views of a submission tree, by paths relative to its root (as the official checker walks it).
struct FileTree: Sendable {
    let root: String
    private var fm: FileManager { FileManager.default }

    func path(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    func exists(_ p: String) -> Bool { fm.fileExists(atPath: path(p)) }

    func isDirectory(_ p: String) -> Bool {
        var isDir: ObjCBool = false
        return fm.fileExists(atPath: path(p), isDirectory: &isDir) && isDir.boolValue
    }

    /// Sub-directories, sorted (links to directories count, as `os.path.isdir` follows them).
    func dirs(_ p: String) -> [String] {
        ((try? fm.contentsOfDirectory(atPath: path(p))) ?? []).filter { isDirectory(p.isEmpty ? $0 : p + "/" + $0) }.sorted()
    }

    /// Regular files (and links to them), sorted.
    func files(_ p: String) -> [String] {
        ((try? fm.contentsOfDirectory(atPath: path(p))) ?? []).filter {
            let full = p.isEmpty ? $0 : p + "/" + $0
            return exists(full) && !isDirectory(full)
        }.sorted()
    }

    func contents(_ p: String) -> Data? { fm.contents(atPath: path(p)) }

    func size(_ p: String) -> Int? { (try? fm.attributesOfItem(atPath: path(p)))?[.size] as? Int }

    /// The symmetric difference of a directory's files and the expected list, less the optional files, as text;
    /// nil when they agree.
    static func diff(_ files: [String], _ expected: Set<String>, optional: Set<String>) -> String? {
        let d = Set(files).symmetricDifference(expected).subtracting(optional)
        guard !d.isEmpty else { return nil }
        return d.sorted().map { expected.contains($0) ? "missing \($0)" : "unexpected \($0)" }.joined(separator: ", ")
    }

    /// The official per-submitter hygiene checks: broken links, files over 50 MB, names starting with a dot or
    /// holding a space, `__pycache__` folders, empty folders. Returns the first problem found.
    func hygieneProblem(_ base: String) -> CheckProblem? {
        guard let walker = fm.enumerator(atPath: path(base)) else { return nil }
        var broken: [String] = [], big: [String] = [], dotted: [String] = [], spaced: [String] = []
        var pycache: [String] = [], empty: [String] = []
        while let rel = walker.nextObject() as? String {
            let full = base + "/" + rel
            let name = (rel as NSString).lastPathComponent
            if let dest = try? fm.destinationOfSymbolicLink(atPath: path(full)),
               !fm.fileExists(atPath: dest.hasPrefix("/") ? dest : (path(full) as NSString).deletingLastPathComponent + "/" + dest) {
                broken.append(full); continue
            }
            if isDirectory(full) {
                if name == "__pycache__" { pycache.append(full) }
                if ((try? fm.contentsOfDirectory(atPath: path(full))) ?? []).isEmpty { empty.append(full) }
                if name.hasPrefix(".") { dotted.append(full) }
                if name.contains(" ") { spaced.append(full) }
            } else {
                if (size(full) ?? 0) > 50 * 1024 * 1024 { big.append(full) }
                if name.hasPrefix(".") { dotted.append(full) }
                if name.contains(" ") { spaced.append(full) }
            }
        }
        let checks: [(String, String, [String])] = [
            ("broken_links", "no broken symbolic links", broken), ("file_size", "no file over 50 MB", big),
            ("hidden_names", "no names starting with '.'", dotted), ("spaces", "no spaces in names", spaced),
            ("pycache", "no __pycache__ folders", pycache), ("empty_dirs", "no empty directories", empty)]
        for (rule, expected, found) in checks where !found.isEmpty {
            return CheckProblem(file: base, rule: rule, expected: expected, found: found.sorted().joined(separator: ", "))
        }
        return nil
    }
}

/// Python `re.match` (anchored at the start, not the end) for the checker's accuracy patterns.
enum PythonRegex {
    /// ICU reads a `{` or `}` that belongs to no repeat count as an error, where Python takes it literally (the
    /// official F1 pattern is `^{…}`): such braces are escaped.
    static func icuPattern(_ python: String) -> String {
        var out = "", chars = Array(python), i = 0, inQuantifier = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count { out.append(c); out.append(chars[i + 1]); i += 2; continue }
            if c == "{" {
                if i + 1 < chars.count && chars[i + 1].isNumber { inQuantifier = true; out.append(c) } else { out += "\\{" }
            } else if c == "}" {
                if inQuantifier { inQuantifier = false; out.append(c) } else { out += "\\}" }
            } else { out.append(c) }
            i += 1
        }
        return out
    }

    /// The first capture group of `pattern` matched at the start of `line`, or nil.
    static func matchFirstGroup(_ pattern: String, _ line: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: icuPattern(pattern)) else { return nil }
        let range = NSRange(line.startIndex..., in: line)
        guard let m = re.firstMatch(in: line, options: [.anchored], range: range), m.numberOfRanges > 1,
              let r = Range(m.range(at: 1), in: line) else { return nil }
        return String(line[r])
    }
}
