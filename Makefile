# moegc — build, demo and test. `make demo` and `make test` work on a fresh Debian machine:
# they install the system packages the build needs when they are missing (as root, or with sudo).

SWIFT      ?= swift
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS   := libopenblas-dev libprotobuf-c-dev protobuf-c-compiler libmetis-dev pkg-config
MOEGC      := .build/release/moegc

# OpenBLAS picks its slow generic kernel on CPUs it does not recognise unless OPENBLAS_CORETYPE is
# set before the process starts. `moegc` re-executes itself with the right core; the test runner
# cannot, so the core is chosen here from the CPU's flags (a user's own setting wins).
BLAS_CORE  := $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || (grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo Haswell))
ifneq ($(BLAS_CORE),)
export OPENBLAS_CORETYPE ?= $(BLAS_CORE)
endif

.PHONY: all deps build demo test test-cores check-core test-tsan fuzz-plan fuzz-onnx replay clean

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

# libFuzzer on the plan reader for SECONDS seconds, from a corpus seeded with valid plans of the tiny
# models; prints the executions and the crashes found (inputs kept in fuzz/crashes/).
SECONDS ?= 60
FUZZER  := .build-fuzz/release/moegc-fuzz-plan
fuzz-plan: build
	$(SWIFT) build -c release --scratch-path .build-fuzz --product moegc-fuzz-plan \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMOEGC_FUZZ
	@mkdir -p fuzz/corpus fuzz/crashes
	@for g in graphs/tiny-*.graph; do \
	  $(MOEGC) compile $$g --cluster cpu2 --placer round-robin -o fuzz/corpus/$$(basename $$g .graph).plan >/dev/null; \
	  python3 .ci/plan_payload.py fuzz/corpus/$$(basename $$g .graph).plan > fuzz/corpus/$$(basename $$g .graph).payload; done
	@SWIFT_BACKTRACE=enable=no $(FUZZER) -max_total_time=$(SECONDS) -print_final_stats=1 \
	  -artifact_prefix=fuzz/crashes/ fuzz/corpus 2> fuzz/last-run.log || true
	@grep -E "stat::number_of_executed_units|stat::peak_rss_mb" fuzz/last-run.log
	@echo "crashes found: $$(ls fuzz/crashes | wc -l) (fuzz/crashes/, log fuzz/last-run.log)"

# libFuzzer on the ONNX reader (decode and import) for SECONDS seconds, from a corpus seeded with the
# committed ONNX fixtures and conformance models (inputs that crash are kept in fuzz/onnx-crashes/).
ONNX_FUZZER := .build-fuzz/release/moegc-fuzz-onnx
fuzz-onnx: deps
	$(SWIFT) build -c release --scratch-path .build-fuzz --product moegc-fuzz-onnx \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMOEGC_FUZZ
	@mkdir -p fuzz/onnx-corpus fuzz/onnx-crashes
	@for m in Tests/MoegcONNXTests/Fixtures/*/model.onnx Tests/MoegcONNXTests/BadModels/*.onnx; do \
	  cp $$m fuzz/onnx-corpus/$$(echo $$m | tr / _); done
	@for c in Tests/MoegcONNXTests/Conformance/cases/test_[a-g]*; do cp $$c/model.onnx fuzz/onnx-corpus/$$(basename $$c).onnx; done
	@SWIFT_BACKTRACE=enable=no $(ONNX_FUZZER) -max_total_time=$(SECONDS) -print_final_stats=1 -rss_limit_mb=4096 \
	  -artifact_prefix=fuzz/onnx-crashes/ fuzz/onnx-corpus 2> fuzz/onnx-last-run.log || true
	@grep -E "stat::number_of_executed_units|stat::peak_rss_mb" fuzz/onnx-last-run.log
	@echo "crashes found: $$(ls fuzz/onnx-crashes | wc -l) (fuzz/onnx-crashes/, log fuzz/onnx-last-run.log)"

# Process replay: every graph of graphs/ and graphs/eval/ through compile, place and run, compared
# with Tests/Replay/expected.txt (~5 min). A refactor keeps it identical; a change meant to change
# outputs re-records it with `make replay RECORD=1` and its diff shows what changed.
replay: build
	python3 Tests/Replay/replay.py $(if $(RECORD),--record)

clean:
	rm -rf .build
