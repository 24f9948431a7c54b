import MoegcIR
import MoegcKernels
import MoegcSupport

/// Executes one primitive node on concrete tensors with the CPU kernels. This is the one table
/// from op to kernel; the op's meaning (shapes, attributes) comes from the registry, and a test
/// checks that every primitive op has an entry here.
public struct NodeExecutor: Sendable {
    /// Seed of the run: weight initialisation and every random stream derive from it.
    public let seed: UInt64
    /// The matmul weights packed for the packed-weight kernel (empty: every matmul on cblas_sgemm).
    /// A matmul whose B is a packed weight multiplies by the packed copy, not by its operand: the
    /// same floats, since the interpreter and runtime that made this table feed every `param` node
    /// the weight they packed.
    let packed: PackedWeights

    public init(seed: UInt64) { self.init(seed: seed, packed: PackedWeights()) }

    init(seed: UInt64, packed: PackedWeights) {
        self.seed = seed
        self.packed = packed
    }

    /// Runs `node` (whose first result is named `name`) on `inputs`; `ctx` carries the node's
    /// attributes and the inputs' concrete types.
    public func execute(_ node: Node, name: String, _ inputs: [HostTensor], _ ctx: OpContext) throws(ExecutionError) -> [HostTensor] {
        switch node.op {
        case .add, .sub, .mul, .div, .maximum, .minimum, .pow:
            guard case .binary(let op) = Self.elementwiseKernel(node) else { preconditionFailure("\(node.op): no binary kernel") }
            // Integer operands (shape arithmetic of imported models) take the integer kernels.
            return [try node.op == .pow ? binary(op, inputs[0], inputs[1]) : arithmetic(op, inputs[0], inputs[1], name)]
        case .fma: return [try fma(inputs[0], inputs[1], inputs[2])]
        case .relu, .sigmoid, .tanh, .exp, .log, .neg, .sqrt, .erf, .normal_cdf, .softplus, .abs, .reciprocal, .gelu, .sin, .cos:
            guard case .unary(let op) = Self.elementwiseKernel(node) else { preconditionFailure("\(node.op): no unary kernel") }
            return [unary(op, inputs[0])]
        case .scale:
            guard case .affine(let factor) = Self.elementwiseKernel(node) else { preconditionFailure("scale: no affine kernel") }
            return [scale(inputs[0], factor)]
        case .dropout: return [dropout(inputs[0], rate: ctx.double("rate"), stream: ctx.int("stream"))]
        case .equal: return [compare(.equal, inputs[0], inputs[1])]
        case .less: return [compare(.less, inputs[0], inputs[1])]
        case .less_equal: return [compare(.lessEqual, inputs[0], inputs[1])]
        case .greater: return [compare(.greater, inputs[0], inputs[1])]
        case .greater_equal: return [compare(.greaterEqual, inputs[0], inputs[1])]
        case .not: return [logicalNot(inputs[0])]
        case .and: return [logical(.and, inputs[0], inputs[1])]
        case .or: return [logical(.or, inputs[0], inputs[1])]
        case .xor: return [logical(.xor, inputs[0], inputs[1])]
        case .where: return [select(inputs[0], inputs[1], inputs[2])]
        case .cast: return [cast(inputs[0], to: DType(rawValue: ctx.symbol("to")) ?? .f32)]
        case .matmul: return [try matmul(inputs[0], inputs[1], ctx, packed: packed.matrices(for: node))]
        case .reshape: return [HostTensor(reshaping: inputs[0], to: try resultShape(ctx, 0))]
        case .transpose: return [transpose(inputs[0], perm: ctx.ints("perm"))]
        case .concat: return [concat(inputs, axis: ctx.int("axis"))]
        case .slice: return [slice(inputs[0], axis: ctx.int("axis"), ctx.int("start"), ctx.int("end"))]
        case .reduce_sum: return [reduce(inputs[0], ctx, .sum)]
        case .reduce_mean: return [reduce(inputs[0], ctx, .mean)]
        case .reduce_max: return [reduce(inputs[0], ctx, .max)]
        case .softmax: return [try softmax(inputs[0], axis: ctx.int("axis"), log: false)]
        case .log_softmax: return [try softmax(inputs[0], axis: ctx.int("axis"), log: true)]
        case .normalize: return [normalize(inputs[0], eps: Float(ctx.double("eps")))]
        case .top_k: return topK(inputs[0], k: ctx.int("k"))
        case .gather: return [try gatherAxis(inputs[0], inputs[1], axis: ctx.int("axis"), wrap: ctx.bool("wrap_negative"), name)]
        case .expand: return [expand(inputs[0], to: try resultShape(ctx, 0))]
        case .gather_elements: return [try gatherElements(inputs[0], inputs[1], axis: ctx.int("axis"), name)]
        case .gather_nd: return [try gatherND(inputs[0], inputs[1], batchDims: ctx.int("batch_dims"), try resultShape(ctx, 0), name)]
        case .scatter_elements: return [try scatterElements(inputs[0], inputs[1], inputs[2], axis: ctx.int("axis"), reduction: ctx.symbol("reduction"), name)]
        case .scatter_nd: return [try scatterND(inputs[0], inputs[1], inputs[2], reduction: ctx.symbol("reduction"), name)]
        case .cumsum: return [cumulativeSum(inputs[0], axis: ctx.int("axis"), exclusive: ctx.bool("exclusive"), reverse: ctx.bool("reverse"))]
        case .one_hot: return [oneHot(inputs[0], inputs[1], depth: ctx.int("depth"), axis: ctx.int("axis"))]
        case .trilu: return [triangle(inputs[0], upper: ctx.bool("upper"), k: ctx.int("k"))]
        case .scatter_add: return [try scatterAdd(inputs[0], inputs[1], inputs.count > 2 ? inputs[2] : nil, rows: ctx.int("rows"), name)]
        case .pick: return [try pick(inputs[0], inputs[1], name)]
        case .mask_causal: return [maskCausal(inputs[0])]
        case .param: return [initialise(try resultShape(ctx, 0), ctx, name)]
        case .fill: return [fill(try resultShape(ctx, 0), Float(ctx.double("value")))]
        case .constant: return [constant(try resultShape(ctx, 0), ctx.ints("values"))]
        case .random_normal: return [randomNormal(like: inputs[0], stream: ctx.int("stream"))]
        case .random_ids: return [randomIds(try resultShape(ctx, 0), high: ctx.int("high"), stream: ctx.int("stream"))]
        case .moe_route: return try route(inputs[0], inputs[1], experts: ctx.int("experts"), capacity: ctx.int("capacity"), name)
        case .moe_dispatch: return [try dispatch(inputs[0], inputs[1], inputs[2], index: ctx.int("index"), name)]
        case .moe_segment: return [try segment(inputs[0], inputs[1], index: ctx.int("index"), name)]
        case .moe_combine: return [try combine(inputs[0], inputs[1], inputs[2], inputs[3], Array(inputs[4...]), name)]
        case .moe_importance: return [try importance(inputs[0], inputs[1], inputs.count > 2 ? inputs[2] : nil, experts: ctx.int("experts"), name)]
        case .moe_load_estimate: return [loadEstimate(inputs[0], inputs[1], inputs[2], inputs[3], k: ctx.int("k"))]
        case .moe_load_count: return [try loadCount(inputs[0], experts: ctx.int("experts"), name)]
        case .moe_group_load: return [groupLoad(inputs[0], inputs[1], Array(inputs[2...]))]
        case .cv_squared: return [cvSquared(inputs[0])]
        case .embedding, .lstm, .dense, .attention, .layer_norm, .softmax_output, .moe, .hmoe:
            throw ExecutionError("'\(node.op)' at %\(name) is a layer; lower the graph before running it")
        case .opaque:
            throw ExecutionError("'opaque' at %\(name) has no kernel: it is known only by its costs and can be placed and simulated, not run")
        }
    }

