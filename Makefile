# moegc — build, demo and test. `make demo` and `make test` work on a fresh Debian machine:
# they install the system packages the build needs when they are missing (as root, or with sudo).

SWIFT      ?= swift
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS   := libopenblas-dev libprotobuf-c-dev protobuf-c-compiler libmetis-dev libmpich-dev mpich pkg-config chromium
MOEGC      := .build/release/moegc

# OpenBLAS picks its slow generic kernel on CPUs it does not recognise unless OPENBLAS_CORETYPE is
# set before the process starts. `moegc` re-executes itself with the right core; the test runner
# cannot, so the core is chosen here from the CPU's flags (a user's own setting wins).
BLAS_CORE  := $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || (grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo Haswell))
ifneq ($(BLAS_CORE),)
export OPENBLAS_CORETYPE ?= $(BLAS_CORE)
endif

.PHONY: all deps build demo test report-check report-screenshots test-cores check-core test-tsan fuzz fuzz-build fuzz-seeds fuzz-plan fuzz-onnx replay clean

all: build

deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c release --product moegc

demo: build
	@echo "== moegc compile graphs/moe-4096-h.graph  (Shazeer et al. 2017, Table 7: 4303.4M params, 8.9M ops/timestep)"
	@$(MOEGC) compile graphs/moe-4096-h.graph
	@echo
	@echo "== moegc compile graphs/moe-131072-h.graph  (Table 8: the 137B-parameter model)"
	@$(MOEGC) compile graphs/moe-131072-h.graph
	@echo
	@echo "== moegc place graphs/switch-base-32.graph --cluster k40x16 --compare  (every heuristic placer, simulated)"
	@$(MOEGC) place graphs/switch-base-32.graph --cluster k40x16 --compare
	@echo
	@echo "== moegc compile graphs/switch-base-32.graph --cluster k40x16  (no --placer: the shipped learned policy, policies/moegc-default.policy)"
	@$(MOEGC) compile graphs/switch-base-32.graph --cluster k40x16
	@echo
	@echo "== moegc compile graphs/tiny-moe.graph --cluster cpu2 --placer expert-parallel -o tiny-moe.plan; moegc run tiny-moe.plan"
	@d=$$(mktemp -d); \
	  $(MOEGC) compile graphs/tiny-moe.graph --cluster cpu2 --placer expert-parallel -o $$d/tiny-moe.plan > /dev/null && \
	  $(MOEGC) run $$d/tiny-moe.plan --steps 5; status=$$?; rm -rf $$d; exit $$status

test: deps check-core
	$(SWIFT) test
	$(MAKE) report-check

# The placement report in headless Chromium (Tests/Report/browser_check.py): the tiny MoE (with a
# measured trace), the Switch transformer and the 137B model, each opened with no console message
# and its picture's device colours in the proportions the report drew (~30 s after the build).
report-check: build
	python3 Tests/Report/browser_check.py --moegc $(MOEGC)

# Regenerates docs/report-*.png, the top of each of the three reports (README "Placement report").
report-screenshots: build
	python3 Tests/Report/browser_check.py --moegc $(MOEGC) --screenshots docs

# A core whose instructions the CPU lacks (AVX-512 kernels on an AVX2 CPU) makes OpenBLAS stop the
# process with SIGILL at its first call; `moegc` refuses it with this message, and so does `make test`.
check-core:
	@core=$$(printf '%s' "$$OPENBLAS_CORETYPE" | tr 'A-Z' 'a-z'); need=""; \
	case "$$core" in skylakex|cooperlake|sapphirerapids) need=avx512f;; haswell|zen) need=avx2;; esac; \
	if [ -n "$$need" ] && ! grep -qw "$$need" /proc/cpuinfo; then \
	  echo "error: OPENBLAS_CORETYPE=$$OPENBLAS_CORETYPE needs $$need, which this CPU lacks: OpenBLAS would stop on an illegal instruction. Unset it$(if $(BLAS_CORE), or set OPENBLAS_CORETYPE=$(BLAS_CORE))." >&2; \
	  exit 1; fi

