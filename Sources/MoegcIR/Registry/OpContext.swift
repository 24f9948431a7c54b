/// What a shape rule, a parameter rule or a cost rule sees of one node: its operand types, its
/// attributes (defaults filled in from the schema on access) and the result types the text declared.
public struct OpContext: Sendable {
    public let schema: OpSchema
    public let operandTypes: [TensorType]
    public let attributes: Attributes
    /// Result types written in the text (nil entries where none was written). Ops whose results
    /// cannot be inferred (`param`, `opaque`, `random_normal`) take theirs from here.
    public let declaredResultTypes: [TensorType?]

    public init(schema: OpSchema, operandTypes: [TensorType], attributes: Attributes,
                declaredResultTypes: [TensorType?] = []) {
        self.schema = schema
        self.operandTypes = operandTypes
        self.attributes = attributes
        self.declaredResultTypes = declaredResultTypes
    }

    /// The attribute as written, or the schema's default.
    public func attribute(_ name: String) -> AttributeValue {
        if let v = attributes[name] { return v }
        guard let spec = schema.attributes.first(where: { $0.name == name }) else {
            preconditionFailure("op '\(schema.code)' has no attribute '\(name)' in its schema")
        }
        guard let d = spec.defaultValue else {
            preconditionFailure("required attribute '\(name)' of '\(schema.code)' read before verification")
        }
        return d
    }

    public func int(_ name: String) -> Int { attribute(name).intValue ?? 0 }
    public func double(_ name: String) -> Double { attribute(name).doubleValue ?? 0 }
    public func bool(_ name: String) -> Bool { attribute(name).boolValue ?? false }
    public func string(_ name: String) -> String { attribute(name).stringValue ?? "" }
    public func symbol(_ name: String) -> String { attribute(name).symbolValue ?? "" }
    public func ints(_ name: String) -> [Int] { attribute(name).intListValue ?? [] }

    public func operand(_ i: Int) -> TensorType { operandTypes[i] }

    /// The declared result type `i`, or a shape error saying it must be written.
    public func declared(_ i: Int) throws(ShapeError) -> TensorType {
        guard i < declaredResultTypes.count, let t = declaredResultTypes[i] else {
            throw ShapeError("op '\(schema.code)' needs its result types written (`: f32[…]`)")
        }
        return t
    }
}

/// Everything the compiler knows about one op, in one place: operand and result arity, attribute
/// schema, shape rule, parameters, cost, fusion class. Passes, the simulator's cost model and the
/// policy's featurizer read this; none keeps its own switch over op names.
///
/// A class: every `op.schema` hands out the registry's one instance (a retain), where a struct of
/// a dozen arrays and closures was copied field by field on every lookup.
public final class OpSchema: Sendable {
    public typealias ShapeRule = @Sendable (OpContext) throws(ShapeError) -> [TensorType]
    public typealias ParamRule = @Sendable (OpContext) -> [ParamSpec]
    public typealias CostRule = @Sendable (OpContext, [TensorType]) -> OpCost
    public typealias VerifyRule = @Sendable (OpContext) -> String?

    public let code: OpCode
    public let summary: String
    public let level: OpLevel
    public let fusion: FusionClass
    public let operands: Arity
    public let results: Arity
    /// Names of the results, for documentation and generated value names (`y`, `l_importance`).
    public let resultNames: [String]
    public let attributes: [AttributeSpec]
    /// Results carry their types in the text; the shape rule only validates them.
    public let explicitResultTypes: Bool
    /// Embedding and output-softmax layers, which the paper leaves out of its parameter and op counts.
    public let vocabularyLayer: Bool
    /// The op defines a weight: its result is held on its device for the whole run, read by the
    /// ops that use it, initialised from its init rule or loaded from a weights file (`param`).
    /// The one definition of "a weight" every stage reads.
    public let isWeight: Bool
    public let inferTypes: ShapeRule
    public let parameters: ParamRule
    public let cost: CostRule
    /// Checks that relate attributes to each other or to operand types beyond the shape rule.
    public let verify: VerifyRule?

