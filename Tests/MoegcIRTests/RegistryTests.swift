import MoegcIR
import Testing

/// The op registry is complete and consistent: one schema per op, attribute names unique,
/// defaults valid against their own kinds.
struct RegistryTests {
    @Test func everyOpHasOneSchema() {
        #expect(OpRegistry.all.count == OpCode.allCases.count)
        #expect(Set(OpRegistry.all.map(\.code)) == Set(OpCode.allCases))
        for code in OpCode.allCases { #expect(code.schema.code == code) }
    }

    @Test func attributeSchemasAreConsistent() {
        for schema in OpRegistry.all {
            let names = schema.attributes.map(\.name) + OpSchema.annotations.map(\.name)
            #expect(Set(names).count == names.count, "duplicate attribute in '\(schema.code)'")
            for spec in schema.attributes {
                if let d = spec.defaultValue, schema.code != .opaque {
                    if case .failure(let e) = spec.check(d) { Issue.record("default of '\(schema.code).\(spec.name)': \(e.message)") }
                }
            }
            #expect(schema.resultNames.count == schema.results.min || schema.results.max == nil,
                    "result names of '\(schema.code)'")
        }
    }

    @Test func layersAreTheOnlyOpsWithImplicitParameters() throws {
        let x = TensorType(.f32, shape: [2, 3, 8])
        for schema in OpRegistry.all where schema.level != .layer {
            let ctx = OpContext(schema: schema, operandTypes: [x], attributes: Attributes())
            #expect(schema.parameters(ctx).isEmpty, "'\(schema.code)' declares parameters")
        }
    }

    @Test func costOfMatmulCountsMultiplyAdds() throws {
        let g = try load("""
        graph g (%a: f32[3, 5]) -> (%c) {
          %b = param() {init = zeros} : f32[5, 7]
          %c = matmul(%a, %b)
        }
        """)
        let cost = g.cost(NodeID(1))
        #expect(cost.macs == 3 * 5 * 7)
        #expect(cost.bytesRead == Double((3 * 5 + 5 * 7) * 4))
        #expect(cost.bytesWritten == Double(3 * 7 * 4))
    }

    @Test func expectedExpertRowsRespectCapacity() {
        // 64 tokens, k = 2, 8 experts: 16 rows each on average; capacity 1.25 does not bind.
        #expect(OpRegistry.expectedExpertRows(assignments: 128, experts: 8, capacityFactor: 0) == 16)
        #expect(OpRegistry.expectedExpertRows(assignments: 128, experts: 8, capacityFactor: 1.25) == 16)
        #expect(OpRegistry.expectedExpertRows(assignments: 128, experts: 8, capacityFactor: 0.5) == 8)
    }
}
