import CMoegcProto
import MoegcProto

/// Decodes an ONNX file (one `onnx.ModelProto`, Sources/CMoegcProto/proto/onnx.proto, from the
/// `onnx` 1.23.2 wheel) with libprotobuf-c and copies what moegc reads into Swift values. The only
/// C code of the ONNX front end: no pointer leaves this file.
///
/// Checks, in order: the bytes are not another moegc file or text; message nesting stays within
/// `maxNesting` (protobuf-c's unpacker recurses once per nested message, so a hostile file of
/// nested sub-graphs could otherwise exhaust the stack); the protobuf decodes; the model has an IR
/// version, a default-domain opset and a graph.
public enum ONNXDecoder {
    /// Deepest nesting of messages accepted (a real model nests a few levels: model → graph →
    /// node → attribute → tensor; each control-flow sub-graph adds three).
    public static let maxNesting = 64

    public static func decode(_ bytes: [UInt8], path: String) throws(ONNXError) -> ONNXModel {
        func fail(_ code: ONNXError.Code, _ m: String) -> ONNXError { ONNXError(code, "\(path): error: \(m)") }
        if bytes.starts(with: Array("MOEGCPLN".utf8)) { throw fail(.notAModel, "this is a compiled moegc plan, not an ONNX model") }
        if bytes.starts(with: Array("MOEGCPOL".utf8)) { throw fail(.notAModel, "this is a moegc policy checkpoint, not an ONNX model") }
        if bytes.starts(with: Array("graph".utf8)) || bytes.starts(with: Array("#".utf8)) {
            throw fail(.notAModel, "this looks like a .graph text, not an ONNX model")
        }
        guard !bytes.isEmpty else { throw fail(.notAModel, "the file is empty") }
        switch WireScan.check(bytes, limit: maxNesting) {
        case .ok: break
        case .tooDeep: throw fail(.corrupted, "messages nest deeper than \(maxNesting) levels (a corrupted or hostile file)")
        case .malformed(let offset):
            throw fail(.corrupted, "not a valid ONNX model: the protobuf is truncated or corrupted at byte \(offset) of \(bytes.count)")
        }
        let unpacked = bytes.withUnsafeBufferPointer { onnx__model_proto__unpack(nil, $0.count, $0.baseAddress) }
        guard let model = unpacked else {
            throw fail(.corrupted, "not a valid ONNX model: the protobuf is truncated or corrupted (\(bytes.count) bytes)")
        }
        defer { onnx__model_proto__free_unpacked(model, nil) }
        let m = model.pointee
        guard m.has_ir_version != 0 else { throw fail(.notAModel, "not an ONNX model: it has no IR version") }
        var opsets: [String: Int64] = [:]
        for i in 0..<m.n_opset_import {
            guard let o = m.opset_import[i]?.pointee else { continue }
            opsets[CRead.string(o.domain)] = o.version
        }
        guard let g = m.graph?.pointee else { throw fail(.notAModel, "not an ONNX model: it has no graph") }
        return ONNXModel(irVersion: m.ir_version, opsets: opsets, producer: CRead.string(m.producer_name), graph: graph(g))
    }

    /// Decodes one `onnx.TensorProto` (the backend test data files `input_0.pb`, `output_0.pb`).
    public static func decodeTensor(_ bytes: [UInt8], path: String) throws(ONNXError) -> ONNXTensor {
        switch WireScan.check(bytes, limit: maxNesting) {
        case .ok: break
        case .tooDeep, .malformed: throw ONNXError(.corrupted, "\(path): error: not a valid ONNX tensor (the protobuf is truncated or corrupted)")
        }
        let unpacked = bytes.withUnsafeBufferPointer { onnx__tensor_proto__unpack(nil, $0.count, $0.baseAddress) }
        guard let t = unpacked else { throw ONNXError(.corrupted, "\(path): error: not a valid ONNX tensor (the protobuf is truncated or corrupted)") }
        defer { onnx__tensor_proto__free_unpacked(t, nil) }
        return tensor(t.pointee)
    }

