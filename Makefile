# rnnsweep — build, set-up, tests, benchmarks.  See README.md.
#
#   make            build bin/rnnsweep and every test binary
#   make deps       install missing Debian packages (apt-get; sudo when not root)
#   make run        deps + build + default dataset + default run (+ results/quick.html)
#   make test       deps + build + every test suite (exit non-zero on any failure)
#   make test-slurm the job scripts on a one-node Slurm started for the test
#   make asan       the test suites under AddressSanitizer + UBSan
#   make fuzz       libFuzzer harnesses (clang, ASan + UBSan) of the config
#                   loader, the price-file loader and the journal reader:
#                   replay their seeds, then fuzz each FUZZ_SECONDS (60)
#   make bench      throughput benchmarks (see bench/README.md)
#   make data       fetch the default dataset into data/ (npm pack, sha256 checked)
#   make clean
#
# Sources are found by wildcard: worker/*.c, coordinator/*.c, cluster/*.c,
# tests/test_*.c (one CUnit binary each), bench/bench_*.c.  A test whose name
# ends in _dbl links the double-precision build of the worker (gradient checks).

SHELL     := /bin/bash
.DEFAULT_GOAL := all

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
LIBDIR    := /usr/lib/$(MULTIARCH)
BLASDIR   := $(LIBDIR)/openblas-openmp
H5DIR     := $(LIBDIR)/hdf5/openmpi

CC        := mpicc
BUILD     ?= build
BIN       ?= bin
OPT       ?= -O2
SAN       ?=
CPPFLAGS  := -I. -I/usr/include/iniparser -I/usr/include/hdf5/openmpi \
             -I/usr/include/$(MULTIARCH)/openblas-openmp -D_GNU_SOURCE
# -fno-trapping-math lets GCC if-convert the clamps in the fused gate loops
# so they vectorise; it changes no IEEE result (unlike -ffast-math, which we
# refuse: NaN checks must keep working).  -fno-math-errno lets sqrt
# vectorise (Adam's update, worker/train.c): errno is never read after a
# math call here, and no IEEE result changes.
CFLAGS    := -std=c11 $(OPT) -g -Wall -Wextra -fno-trapping-math -fno-math-errno -fopenmp $(SAN) $(EXTRA_CFLAGS)
LDFLAGS   := -fopenmp $(SAN) -L$(BLASDIR) -Wl,-rpath,$(BLASDIR) -L$(H5DIR) -Wl,-rpath,$(H5DIR)
LDLIBS    := -lhdf5 -liniparser -lcunit -lopenblas -lz -lm

