# kdumpkit: one top-level GNU Makefile for every module, program and test.
#   make            build vmcore-save and kdump-load into build/
#   make test       build (plain and ASan+UBSan) and run every test
#   make asan       build with ASan+UBSan into build-asan/ and run the tests there
#   make install    PREFIX=/usr/local DESTDIR=
#   make check-deps forbidden-symbol checks (filters/ does no I/O, purgatory links nothing)

CC ?= gcc
PKG_CONFIG ?= pkg-config
PKGS := zlib lzo2 libzstd libelf libdw
# Cross build: make CROSS=aarch64-linux-gnu- builds for arm64 into build-arm64/ with the
# Debian cross compiler and the multiarch -dev libraries (scripts/setup-deps installs both).
CROSS ?=
ifneq ($(CROSS),)
CC := $(CROSS)gcc
AR := $(CROSS)ar
CROSS_TRIPLET := $(patsubst %-,%,$(CROSS))
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLET)/pkgconfig:/usr/share/pkgconfig pkg-config
endif
# the architecture built for: x86_64 or arm64 (selects purgatory/arch/ and its flags)
KD_ARCH := $(if $(filter aarch64%,$(shell $(CC) -dumpmachine 2>/dev/null)),arm64,x86_64)
ifneq ($(CROSS),)
BUILD ?= build-$(KD_ARCH)
endif
BUILD ?= build
SANITIZE ?=
WERROR ?= 1
PREFIX ?= /usr/local
DESTDIR ?=

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# lzo2's pkg-config file adds -I.../lzo, but we include <lzo/lzo1x.h>
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ifeq ($(strip $(PKG_LIBS)),)
PKG_LIBS := -lz -llzo2 -lzstd -ldw -lelf
endif

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wformat-security \
	-Wstrict-prototypes -Wold-style-definition -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wwrite-strings -Wundef \
	-Wimplicit-fallthrough -Wlogical-op -Wduplicated-cond -fno-common
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. $(PKG_CFLAGS) $(WARN) $(OPT) -pthread $(CFLAGS)
ALL_LDFLAGS := -pthread $(LDFLAGS)
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif
LIBS := $(PKG_LIBS) -lm