    public init(_ code: OpCode, _ summary: String, level: OpLevel = .primitive, fusion: FusionClass,
                operands: Arity, results: Arity = .exactly(1), resultNames: [String] = ["out"],
                attributes: [AttributeSpec] = [], explicitResultTypes: Bool = false,
                vocabularyLayer: Bool = false, isWeight: Bool = false,
                parameters: @escaping ParamRule = { _ in [] },
                cost: @escaping CostRule = OpSchema.streamingCost(flopsPerElement: 0),
                verify: VerifyRule? = nil,
                inferTypes: @escaping ShapeRule) {
        self.code = code
        self.summary = summary
        self.level = level
        self.fusion = fusion
        self.operands = operands
        self.results = results
        self.resultNames = resultNames
        self.attributes = attributes
        self.explicitResultTypes = explicitResultTypes
        self.vocabularyLayer = vocabularyLayer
        self.isWeight = isWeight
        self.inferTypes = inferTypes
        self.parameters = parameters
        self.cost = cost
        self.verify = verify
    }

    /// The attribute spec named `name`, including the annotations every op accepts.
    public func attributeSpec(_ name: String) -> AttributeSpec? {
        attributes.first { $0.name == name } ?? OpSchema.annotations.first { $0.name == name }
    }

    /// Canonical position of an attribute: schema order, then annotations.
    public func attributeRank(_ name: String) -> Int {
        if let i = attributes.firstIndex(where: { $0.name == name }) { return i }
        if let j = OpSchema.annotations.firstIndex(where: { $0.name == name }) { return attributes.count + j }
        return Int.max
    }

    /// Attributes any node may carry: decisions of the placement and fusion stages, printed in the
    /// placed IR so that a placed graph re-parses.
    public static let annotations: [AttributeSpec] = [
        AttributeSpec("group", .int(0...Int.max), default: .int(0), "fusion group the node belongs to"),
        AttributeSpec("device", .int(0...Int.max), default: .int(0), "index of the device the node is placed on"),
        AttributeSpec("order", .int(0...Int.max), default: .int(0), "position in its device's schedule"),
        AttributeSpec("expert", .int(0...Int.max), default: .int(0),
                      "the expert (index within its MoE layer) whose computation the node is part of; set by lowering"),
        AttributeSpec("moe_group", .int(0...Int.max), default: .int(0),
                      "the group of a hierarchical MoE the node belongs to; set by lowering"),
        AttributeSpec("colocate", .string, default: .string(""),
                      "a co-location group: every node of the same name runs on one device, whatever the placer"),
        AttributeSpec("devices", .nameList, default: .list([]),
                      "the device kinds the node may run on (cluster kind names); every placer keeps to them"),
    ]

    /// The annotations a layer's primitives inherit when lowering expands it: the user's placement
    /// constraints apply to everything the layer becomes.
    public static let inheritedAnnotations = ["colocate", "devices"]

    /// Cost of an op that reads its operands and writes its results once, with `flopsPerElement`
    /// arithmetic per result element.
    public static func streamingCost(flopsPerElement: Double) -> CostRule {
        { ctx, results in
            OpCost(otherFlops: flopsPerElement * results.reduce(0) { $0 + $1.expectedElements },
                   bytesRead: ctx.operandTypes.reduce(0) { $0 + $1.expectedBytes },
                   bytesWritten: results.reduce(0) { $0 + $1.expectedBytes })
        }
    }
}

/// The registry: every op's schema, looked up by code.
public enum OpRegistry {
    /// All schemas, one per `OpCode` (a test checks the table is complete).
    public static let all: [OpSchema] = layerOps + moeOps + elementwiseOps + logicOps + tensorOps + indexingOps + routingOps + sourceOps

    /// Every schema at its op's ordinal (nil where an op has none: a test checks there is none).
    static let table: [OpSchema?] = {
        for (i, code) in OpCode.allCases.enumerated() {
            precondition(code.ordinal == i, "OpCode: case \(code) has tag \(code.ordinal), not its position \(i)")
        }
        var t = [OpSchema?](repeating: nil, count: OpCode.allCases.count)
        for s in all {
            precondition(t[s.code.ordinal] == nil, "op '\(s.code)' registered twice")
            t[s.code.ordinal] = s
        }
        return t
    }()
}

extension OpCode {
    /// This op's schema from the registry (an array read: the compiler asks for it on every node).
    public var schema: OpSchema {
        guard let s = OpRegistry.table[ordinal] else { preconditionFailure("op '\(rawValue)' has no schema") }
        return s
    }
}
