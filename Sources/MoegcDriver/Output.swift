import Foundation

/// Writing to the terminal: results to standard output, diagnostics to standard error.
enum Output {
    static func out(_ s: String) {
        print(s, terminator: s.hasSuffix("\n") ? "" : "\n")
    }

    static func err(_ s: String) {
        FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}
