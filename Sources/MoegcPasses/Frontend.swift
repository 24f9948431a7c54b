import MoegcIR
import MoegcSupport

/// Reads a `.graph` file into a verified, fully typed graph: read → parse (with named-dimension
/// overrides) → structural verification → shape inference. Every failure is a `DiagnosticList`
/// that renders as `path:line:col: error: …` with the source line and a caret.
public enum Frontend {
    /// A file is read as a stream (memory for its statements and comments, not its bytes); "-",
    /// standard input, is read whole (its lines cannot be read back for diagnostics).
    public static func load(path: String, overrides: [String: Int] = [:]) throws(DiagnosticList) -> Graph {
        guard path != "-" else {
            let bytes: [UInt8]
            do throws(FileError) { bytes = try FileIO.read(path) } catch {
                throw DiagnosticList([Diagnostic(.error, error.reason, file: path)])
            }
            return try load(bytes: bytes, path: path, overrides: overrides)
        }
        var graph = try GraphText.parse(file: path, overrides: overrides)
        do throws(DiagnosticList) {
            _ = try shapeInference.run(&graph, PassOptions(file: path))
        } catch {
            throw DiagnosticList(error.diagnostics, source: GraphText.sourceLines(path)(error.diagnostics))
        }
        return graph
    }

    public static func load(bytes: [UInt8], path: String, overrides: [String: Int] = [:]) throws(DiagnosticList) -> Graph {
        var graph = try GraphText.parse(bytes: bytes, path: path, overrides: overrides)
        do throws(DiagnosticList) {
            _ = try shapeInference.run(&graph, PassOptions(file: path))
        } catch {
            throw DiagnosticList(error.diagnostics, source: String(validating: bytes, as: UTF8.self).map { SourceText(path: path, text: $0) })
        }
        return graph
    }
}