WORKER_SRC := $(wildcard worker/*.c)
COORD_SRC  := $(wildcard coordinator/*.c)
CLUSTER_SRC:= $(wildcard cluster/*.c)
TEST_SRC   := $(wildcard tests/test_*.c)
BENCH_SRC  := $(wildcard bench/bench_*.c)

WORKER_LIB := $(BUILD)/libworker.a
WORKER_DBL := $(BUILD)/dbl/libworker.a
COORD_LIB  := $(BUILD)/libcoord.a
CLUSTER_OBJ:= $(CLUSTER_SRC:%.c=$(BUILD)/%.o)
TESTS      := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%) $(BUILD)/tests/test_kern_emu512
BENCHES    := $(filter-out $(BUILD)/bench/bench_onednn,$(BENCH_SRC:bench/%.c=$(BUILD)/bench/%))

# Every object depends on every header: the project is small and a stale
# object after a struct change costs more than a rebuild.
HEADERS    := $(wildcard worker/*.h coordinator/*.h cluster/*.h tests/*.h)

.PHONY: all deps run test test-run test-slurm asan fuzz fuzz-deps bench bench-deps data clean
all: $(BIN)/rnnsweep $(TESTS) $(BENCHES)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/dbl/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DRS_DOUBLE $(CFLAGS) -c $< -o $@

$(WORKER_LIB): $(WORKER_SRC:%.c=$(BUILD)/%.o)
	@rm -f $@; ar rcs $@ $^

$(WORKER_DBL): $(WORKER_SRC:%.c=$(BUILD)/dbl/%.o)
	@rm -f $@; ar rcs $@ $^

$(COORD_LIB): $(COORD_SRC:%.c=$(BUILD)/%.o)
	@rm -f $@; ar rcs $@ $^

$(BIN)/rnnsweep: $(CLUSTER_OBJ) $(COORD_LIB) $(WORKER_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%_dbl: $(BUILD)/dbl/tests/%_dbl.o $(WORKER_DBL)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# test_kern once more with worker/kern.c built -DKERN_EMU512: the AVX-512
# driver runs, emulated, on CPUs without AVX-512 (kern.h, kern_emulated).
# Its kern.o comes first, so the linker takes no kern.o from the archive.
# Always -O2, also under `make asan`'s -O1: the driver is checked as the
# product compiles it.
$(BUILD)/emu/worker/kern.o: worker/kern.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DKERN_EMU512 $(CFLAGS) -O2 -c $< -o $@

$(BUILD)/tests/test_kern_emu512: $(BUILD)/tests/test_kern.o $(BUILD)/emu/worker/kern.o $(COORD_LIB) $(WORKER_LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(COORD_LIB) $(WORKER_LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(COORD_LIB) $(WORKER_LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The scheduler benchmark drives the real protocol of cluster/sched.c.
$(BUILD)/bench/bench_sched: $(BUILD)/bench/bench_sched.o $(BUILD)/cluster/sched.o $(COORD_LIB) $(WORKER_LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# oneDNN's comparison benchmark builds only when libdnnl-dev is installed.
$(BUILD)/bench/bench_onednn: bench/bench_onednn.c $(WORKER_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $^ -ldnnl $(LDLIBS) -o $@

# Provenance: the commit the binary is built from, "-dirty" when the tree
# has uncommitted changes, empty outside a git tree (worker/version.h).
# Only cmd_run.o sees it; a stamp file rewritten when the value changes
# rebuilds that one object.
GIT_COMMIT := $(shell git rev-parse --verify -q HEAD 2>/dev/null)
ifneq ($(GIT_COMMIT),)
GIT_COMMIT := $(GIT_COMMIT)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
endif
GIT_STAMP  := $(BUILD)/git-commit
$(shell mkdir -p $(BUILD); [ -f $(GIT_STAMP) ] && [ "$$(cat $(GIT_STAMP))" = "$(GIT_COMMIT)" ] || echo "$(GIT_COMMIT)" > $(GIT_STAMP))
$(BUILD)/cluster/cmd_run.o: $(GIT_STAMP)
$(BUILD)/cluster/cmd_run.o: CPPFLAGS += -DRS_GIT_COMMIT='"$(GIT_COMMIT)"'

.PRECIOUS: $(BUILD)/%.o $(BUILD)/dbl/%.o

# ---- set-up ----------------------------------------------------------------
DEB_PKGS := openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools \
            libopenblas-openmp-dev libiniparser-dev libcunit1-dev zlib1g-dev \
            python3-h5py python3-pandas chromium
BENCH_PKGS := python3-torch libdnnl-dev bc
FUZZ_PKGS  := clang libclang-rt-dev

deps:
	@PKGS="$(DEB_PKGS)" bash .ci/deps.sh

bench-deps:
	@PKGS="$(DEB_PKGS) $(BENCH_PKGS)" bash .ci/deps.sh

fuzz-deps:
	@PKGS="$(DEB_PKGS) $(FUZZ_PKGS)" bash .ci/deps.sh

# The default dataset: S&P 500 daily 2000-2020 from the npm package
# vega-datasets@3.2.1 (BSD-3-Clause), verified by sha256.
SP500     := data/sp500-2000.csv

data: $(SP500)
$(SP500):
	@bash .ci/fetch_sp500.sh $@

# ---- the two commands ------------------------------------------------------
# The default sweep on every local core: one rank per core plus the
# coordinator, which sleeps between messages (so -np cores+1 oversubscribes
# nothing that matters), one OpenMP thread per rank (ranks beat threads for
# small RNNs: bench/README.md).  --resume makes a second `make run` reuse
# every finished task.
NP        ?= $(shell echo $$(( $$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) + 1 )))
MPIRUN    ?= mpirun --oversubscribe --bind-to none
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1

run: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory data
	OMP_NUM_THREADS=1 $(MPIRUN) -np $(NP) $(BIN)/rnnsweep run configs/quick.ini --resume
	$(BIN)/rnnsweep show results/quick.h5 --top 10 --by model
	$(BIN)/rnnsweep report results/quick.h5 --html results/quick.html

# The default dataset is fetched when it can be (the S&P 500 suite needs it);
# without npm or network that suite prints SKIP and the rest still runs.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory data || echo "make test: default dataset unavailable; its test will SKIP"
	@$(MAKE) --no-print-directory test-run

# The job scripts on a real one-node Slurm (cluster/local/up.sh installs and
# starts it, tests/slurm.sh stops it): about 30 s.  .ci/run runs it
# after `make test`.
test-slurm: deps
	@$(MAKE) --no-print-directory all
	@BIN=$(BIN) bash tests/slurm.sh

test-run: $(TESTS)
	@BUILD=$(BUILD) BIN=$(BIN) bash tests/run.sh $(TESTS)

# MPI runs under ASan: Open MPI's dlclose'd plugins leave unresolvable leak
# frames, so the sweep tests preload tests/nodlclose.c and suppress the MPI
# libraries' one-off allocations by name (tests/lsan.supp).
asan: deps
	@mkdir -p build/asan
	gcc -shared -fPIC -O2 -Wall -Wextra tests/nodlclose.c -o build/asan/libnodlclose.so
	@RS_ASAN_PRELOAD="$$(gcc -print-file-name=libasan.so) $(CURDIR)/build/asan/libnodlclose.so" \
	    $(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/bin OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	    all test-run

# libFuzzer needs clang; the harnesses link only what they exercise (the
# config loader, the series loader, the journal reader and what those call:
# no MPI, no HDF5, no BLAS), built again with clang's coverage and the
# sanitizers.  tests/fuzz/run.sh makes the seeds and runs every harness.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra $(FUZZ_SAN)
FUZZ_LIBSRC  := worker/util.c worker/series.c worker/features.c worker/strategy.c worker/folds.c \
                worker/task.c worker/motormap.c coordinator/config.c coordinator/journal.c
FUZZ_OBJ     := $(FUZZ_LIBSRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))
.PRECIOUS: $(FUZZ_BUILD)/obj/%.o

$(FUZZ_BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ) $(HEADERS)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) -liniparser -lz -lm -o $@

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(BIN)/rnnsweep $(FUZZERS)
	@FUZZ_BUILD=$(FUZZ_BUILD) BIN=$(BIN) bash tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: bench-deps
	@$(MAKE) --no-print-directory all
	@-$(MAKE) --no-print-directory $(BUILD)/bench/bench_onednn
	@BUILD=$(BUILD) bash bench/run.sh

clean:
	rm -rf build bin
