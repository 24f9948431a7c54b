import MoegcIR
import MoegcModels
import MoegcPasses
import Testing

/// Every family writes valid graphs that lower, the same text for the same seed, and honours the
/// options it is given.
struct ModelFamilyTests {
    @Test(arguments: ModelFamily.allCases)
    func familiesWriteValidGraphsThatLower(_ family: ModelFamily) throws {
        for seed in 0..<6 as Range<UInt64> {
            let text = family.text(ModelOptions(), seed: seed, name: "g")
            var g = try Frontend.load(bytes: Array(text.utf8), path: "\(family.rawValue)-\(seed)")
            try Lowering.run(&g, PassOptions(training: true), verify: seed == 0)
            #expect(g.nodes.count > 50)
            #expect(family.text(ModelOptions(), seed: seed, name: "g") == text, "deterministic for a seed")
        }
        #expect((0..<6).map { family.text(ModelOptions(), seed: $0, name: "g") }.count { $0 != family.text(ModelOptions(), seed: 0, name: "g") } >= 3,
                "seeds vary the model")
    }

    @Test func optionsAreHonoured() throws {
        var o = ModelOptions()
        o.experts = 12
        o.k = 3
        o.groups = 1
        o.batch = 5
        let g = try Frontend.load(bytes: Array(ModelFamily.moeLM.text(o, seed: 0, name: "g").utf8), path: "t")
        let moe = try #require(g.nodes.first { $0.op == .moe })
        #expect(moe.attributes["experts"] == .int(12))
        #expect(moe.attributes["k"] == .int(3))
        #expect(g.symbol("batch") == 5)
        var p = ModelOptions()
        p.nodes = 30
        p.width = 5
        let opaque = try Frontend.load(bytes: Array(ModelFamily.opaque.text(p, seed: 3, name: "g").utf8), path: "t")
        #expect(opaque.nodes.count == 30)
        #expect(opaque.nodes.allSatisfy { $0.op == .opaque })
    }
}