    /// The kernel of an elementwise node: the one mapping from these ops to the elementwise
    /// kernels, read by `execute` for a node alone and by `FusedChain` for a node fused into the
    /// epilogue of the one before it (so both run the same kernel, bit for bit). nil for other ops.
    static func elementwiseKernel(_ node: Node) -> ElementwiseKernel? {
        switch node.op {
        case .relu: .unary(.relu)
        case .sigmoid: .unary(.sigmoid)
        case .tanh: .unary(.tanh)
        case .exp: .unary(.exp)
        case .log: .unary(.log)
        case .neg: .unary(.neg)
        case .sqrt: .unary(.sqrt)
        case .erf: .unary(.erf)
        case .normal_cdf: .unary(.normalCDF)
        case .softplus: .unary(.softplus(plus: Float(node.attributes["offset"]?.doubleValue ?? 0)))
        case .abs: .unary(.abs)
        case .reciprocal: .unary(.reciprocal)
        case .gelu: .unary(node.attributes["approximate"]?.symbolValue == "tanh" ? .geluTanh : .gelu)
        case .sin: .unary(.sin)
        case .cos: .unary(.cos)
        case .scale: .affine(Float(node.attributes["factor"]?.doubleValue ?? 1))
        case .add: .binary(.add)
        case .sub: .binary(.sub)
        case .mul: .binary(.mul)
        case .div: .binary(.div)
        case .maximum: .binary(.max)
        case .minimum: .binary(.min)
        case .pow: .binary(.pow)
        default: nil
        }
    }

    /// The concrete type the registry gives result `i` for these operand types.
    func resultShape(_ ctx: OpContext, _ i: Int) throws(ExecutionError) -> [Int] {
        do {
            return try ctx.schema.inferTypes(ctx)[i].shape
        } catch {
            throw ExecutionError("'\(ctx.schema.code)': \(error.message)")
        }
    }

    /// A generator for random stream `stream` of this run.
    func generator(_ stream: Int) -> SeededGenerator {
        SeededGenerator.stream(seed: seed, UInt64(truncatingIfNeeded: stream))
    }
}

/// An elementwise kernel with its constant: what one elementwise node computes.
enum ElementwiseKernel: Sendable {
    case unary(UnaryOp)
    /// factor · x.
    case affine(Float)
    case binary(BinaryOp)
}

extension HostTensor {
    /// The same elements under a new shape.
    init(reshaping t: HostTensor, to shape: [Int]) {
        self.shape = shape
        self.storage = t.storage
    }
}
