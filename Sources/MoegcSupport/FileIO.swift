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
