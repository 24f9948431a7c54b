import MoegcKernels
import Testing

/// A /proc/cpuinfo excerpt with the given flags line (two processors, as the kernel prints them).
private func cpuinfo(flags: String) -> String {
    """
    processor\t: 0
    vendor_id\t: GenuineIntel
    model name\t: Test CPU
    flags\t\t: \(flags)
    bugs\t\t: spectre_v1

    processor\t: 1
    vendor_id\t: GenuineIntel
    flags\t\t: \(flags)

    """
}

private let sse = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov sse sse2 ssse3 sse4_1 sse4_2"

@Suite struct BLASCoreDetectionTests {
    @Test func avx512MachineGetsSkylakeX() {
        let text = cpuinfo(flags: sse + " avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl")
        #expect(BLAS.bestCore(cpuinfo: text) == "SkylakeX")
    }

    @Test func avx512WithoutVLFallsBackToHaswell() {
        // Knights Landing has avx512f but not avx512bw/dq/vl: the SkylakeX kernels need all four.
        let text = cpuinfo(flags: sse + " avx avx2 fma avx512f avx512cd avx512er avx512pf")
        #expect(BLAS.bestCore(cpuinfo: text) == "Haswell")
    }

    @Test func avx2MachineGetsHaswell() {
        #expect(BLAS.bestCore(cpuinfo: cpuinfo(flags: sse + " avx avx2 fma bmi1 bmi2")) == "Haswell")
    }

    @Test func avx2WithoutFMAGetsNothing() {
        #expect(BLAS.bestCore(cpuinfo: cpuinfo(flags: sse + " avx avx2")) == nil)
    }

    @Test func oldOrUnreadableCPUsGetNothing() {
        #expect(BLAS.bestCore(cpuinfo: cpuinfo(flags: sse + " avx")) == nil)
        #expect(BLAS.bestCore(cpuinfo: "processor\t: 0\nmodel name\t: ARM\nFeatures\t: fp asimd\n") == nil)
        #expect(BLAS.bestCore(cpuinfo: "") == nil)
    }

    @Test func flagNamesMustMatchWholeWords() {
        // "avx512fx" and "xavx2" are not avx512f / avx2.
        #expect(BLAS.bestCore(cpuinfo: cpuinfo(flags: "sse2 xavx2 fmax avx512fx avx512bw avx512dq avx512vl")) == nil)
    }

    @Test func flagsLineParsesIntoASet() throws {
        let flags = try #require(BLAS.cpuFlags(cpuinfo: cpuinfo(flags: "sse sse2\tavx2  fma")))
        #expect(flags == ["sse", "sse2", "avx2", "fma"])
    }

    @Test func coreTiers() {
        #expect(BLAS.coreTier("SkylakeX") == 2)
        #expect(BLAS.coreTier("Cooperlake") == 2)
        #expect(BLAS.coreTier("skylakex") == 2)
        #expect(BLAS.coreTier("Haswell") == 1)
        #expect(BLAS.coreTier("Zen") == 1)
        #expect(BLAS.coreTier("Prescott") == 0)
        #expect(BLAS.coreTier("Sandybridge") == 0)
    }
}

@Suite struct BLASReexecDecisionTests {
    @Test func slowCoreWithBetterSupportReexecs() {
        let d = BLAS.reexecDecision(coreTypeSetting: nil, guardSetting: nil, currentCore: "Prescott", bestCore: "SkylakeX")
        #expect(d == .reexec(core: "SkylakeX"))
    }

    @Test func guardVariablePreventsALoop() {
        // Even if the re-executed process is still slow (the variable was ignored), never again.
        let d = BLAS.reexecDecision(coreTypeSetting: "SkylakeX", guardSetting: "1", currentCore: "Prescott", bestCore: "SkylakeX")
        #expect(d == .alreadyReexecuted)
    }

