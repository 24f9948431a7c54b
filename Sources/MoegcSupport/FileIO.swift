#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be read or written, with the reason in words.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): error: \(reason)" }
}

/// Whole-file reads and atomic writes. Writes go to a temporary file in the same directory, are
/// flushed with fsync, then renamed over the destination, so a reader never sees half a file and a
/// failure leaves the old file (or none) in place.
public enum FileIO {
    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file or directory"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory"
        case ENOSPC: return "no space left on the device"
        case ENOTDIR: return "a component of the path is not a directory"
        default: return String(cString: strerror(code))
        }
    }

    /// The bytes of the file at `path` ("-" reads standard input).
    public static func read(_ path: String) throws(FileError) -> [UInt8] {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, reason: reason(errno)) }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { throw FileError(path: path, reason: "is a directory") }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, reason: reason(errno))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes `bytes` to `path` atomically (temporary file, fsync, rename). "-" writes standard output.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(FileError) {
        if path == "-" {
            try writeAll(STDOUT_FILENO, bytes, path)
            return
        }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, reason: reason(errno)) }
        do throws(FileError) {
            try writeAll(fd, bytes, path)
            guard fsync(fd) == 0 else { throw FileError(path: path, reason: reason(errno)) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw FileError(path: path, reason: reason(e))
        }
    }

    /// Writes UTF-8 text atomically.
    public static func writeAtomically(_ path: String, text: String) throws(FileError) {
        try writeAtomically(path, Array(text.utf8))
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, reason: reason(errno))
            }
            done += n
        }
    }

    /// Whether `path` names an existing directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names of the entries of a directory, sorted.
    public static func list(_ path: String) throws(FileError) -> [String] {
        guard let dir = opendir(path) else { throw FileError(path: path, reason: reason(errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// A file read in chunks, for readers that stream (the `.graph` lexer): memory stays at a chunk,
/// whatever the file's size.
public final class FileReader {
    public let path: String
    private let fd: Int32

    /// Opens `path` for reading (not "-": standard input cannot be re-read for diagnostics).
    public init(_ path: String) throws(FileError) {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, reason: FileIO.reason(errno)) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FileError(path: path, reason: "is a directory")
        }
    }

    deinit { close(fd) }

    /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end of the file).
    public func read(into buffer: inout [UInt8], count: Int) throws(FileError) -> Int {
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + old, count) }
            if n < 0 {
                if errno == EINTR { continue }
                buffer.removeLast(count)
                throw FileError(path: path, reason: FileIO.reason(errno))
            }
            buffer.removeLast(count - n)
            return n
        }
    }

    /// The lines numbered in `wanted` (1-based, without terminators), read through the file once.
    public static func lines(_ wanted: Set<Int>, of path: String) -> [Int: String] {
        guard !wanted.isEmpty, let reader = try? FileReader(path), let last = wanted.max() else { return [:] }
        var out: [Int: String] = [:], line = 1, current: [UInt8] = [], chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 16)
        while line <= last {
            chunk.removeAll(keepingCapacity: true)
            guard let n = try? reader.read(into: &chunk, count: 1 << 16), n > 0 else { break }
            for b in chunk {
                if b == UInt8(ascii: "\n") {
                    if wanted.contains(line) { out[line] = String(decoding: current, as: UTF8.self) }
                    current.removeAll(keepingCapacity: true)
                    line += 1
                    if line > last { break }
                } else if wanted.contains(line) && current.count < 1 << 20 {
                    current.append(b)
                }
            }
        }
        if line <= last, wanted.contains(line) { out[line] = String(decoding: current, as: UTF8.self) }
        return out
    }
}