# The suite under every OpenBLAS core a user or a machine image may set and this CPU can run
# (unset; Haswell with a 512 KiB L2 as some images set it; SkylakeX; the generic Prescott).
test-cores: deps
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(SWIFT) test
	@if grep -qw avx2 /proc/cpuinfo; then echo "env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 swift test"; \
	  env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 $(SWIFT) test; fi
	@if grep -qw avx512f /proc/cpuinfo; then echo "env OPENBLAS_CORETYPE=SkylakeX swift test"; \
	  env OPENBLAS_CORETYPE=SkylakeX $(SWIFT) test; else echo "SkylakeX skipped: this CPU has no AVX-512"; fi
	env OPENBLAS_CORETYPE=Prescott $(SWIFT) test

# The runtime's multithreaded tests under ThreadSanitizer (its own build folder; ~2 min to build).
test-tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter 'RuntimeEquivalenceTests|PackedWeightTests'

# libFuzzer on every reader (Sources/Fuzz: graph, cluster, policy, json, plan, onnx), SECONDS seconds
# each, one after the other, from corpora seeded with Tests/Fuzz/seeds/<target>/ (committed) and,
# for graphs and ONNX, the tiny models and the ONNX fixtures, for plans one compiled model (the smallest: a
# bigger plan is graph text the graph target fuzzes, and slows every execution); prints each target's executions
# and the crashes found (inputs kept in fuzz/crashes/<target>/, logs in fuzz/<target>.log).
# `make fuzz TARGETS=graph SECONDS=60` runs one; `make fuzz-plan` is `make fuzz TARGETS=plan`, `make fuzz-onnx` `TARGETS=onnx`.
SECONDS ?= 60
TARGETS ?= graph cluster policy json plan onnx placement
FUZZER  := .build-fuzz/release/moegc-fuzz
fuzz-build:
	$(SWIFT) build -c release --scratch-path .build-fuzz --product moegc-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMOEGC_FUZZ

# Regenerates the binary seed of the policy target (Tests/Fuzz/seeds/policy/small.policy).
fuzz-seeds: fuzz-build
	$(FUZZER) seeds Tests/Fuzz/seeds

fuzz: build fuzz-build
	@for t in graph cluster policy json plan onnx placement; do mkdir -p fuzz/corpus/$$t fuzz/crashes/$$t; cp Tests/Fuzz/seeds/$$t/* fuzz/corpus/$$t/ 2>/dev/null || true; done
	@cp graphs/tiny-*.graph graphs/moe-4.graph fuzz/corpus/graph/
	@for m in Tests/MoegcONNXTests/Fixtures/*/model.onnx Tests/MoegcONNXTests/BadModels/*.onnx; do \
	  cp $$m fuzz/corpus/onnx/$$(echo $$m | tr / _); done
	@for c in Tests/MoegcONNXTests/Conformance/cases/test_[a-g]*; do cp $$c/model.onnx fuzz/corpus/onnx/$$(basename $$c).onnx; done
	@for g in graphs/tiny-switch.graph; do \
	  $(MOEGC) compile $$g --cluster cpu2 --placer round-robin -o fuzz/corpus/plan/$$(basename $$g .graph).plan >/dev/null; \
	  python3 .ci/plan_payload.py fuzz/corpus/plan/$$(basename $$g .graph).plan > fuzz/corpus/plan/$$(basename $$g .graph).payload; done
	@for t in $(TARGETS); do \
	  SWIFT_BACKTRACE=enable=no $(FUZZER) $$t -max_total_time=$(SECONDS) -max_len=4194304 -timeout=20 -rss_limit_mb=2560 \
	    -print_final_stats=1 -artifact_prefix=fuzz/crashes/$$t/ fuzz/corpus/$$t > fuzz/$$t.log 2>&1 || true; \
	  printf '%-8s executions %10s   crashes %s   (peak RSS %s MB)\n' $$t \
	    "$$(sed -n 's/^stat::number_of_executed_units: *//p' fuzz/$$t.log)" "$$(ls fuzz/crashes/$$t | wc -l)" \
	    "$$(sed -n 's/^stat::peak_rss_mb: *//p' fuzz/$$t.log)"; \
	done

fuzz-plan:
	$(MAKE) fuzz TARGETS=plan

fuzz-onnx:
	$(MAKE) fuzz TARGETS=onnx

# Process replay: every graph of graphs/ and graphs/eval/ through compile, place and run, compared
# with Tests/Replay/expected.txt (~5 min). A refactor keeps it identical; a change meant to change
# outputs re-records it with `make replay RECORD=1` and its diff shows what changed.
replay: build
	python3 Tests/Replay/replay.py $(if $(RECORD),--record)

clean:
	rm -rf .build
