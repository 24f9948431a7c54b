import Foundation

/// Writing to the terminal: results to standard output, diagnostics to standard error.
public enum Output {
    public static func out(_ s: String) {
        print(s, terminator: s.hasSuffix("\n") ? "" : "\n")
    }

    public static func err(_ s: String) {
        FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    public static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}