    static func graph(_ g: Onnx__GraphProto) -> ONNXGraph {
        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(g.n_node)
        for i in 0..<g.n_node {
            guard let n = g.node[i]?.pointee else { continue }
            var attributes: [String: ONNXAttribute] = [:]
            for j in 0..<n.n_attribute {
                guard let a = n.attribute[j]?.pointee else { continue }
                attributes[CRead.string(a.name)] = attribute(a)
            }
            nodes.append(ONNXNode(name: CRead.string(n.name), opType: CRead.string(n.op_type), domain: CRead.string(n.domain),
                                  inputs: (0..<n.n_input).map { CRead.string(n.input[$0]) },
                                  outputs: (0..<n.n_output).map { CRead.string(n.output[$0]) },
                                  attributes: attributes))
        }
        let initializers = (0..<g.n_initializer).compactMap { i in g.initializer[i].map { tensor($0.pointee) } }
        return ONNXGraph(name: CRead.string(g.name), nodes: nodes, initializers: initializers,
                         inputs: (0..<g.n_input).compactMap { g.input[$0].map { valueInfo($0.pointee) } },
                         outputs: (0..<g.n_output).compactMap { g.output[$0].map { valueInfo($0.pointee) } })
    }

    static func attribute(_ a: Onnx__AttributeProto) -> ONNXAttribute {
        let type = a.has_type != 0 ? a.type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
        switch type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return .float(a.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return .int(a.i)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return .string(String(decoding: CRead.binary(a.s), as: UTF8.self))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = a.t?.pointee else { return .unsupported("a tensor attribute without a tensor") }
            return .tensor(tensor(t))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return .floats(CRead.array(a.n_floats, a.floats))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return .ints(CRead.array(a.n_ints, a.ints))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
            return .strings((0..<a.n_strings).map { String(decoding: CRead.binary(a.strings[$0]), as: UTF8.self) })
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return .unsupported("a sub-graph")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED:
            // IR version 1 files leave the type out: tell the kind from the field that is set.
            if a.has_f != 0 { return .float(a.f) }
            if a.has_i != 0 { return .int(a.i) }
            if a.n_ints > 0 { return .ints(CRead.array(a.n_ints, a.ints)) }
            if a.n_floats > 0 { return .floats(CRead.array(a.n_floats, a.floats)) }
            return .unsupported("an attribute of no type")
        default: return .unsupported("an attribute of type \(type.rawValue)")
        }
    }

    static func tensor(_ t: Onnx__TensorProto) -> ONNXTensor {
        let dims = CRead.array(t.n_dims, t.dims)
        let data: ONNXTensor.Data
        if t.n_external_data > 0 || (t.has_data_location != 0 && t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
            var location = "", offset = 0, length: Int? = nil
            for i in 0..<t.n_external_data {
                guard let e = t.external_data[i]?.pointee else { continue }
                let key = CRead.string(e.key), value = CRead.string(e.value)
                switch key {
                case "location": location = value
                case "offset": offset = Int(value) ?? -1
                case "length": length = Int(value) ?? -1
                default: break
                }
            }
            data = .external(location: location, offset: offset, length: length)
        } else if t.has_raw_data != 0 {
            data = .raw(CRead.binary(t.raw_data))
        } else if t.n_float_data > 0 {
            data = .floats(CRead.array(t.n_float_data, t.float_data))
        } else if t.n_int64_data > 0 {
            data = .int64s(CRead.array(t.n_int64_data, t.int64_data))
        } else if t.n_int32_data > 0 {
            data = .int32s(CRead.array(t.n_int32_data, t.int32_data))
        } else if t.n_double_data > 0 {
            data = .doubles(CRead.array(t.n_double_data, t.double_data))
        } else {
            data = .none
        }
        return ONNXTensor(name: CRead.string(t.name), dataType: t.has_data_type != 0 ? t.data_type : 0, dims: dims, data: data)
    }

