# shellcheck shell=bash
# tests/vm/lib-arm64.sh: fetch Debian 12 arm64 packages on an amd64 host without changing the
# system's architectures: apt-get/apt-cache with APT::Architecture=arm64 and a private state,
# cache and sources list under $KD_CACHE/arm64-apt/. Source after lib.sh.
#
#   kd_arm64_apt ARGS...        apt-get with the private arm64 state
#   kd_arm64_cache ARGS...      apt-cache with the private arm64 state
#   kd_arm64_apt_setup          create the state folders and sources list; apt-get update
#                               when the lists are missing or older than a day
#   kd_arm64_fetch PKG          download PKG once, dpkg -x it; print the folder
#                               ($KD_CACHE/arm64-apt/pkg/PKG_VERSION); offline: the cached one
#   kd_arm64_root NAME WHAT PKG...  download PKGs once, dpkg -x them into one folder; print it
#   kd_arm64_sysroot            a folder with Debian's arm64 makedumpfile and crash and their
#                               libraries, for qemu-aarch64 -L DIR DIR/usr/bin/makedumpfile
#                               (package qemu-user); print it ($KD_CACHE/arm64-apt/sysroot)
#   kd_arm64_kexec_root         Debian's arm64 kexec-tools 2.0.25 and its (Xen) libraries;
#                               print the folder ($KD_CACHE/arm64-apt/kexec-root, sbin/kexec)
#   kd_arm64_kernel [META], kd_arm64_initramfs_init, kd_arm64_initramfs_add_bin,
#   kd_arm64_add_ext4_modules, kd_arm64_qemu_run:
#                               arm64 guests, see below (META: the kernel meta package, default
#                               linux-image-cloud-arm64; linux-image-6.12-arm64-16k for 16 KiB
#                               pages)

apt_root=$KD_CACHE/arm64-apt

kd_arm64_apt() {
	apt-get -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
		-o Dir::State::Lists="$apt_root/lists" -o Dir::Cache="$apt_root/cache" \
		-o Dir::Etc::SourceList="$apt_root/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::status=/dev/null -o APT::Sandbox::User=root "$@"
}

kd_arm64_cache() {
	apt-cache -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
		-o Dir::State::Lists="$apt_root/lists" -o Dir::Cache="$apt_root/cache" \
		-o Dir::Etc::SourceList="$apt_root/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::status=/dev/null "$@"
}