    @Test func userSettingIsRespected() {
        let d = BLAS.reexecDecision(coreTypeSetting: "Haswell", guardSetting: nil, currentCore: "Haswell", bestCore: "SkylakeX")
        #expect(d == .userChoseCore("Haswell"))
        let empty = BLAS.reexecDecision(coreTypeSetting: "", guardSetting: nil, currentCore: "Prescott", bestCore: "Haswell")
        #expect(empty == .reexec(core: "Haswell"))
    }

    @Test func userCoreTheCPUCannotRunIsAnError() {
        // AVX-512 kernels on an AVX2 CPU, AVX2 kernels on a CPU with neither: OpenBLAS would die
        // with SIGILL at its first call, so the decision says so and is never overridden.
        let avx512 = BLAS.reexecDecision(coreTypeSetting: "SkylakeX", guardSetting: nil, currentCore: "SkylakeX", bestCore: "Haswell")
        #expect(avx512 == .userChoseUnrunnableCore("SkylakeX", best: "Haswell"))
        let avx2 = BLAS.reexecDecision(coreTypeSetting: "Haswell", guardSetting: nil, currentCore: "Haswell", bestCore: nil)
        #expect(avx2 == .userChoseUnrunnableCore("Haswell", best: nil))
        let message = BLAS.ReexecOutcome.notNeeded(avx512).error ?? ""
        #expect(message.contains("OPENBLAS_CORETYPE=SkylakeX") && message.contains("AVX-512")
                && message.contains("set OPENBLAS_CORETYPE=Haswell"))
        // The generic cores run anywhere, and a core the CPU has is the user's to choose.
        #expect(BLAS.reexecDecision(coreTypeSetting: "Prescott", guardSetting: nil, currentCore: "Prescott", bestCore: nil)
                == .userChoseCore("Prescott"))
        #expect(BLAS.reexecDecision(coreTypeSetting: "Haswell", guardSetting: nil, currentCore: "Haswell", bestCore: "SkylakeX")
                == .userChoseCore("Haswell"))
        #expect(BLAS.ReexecOutcome.notNeeded(.userChoseCore("Haswell")).error == nil)
    }

    @Test func fastCoreOfTheSameTierNeedsNothing() {
        let d = BLAS.reexecDecision(coreTypeSetting: nil, guardSetting: nil, currentCore: "Cooperlake", bestCore: "SkylakeX")
        #expect(d == .alreadyFast)
    }

    @Test func noBetterCoreNeedsNothing() {
        let d = BLAS.reexecDecision(coreTypeSetting: nil, guardSetting: nil, currentCore: "Prescott", bestCore: nil)
        #expect(d == .noBetterCore)
    }

    @Test func warningsOnlyForFailures() {
        #expect(BLAS.ReexecOutcome.notNeeded(.alreadyFast).warning == nil)
        let failed = BLAS.ReexecOutcome.failed(core: "SkylakeX", errno: 2).warning ?? ""
        #expect(failed.contains("OPENBLAS_CORETYPE=SkylakeX"))
    }
}

/// The test process itself runs on whatever core its environment chose (`make test` keeps a
/// user's or an image's OPENBLAS_CORETYPE, and picks the CPU's best core only when none is set), so
/// nothing here asserts which core that is: what `moegc` does with each setting is checked on the
/// binary (`BLASCoreCLITests`), and the kernels' results on every core by running the suite under
/// each (`make test-cores`).
@Suite struct BLASRuntimeTests {
    @Test func reexecReturnsWhenNothingToDo() {
        // Only safe to call when the decision is not a re-execution (which would replace the test
        // process); that case is covered by the pure decision tests above and the CLI tests.
        let decision = BLAS.currentReexecDecision
        if case .reexec = decision { return }
        #expect(BLAS.reexecWithFastCoreIfNeeded(arguments: ["moegc-test"]) == .notNeeded(decision))
    }

    @Test func summaryNamesVersionAndCore() {
        let line = BLAS.summary
        #expect(line.hasPrefix("OpenBLAS \(BLAS.version ?? "?") core \(BLAS.coreName)"))
        #expect(BLAS.version?.split(separator: ".").count == 3)
    }

    @Test func singleThreaded() {
        BLAS.setSingleThreaded()
        #expect(BLAS.threadCount == 1)
    }
}
