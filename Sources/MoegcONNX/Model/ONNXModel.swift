/// An ONNX model as Swift values: what `ONNXDecoder` copies out of the protobuf-c structs, so no C
/// pointer outlives the decode. Only the parts moegc reads are kept (the opsets, the main graph's
/// nodes, initializers, inputs and outputs); sub-graphs of control-flow ops are counted, not kept.
public struct ONNXModel: Sendable {
    public var irVersion: Int64
    /// Opset version by domain ("" is the default domain, ai.onnx).
    public var opsets: [String: Int64]
    public var producer: String
    public var graph: ONNXGraph

    /// The default-domain opset (ai.onnx, written "" or "ai.onnx").
    public var defaultOpset: Int64? { opsets[""] ?? opsets["ai.onnx"] }
}

public struct ONNXGraph: Sendable {
    public var name: String
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
}

public struct ONNXNode: Sendable {
    public var name: String
    public var opType: String
    public var domain: String
    /// Input names; "" marks an optional input left out.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]
}

public enum ONNXAttribute: Sendable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXTensor)
    case floats([Float])
    case ints([Int64])
    case strings([String])
    /// A sub-graph (control flow) or another kind moegc does not read: its type's name.
    case unsupported(String)

    var kindName: String {
        switch self {
        case .float: "a float"
        case .int: "an int"
        case .string: "a string"
        case .tensor: "a tensor"
        case .floats: "a list of floats"
        case .ints: "a list of ints"
        case .strings: "a list of strings"
        case .unsupported(let t): t
        }
    }
}

/// ONNX element types (TensorProto.DataType) moegc names in messages; it computes with FLOAT,
/// and holds INT32, INT64 and BOOL as i32.
public enum ONNXDataType {
    public static let float: Int32 = 1, uint8: Int32 = 2, int8: Int32 = 3, int32: Int32 = 6, int64: Int32 = 7
    public static let bool: Int32 = 9, float16: Int32 = 10, double: Int32 = 11, bfloat16: Int32 = 16

    public static func name(_ t: Int32) -> String {
        let names: [Int32: String] = [0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
                                      7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32",
                                      13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16"]
        return names[t] ?? "type \(t)"
    }

    /// Bytes one element takes in raw_data, for the types whose data moegc can read.
    static func byteSize(_ t: Int32) -> Int? {
        switch t {
        case float, int32: 4
        case int64, double: 8
        case bool, uint8, int8: 1
        case float16, bfloat16: 2
        default: nil
        }
    }
}

/// A tensor as stored in the file: its element type, dimensions and data in whichever field held it.
public struct ONNXTensor: Sendable {
    public enum Data: Sendable {
        /// Little-endian bytes (`raw_data`).
        case raw([UInt8])
        case floats([Float])
        /// `int32_data`: INT32, BOOL, INT8, UINT8, FLOAT16 and BFLOAT16 bit patterns.
        case int32s([Int32])
        case int64s([Int64])
        case doubles([Double])
        /// Bytes in another file: `location` relative to the model's folder.
        case external(location: String, offset: Int, length: Int?)
        case none
    }

    public var name: String
    public var dataType: Int32
    public var dims: [Int64]
    public var data: Data
}

public enum ONNXDim: Sendable, Equatable {
    case value(Int64)
    case param(String)
    case unknown
}

public struct ONNXValueInfo: Sendable {
    public var name: String
    /// nil when the type is not a tensor type (a sequence, a map, an optional).
    public var elemType: Int32?
    /// nil when the shape is not given.
    public var dims: [ONNXDim]?
}