kd_arm64_apt_setup() {
	local s
	mkdir -p "$apt_root/lists/partial" "$apt_root/cache/archives/partial" "$apt_root/etc" \
		"$apt_root/pkg" || return 1
	if [ ! -s "$apt_root/etc/sources.list" ]; then
		for s in "debian bookworm" "debian bookworm-updates" "debian-security bookworm-security"; do
			echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/${s% *} ${s#* } main"
		done >"$apt_root/etc/sources.list"
	fi
	if [ -z "$(find "$apt_root/lists" -newermt '-1 day' -name '*Packages*' 2>/dev/null | head -1)" ]; then
		kd_log "apt-get update (arm64, private state)"
		kd_arm64_apt -q=2 update >/dev/null 2>&1 || kd_log "arm64 apt-get update failed; using the cache"
	fi
	return 0
}

kd_arm64_fetch() {
	local pkg=$1 ver out tmp
	ver=$(kd_arm64_cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { gsub(":", "_", $2); print $2 }')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		out=$(find "$apt_root/pkg" -maxdepth 1 -name "${pkg}_*" 2>/dev/null | sort | tail -1)
		[ -n "$out" ] || { kd_log "arm64 $pkg unknown to apt and not cached"; return 1; }
		echo "$out"
		return
	fi
	out=$apt_root/pkg/${pkg}_$ver
	if [ ! -e "$out/.done" ]; then
		kd_log "downloading arm64 $pkg $ver"
		tmp=$out.tmp
		rm -rf "$tmp" && mkdir -p "$tmp/deb" &&
			(cd "$tmp/deb" && kd_arm64_apt -q=2 download "$pkg" >/dev/null) &&
			dpkg -x "$tmp"/deb/*.deb "$tmp/root" || { rm -rf "$tmp"; return 1; }
		rm -rf "$out" && mv "$tmp/root" "$out" && rm -rf "$tmp" && touch "$out/.done"
	fi
	echo "$out"
}

# makedumpfile 1.7.2 and crash 8.0.2 (arm64 builds) with everything they link
KD_ARM64_TOOL_PKGS=(makedumpfile crash libc6 libdw1 libelf1 liblzo2-2 zlib1g libbz2-1.0 liblzma5
	libzstd1 libgcc-s1 libncursesw6 libsnappy1v5 libstdc++6 libtinfo6)

# kd_arm64_root NAME WHAT PKG...: download PKGs once and dpkg -x them all into one folder,
# $KD_CACHE/arm64-apt/NAME; print it (WHAT names them in the messages)
kd_arm64_root() {
	local root=$apt_root/$1 what=$2 tmp d
	shift 2
	if [ ! -e "$root/.done" ]; then
		kd_arm64_apt_setup || return 1
		kd_log "downloading $what"
		tmp=$root.tmp
		rm -rf "$tmp" && mkdir -p "$tmp/deb" &&
			(cd "$tmp/deb" && kd_arm64_apt -q=2 download "$@" >/dev/null) ||
			{ rm -rf "$tmp"; kd_log "cannot fetch $what"; return 1; }
		for d in "$tmp"/deb/*.deb; do
			dpkg -x "$d" "$tmp/root" || { rm -rf "$tmp"; return 1; }
		done
		rm -rf "$root" && mv "$tmp/root" "$root" && rm -rf "$tmp" && touch "$root/.done"
	fi
	echo "$root"
}

kd_arm64_sysroot() {
	kd_arm64_root sysroot "arm64 makedumpfile, crash and their libraries" "${KD_ARM64_TOOL_PKGS[@]}"
}

# --- arm64 guests (tests/e2e/run-arm64, tests/vm/make-vmcore-arm64) ---
#   kd_arm64_kernel             fetch Debian 12's arm64 cloud kernel (and arm64 busybox-static);
#                               set KD_A64_PKG, KD_A64_KREL, KD_A64_ROOT, KD_A64_VMLINUZ (an
#                               uncompressed Image), KD_A64_MODDIR, KD_A64_BUSYBOX
#   kd_arm64_initramfs_init DIR a busybox-static (arm64) root in DIR
#   kd_arm64_initramfs_add_bin DIR SRC DEST ROOT...
#                               copy an arm64 binary to DIR/DEST and, for a dynamic one, its
#                               interpreter and every library its NEEDED entries name
#                               (recursively), looked up in ROOT/{lib,usr/lib}/aarch64-linux-gnu
#                               and ROOT/{lib,usr/lib} (AArch64 files only; ldd cannot list them
#                               on an amd64 host). ROOT "/" finds the multiarch :arm64 packages,
#                               /usr/aarch64-linux-gnu the cross libc.
#   kd_arm64_qemu_run LOG TIMEOUT ARGS...
#                               qemu-system-aarch64 -machine virt, TCG, -cpu max,pauth-impdef=on,
#                               -nographic -no-reboot, serial console to LOG; 124 on timeout

kd_arm64_kernel() { # [META]: the kernel META depends on (default linux-image-cloud-arm64)
	local bbroot meta=${1:-linux-image-cloud-arm64} flavour
	flavour=${meta#linux-image-}
	flavour=${flavour#6.12-}
	kd_arm64_apt_setup || return 1
	KD_A64_PKG=$(kd_arm64_cache depends "$meta" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	[ -n "$KD_A64_PKG" ] || KD_A64_PKG=$(find "$apt_root/pkg" -maxdepth 1 -name "linux-image-*-${flavour}_*" |
		sort | tail -1 | xargs -r basename | sed 's/_.*//')
	[ -n "$KD_A64_PKG" ] || { kd_log "cannot find Debian's arm64 $flavour kernel package"; return 1; }
	KD_A64_KREL=${KD_A64_PKG#linux-image-}
	KD_A64_ROOT=$(kd_arm64_fetch "$KD_A64_PKG") || return 1
	bbroot=$(kd_arm64_fetch busybox-static) || return 1
	KD_A64_BUSYBOX=$bbroot/bin/busybox
	KD_A64_VMLINUZ=$KD_A64_ROOT/boot/vmlinuz-$KD_A64_KREL
	KD_A64_MODDIR=$KD_A64_ROOT/lib/modules/$KD_A64_KREL
	[ -d "$KD_A64_MODDIR" ] || KD_A64_MODDIR=$KD_A64_ROOT/usr/lib/modules/$KD_A64_KREL
	[ -s "$KD_A64_VMLINUZ" ] && [ -d "$KD_A64_MODDIR" ] && [ -x "$KD_A64_BUSYBOX" ] ||
		{ kd_log "no vmlinuz, modules or busybox in $KD_A64_ROOT"; return 1; }
}

kd_arm64_add_ext4_modules() { # DIR MODDIR: ext4 and what it needs, decompressed, after DIR's modules
	kd_initramfs_add_modules "$1" "$2" crc32c_generic crc16 mbcache jbd2 ext4 &&
		kd_initramfs_unxz_modules "$1"
}

kd_arm64_initramfs_init() {
	local dir=$1
	mkdir -p "$dir"/{bin,sbin,dev,proc,sys,tmp,mnt,run,lib,etc,root} &&
		cp "$KD_A64_BUSYBOX" "$dir/bin/busybox" && ln -sf busybox "$dir/bin/sh"
}

kd_arm64_find_lib() { # NAME ROOT... -> path
	local name=$1 r d
	shift
	for r in "$@"; do
		for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib; do
			# (a host root's lib/ holds amd64 libraries of the same name)
			[ -e "$r/$d/$name" ] && readelf -hW "$r/$d/$name" 2>/dev/null | grep -q 'Machine:.*AArch64' &&
				{ echo "$r/$d/$name"; return 0; }
		done
	done
	return 1
}

kd_arm64_initramfs_add_bin() {
	local dir=$1 src=$2 dest=$3 interp lib path
	shift 3
	mkdir -p "$dir/$(dirname "$dest")" "$dir/lib/aarch64-linux-gnu" && cp -L "$src" "$dir/$dest" || return 1
	interp=$(readelf -lW "$src" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] || return 0 # static
	if [ ! -e "$dir/$interp" ]; then
		path=$(kd_arm64_find_lib "$(basename "$interp")" "$@") ||
			{ kd_log "no $interp for $src"; return 1; }
		mkdir -p "$dir/$(dirname "$interp")" && cp -L "$path" "$dir/$interp" || return 1
	fi
	local todo=("$src") f
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$dir/lib/aarch64-linux-gnu/$lib" ] && continue
			[ "$lib" = "$(basename "$interp")" ] && continue
			path=$(kd_arm64_find_lib "$lib" "$@") || { kd_log "$src: no $lib in $*"; return 1; }
			cp -L "$path" "$dir/lib/aarch64-linux-gnu/$lib" || return 1
			todo+=("$path")
		done
	done
}

kd_arm64_qemu_run() {
	local log=$1 t=$2 rc
	shift 2
	timeout -k 10 "$t" qemu-system-aarch64 -machine virt -accel tcg -cpu max,pauth-impdef=on \
		-nographic -no-reboot -net none "$@" </dev/null >"$log" 2>&1
	rc=$?
	[ $rc -eq 124 ] && kd_log "qemu-system-aarch64 timed out after ${t}s (log: $log)"
	return $rc
}

# Debian's arm64 kexec-tools 2.0.25 and what it links (the Xen libraries), for reference runs;
# print the folder (sbin/kexec inside)
KD_ARM64_KEXEC_PKGS=(kexec-tools libxenmisc4.17 libxenstore4 libxentoolcore1 libxentoollog1
	libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxendevicemodel1 libxenhypfs1
	libyajl2 libext2fs2 libfdt1 libuuid1 libcom-err2)

kd_arm64_kexec_root() {
	kd_arm64_root kexec-root "arm64 kexec-tools and its libraries" "${KD_ARM64_KEXEC_PKGS[@]}"
}