    static func valueInfo(_ v: Onnx__ValueInfoProto) -> ONNXValueInfo {
        let name = CRead.string(v.name)
        guard let type = v.type?.pointee, type.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
              let tensorType = type.tensor_type?.pointee else {
            return ONNXValueInfo(name: name, elemType: nil, dims: nil)
        }
        let elem = tensorType.has_elem_type != 0 ? tensorType.elem_type : 0
        guard let shape = tensorType.shape?.pointee else { return ONNXValueInfo(name: name, elemType: elem, dims: nil) }
        var dims: [ONNXDim] = []
        for i in 0..<shape.n_dim {
            guard let d = shape.dim[i]?.pointee else { dims.append(.unknown); continue }
            switch d.value_case {
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE: dims.append(.value(d.dim_value))
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
                let p = CRead.string(d.dim_param)
                dims.append(p.isEmpty ? .unknown : .param(p))
            default: dims.append(.unknown)
            }
        }
        return ONNXValueInfo(name: name, elemType: elem, dims: dims)
    }
}

/// A bounded walk of the protobuf wire format before protobuf-c sees the bytes: every field's tag
/// and length must fit the buffer, and the messages that can nest (graphs inside attributes, types
/// inside sequence and map types, functions' nodes) may nest at most `limit` deep. The field
/// numbers are those of onnx.proto.
enum WireScan {
    enum Result: Equatable { case ok, tooDeep, malformed(Int) }

    /// The message kinds whose fields may hold further messages that can nest.
    enum Kind {
        case model, graph, node, attribute, function, trainingInfo, valueInfo, typeProto, typeElement, typeMap, other
    }

    /// The kind of the message in field `field` of a `kind` message (nil: not a message we follow).
    static func child(_ kind: Kind, _ field: UInt64) -> Kind? {
        switch (kind, field) {
        case (.model, 7): .graph
        case (.model, 20): .trainingInfo
        case (.model, 25): .function
        case (.graph, 1): .node
        case (.graph, 11), (.graph, 12), (.graph, 13): .valueInfo
        case (.node, 5): .attribute
        case (.attribute, 6), (.attribute, 11): .graph
        case (.attribute, 14), (.attribute, 15): .typeProto
        case (.function, 7): .node
        case (.function, 11): .attribute
        case (.function, 12): .valueInfo
        case (.trainingInfo, 1), (.trainingInfo, 3): .graph
        case (.valueInfo, 2): .typeProto
        case (.typeProto, 4), (.typeProto, 9): .typeElement   // sequence_type, optional_type: elem_type = 1
        case (.typeProto, 5): .typeMap                         // map_type: value_type = 2
        case (.typeElement, 1), (.typeMap, 2): .typeProto
        default: nil
        }
    }

    static func check(_ bytes: [UInt8], limit: Int) -> Result {
        bytes.withUnsafeBufferPointer { buf in
            scan(buf, 0, buf.count, .model, depth: 1, limit: limit)
        }
    }

    private static func scan(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ kind: Kind, depth: Int, limit: Int) -> Result {
        if depth > limit { return .tooDeep }
        var i = start
        while i < end {
            guard let (tag, next) = varint(b, i, end) else { return .malformed(i) }
            i = next
            let field = tag >> 3, wire = tag & 7
            guard field != 0 else { return .malformed(i) }
            switch wire {
            case 0:
                guard let (_, n) = varint(b, i, end) else { return .malformed(i) }
                i = n
            case 1:
                guard end - i >= 8 else { return .malformed(i) }
                i += 8
            case 5:
                guard end - i >= 4 else { return .malformed(i) }
                i += 4
            case 2:
                guard let (len, n) = varint(b, i, end), len <= UInt64(end - n) else { return .malformed(i) }
                let bodyEnd = n + Int(len)
                if let sub = child(kind, field) {
                    let r = scan(b, n, bodyEnd, sub, depth: depth + 1, limit: limit)
                    if r != .ok { return r }
                }
                i = bodyEnd
            default:
                return .malformed(i)   // groups (3, 4) are not in onnx.proto; 6 and 7 do not exist
            }
        }
        return .ok
    }

    private static func varint(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ end: Int) -> (UInt64, Int)? {
        var v: UInt64 = 0, shift: UInt64 = 0, i = at
        while i < end && shift < 64 {
            let byte = b[i]
            v |= UInt64(byte & 0x7F) << shift
            i += 1
            if byte & 0x80 == 0 { return (v, i) }
            shift += 7
        }
        return nil
    }
}