# Modules: every .c in a module folder is part of it; main.c files are programs.
FORMATS_SRC := $(wildcard formats/*.c)
FILTERS_SRC := $(wildcard filters/*.c filters/arch/*/*.c)
COLLECTOR_SRC := $(filter-out collector/main.c,$(wildcard collector/*.c))
LOADER_SRC := $(filter-out loader/main.c,$(wildcard loader/*.c loader/arch/*/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
FORMATS_LIB := $(BUILD)/lib/libformats.a
FILTERS_LIB := $(BUILD)/lib/libfilters.a
COLLECTOR_LIB := $(BUILD)/lib/libcollector.a
LOADER_LIB := $(BUILD)/lib/libloader.a
MODULE_LIBS := $(COLLECTOR_LIB) $(LOADER_LIB) $(FILTERS_LIB) $(FORMATS_LIB)

# purgatory/: freestanding code run between the kernels, for KD_ARCH. Its own flags (never
# the sanitizers), linked into one relocatable object, then embedded in libloader.a as
# the bytes ldr_purgatory_blob..ldr_purgatory_blob_end (an .incbin object).
# loader/sha256.c is shared: it is freestanding-clean and compiled here a second time.
PURGATORY_CFLAGS_COMMON := -std=gnu11 -I. -DKD_PURGATORY $(WARN) -Wstack-usage=2048 -Os \
	-ffreestanding -fno-builtin -nostdlib -fno-stack-protector -fno-PIC -fno-PIE
PURGATORY_CFLAGS_x86_64 := -mcmodel=large -mno-sse -mno-mmx -mno-sse2 -mno-avx -mno-red-zone \
	-fno-zero-initialized-in-bss -fno-asynchronous-unwind-tables -fcf-protection=none
# arm64: MMU off, so all data accesses are Device memory: no unaligned access, no SIMD
PURGATORY_CFLAGS_arm64 := -mcmodel=large -mgeneral-regs-only -mstrict-align \
	-mbranch-protection=none -fno-zero-initialized-in-bss -fno-asynchronous-unwind-tables \
	-fno-unwind-tables
PURGATORY_CFLAGS := $(PURGATORY_CFLAGS_COMMON) $(PURGATORY_CFLAGS_$(KD_ARCH))
purgatory_src = $(wildcard purgatory/*.c purgatory/arch/$(1)/*.c purgatory/arch/$(1)/*.S) loader/sha256.c
PURGATORY_SRC := $(call purgatory_src,$(KD_ARCH))
PURGATORY_OBJ := $(patsubst %,$(BUILD)/purgatory/obj/%.o,$(PURGATORY_SRC))
PURGATORY_RO := $(BUILD)/purgatory/purgatory.ro
PURGATORY_BLOB := $(BUILD)/purgatory/purgatory-blob.o

PROGRAMS := $(BUILD)/vmcore-save
ifneq ($(wildcard loader/main.c),)
PROGRAMS += $(BUILD)/kdump-load
endif

UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Test helpers built against system libraries (libkdumpfile), never the sanitizer runtime.
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: all test asan check install check-deps clean unit tools check-crash
# keep every object (no "rm" of intermediates after the tests' closing line)
.SECONDARY:
all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(FORMATS_LIB): $(call obj,$(FORMATS_SRC))
$(FILTERS_LIB): $(call obj,$(FILTERS_SRC))
$(COLLECTOR_LIB): $(call obj,$(COLLECTOR_SRC))
$(LOADER_LIB): $(call obj,$(LOADER_SRC)) $(PURGATORY_BLOB)

# purgatory rules (variables are with the modules above)

$(BUILD)/purgatory/obj/%.o: %
	@mkdir -p $(dir $@)
	$(CC) $(PURGATORY_CFLAGS) -MMD -MP -c -o $@ $<

$(PURGATORY_RO): $(PURGATORY_OBJ)
	$(CC) $(PURGATORY_CFLAGS) -nostdlib -nostartfiles -r -e purgatory_start \
		-Wl,-Map=$(BUILD)/purgatory/purgatory.map -o $@ $^
	@undef=$$(nm -u $@); [ -z "$$undef" ] || { echo "purgatory: undefined symbols: $$undef"; rm -f $@; exit 1; }

$(PURGATORY_BLOB): $(PURGATORY_RO)
	printf '\t.section .rodata\n\t.balign 16\n\t.globl ldr_purgatory_blob, ldr_purgatory_blob_end\nldr_purgatory_blob:\n\t.incbin "%s"\nldr_purgatory_blob_end:\n\t.section .note.GNU-stack,"",@progbits\n' $< >$(@:.o=.S)
	$(CC) -c -o $@ $(@:.o=.S)

# The arm64 purgatory for the x86_64 build's unit tests (relocation and arm64 kexec_load
# plans on the host), when Debian's aarch64 cross compiler is installed.
ifeq ($(KD_ARCH),x86_64)
PURGATORY_ARM64_CC := $(shell command -v aarch64-linux-gnu-gcc 2>/dev/null)
ifneq ($(PURGATORY_ARM64_CC),)
PURGATORY_ARM64_RO := $(BUILD)/purgatory-arm64/purgatory.ro
unit: $(PURGATORY_ARM64_RO)
$(BUILD)/purgatory-arm64/obj/%.o: %
	@mkdir -p $(dir $@)
	$(PURGATORY_ARM64_CC) $(PURGATORY_CFLAGS_COMMON) $(PURGATORY_CFLAGS_arm64) -MMD -MP -c -o $@ $<
$(PURGATORY_ARM64_RO): $(patsubst %,$(BUILD)/purgatory-arm64/obj/%.o,$(call purgatory_src,arm64))
	$(PURGATORY_ARM64_CC) $(PURGATORY_CFLAGS_COMMON) $(PURGATORY_CFLAGS_arm64) -nostdlib \
		-nostartfiles -r -e purgatory_start -o $@ $^
	@undef=$$(nm -u $@); [ -z "$$undef" ] || { echo "purgatory: undefined symbols: $$undef"; rm -f $@; exit 1; }
endif
endif

$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/vmcore-save: $(call obj,collector/main.c) $(COLLECTOR_LIB) $(FILTERS_LIB) $(FORMATS_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/kdump-load: $(call obj,loader/main.c) $(LOADER_LIB) $(FORMATS_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(MODULE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tools/%: tests/tools/%.c $(FORMATS_LIB)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) $(WARN) -O2 -g -o $@ $< $(FORMATS_LIB) -lkdumpfile -laddrxlat $(PKG_LIBS)

unit: $(UNIT_BINS)
tools: $(TOOL_BINS)

test: all unit tools
	$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=address,undefined OPT="-O1 -g" all unit
	tests/run $(BUILD) build-asan

asan:
	$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=address,undefined OPT="-O1 -g" all unit
	$(MAKE) --no-print-directory tools
	tests/run build-asan

check: test

check-deps: $(FILTERS_LIB) $(PURGATORY_RO)
	scripts/check-deps $(FILTERS_LIB) $(PURGATORY_RO)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/sbin/
	for m in doc/*.8; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man8/; done; true

clean:
	rm -rf build build-asan build-arm64

-include $(shell find $(BUILD)/obj $(BUILD)/purgatory $(BUILD)/purgatory-arm64 -name '*.d' 2>/dev/null)

# Open fresh vmcore-save outputs of the real 6.1 fixture with the crash utility (every codec).
check-crash: all tools
	KD_CRASH_ALL=1 BUILD=$(BUILD) bash tests/integration/20-save-real.sh

# ---------------------------------------------------------------------------------------
# Fuzzing (tests/fuzz/): libFuzzer targets built with clang, ASan and UBSan into
# build-fuzz/. The module sources are compiled again with clang (the warning set above is
# gcc's, so the fuzz build uses its own). `make fuzz FUZZ_SECONDS=60` builds every target,
# replays tests/fuzz/regressions/ and runs each target for FUZZ_SECONDS on seeds made from
# the real files (tests/fuzz/mkseeds); any crash, leak, timeout or sanitizer report fails.
#   make fuzz-build              just the binaries
#   make fuzz FUZZ_TARGETS="fuzz-flat fuzz-iomem" FUZZ_SECONDS=600
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_WARN := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare

.PHONY: fuzz fuzz-build fuzz-bins
fuzz: all fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

fuzz-build:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) WARN="$(FUZZ_WARN)" \
		SANITIZE=address,undefined OPT="-O1 -g" CFLAGS="-fsanitize=fuzzer-no-link" \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-bins

# Inside the recursive make (BUILD=build-fuzz): the loader's objects without the purgatory
# blob (no fuzz target needs kexec), as an archive so only what a target uses is linked.
FUZZ_LOADER_LIB := $(BUILD)/lib/libloader-fuzz.a
$(FUZZ_LOADER_LIB): $(call obj,$(LOADER_SRC))
.PRECIOUS: $(BUILD)/obj/tests/fuzz/%.o
fuzz-bins: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/fuzz-%: $(call obj,tests/fuzz/fuzz-%.c) $(COLLECTOR_LIB) $(FUZZ_LOADER_LIB) \
		$(FILTERS_LIB) $(FORMATS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# ---------------------------------------------------------------------------------------
# The crash service (scripts/): kdumpctl, mkinitramfs-kdump, the example configuration
# (installed once: an existing /etc/kdumpkit.conf is kept) and the systemd unit.
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
.PHONY: install-scripts
install: install-scripts
install-scripts:
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 755 scripts/kdumpctl scripts/mkinitramfs-kdump $(DESTDIR)$(PREFIX)/sbin/
	[ -e $(DESTDIR)$(SYSCONFDIR)/kdumpkit.conf ] || \
		install -m 644 scripts/kdumpkit.conf $(DESTDIR)$(SYSCONFDIR)/kdumpkit.conf
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|g' scripts/kdump.service >$(DESTDIR)$(SYSTEMDUNITDIR)/kdump.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/kdump.service
