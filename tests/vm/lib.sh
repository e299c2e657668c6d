# shellcheck shell=bash
# tests/vm/lib.sh: helpers to boot Debian's kernels under QEMU (TCG) and move files
# in and out of the guest. Source it from bash:  . tests/vm/lib.sh
#
# Settings (environment):
#   KDUMPKIT_CACHE      cache folder, default /var/cache/kdumpkit (outside the repository)
#   KDUMPKIT_NO_VM=1    callers should print "skip - ..." instead of booting (kd_vm_disabled)
#   KD_KERNEL_PKG       kernel package to use instead of the one linux-image-cloud-amd64 depends on
#   KD_QEMU             QEMU binary (default qemu-system-x86_64)
#   KD_VERBOSE=1        kd_log also shows the serial log path while QEMU runs
#
# Variables set on sourcing:
#   KD_CACHE            the cache folder (created)
#   KD_VM_DIR           the folder of this file (tests/vm)
#
# Functions (all print errors to stderr and return non-zero on failure):
#   kd_log MSG...                    print "vm: MSG" to stderr
#   kd_die MSG...                    kd_log, then exit 1
#   kd_vm_disabled                   true when KDUMPKIT_NO_VM=1
#   kd_lock NAME                     take an exclusive flock on $KD_CACHE/locks/NAME, held until the
#                                    calling shell exits (or kd_unlock NAME); waits for other holders
#   kd_unlock NAME                   release it
#   kd_kernel_pkg                    print the kernel package name (linux-image-6.1.0-NN-cloud-amd64)
#   kd_fetch_kernel [PKG]            download + extract the kernel package once; print two lines:
#                                    the vmlinuz path and the modules folder (…/lib/modules/KREL)
#   kd_kernel_root [PKG]             print the extracted package root ($KD_CACHE/kernel/PKG_VERSION)
#   kd_kernel_release [PKG]          print the kernel release (uname -r) of the package
#   kd_fetch_dbg [PKG]               download PKG-dbg once, keep only its vmlinux (debug info),
#                                    print its path ($KD_CACHE/kernel/PKG_VERSION/vmlinux-KREL)
#   kd_fetch_kexec                   download Debian's kexec-tools once, print the kexec binary path
#   kd_initramfs_init DIR            make a busybox-static root in DIR (bin/busybox, /bin/sh, dirs);
#                                    the guest /init should run "/bin/busybox --install -s" first
#   kd_initramfs_add_bin DIR SRC [DEST]
#                                    copy a binary to DIR/DEST (default bin/NAME); for a dynamic
#                                    one also the libraries ldd lists and the ELF interpreter
#   kd_initramfs_add_virtio DIR MODDIR
#                                    copy the virtio block modules to DIR/lib/modules, in load
#                                    order, and write DIR/lib/modules/order (one file name a line)
#   kd_initramfs_add_guestlib DIR    copy tests/vm/guest.sh to DIR/lib/kd-guest.sh (functions
#                                    for /init: kd_guest_setup, kd_guest_mount LABEL DIR, kd_guest_off)
#   kd_build_initramfs DIR OUT       pack DIR as a gzip'd newc cpio archive OUT
#   kd_qemu_run LOG TIMEOUT ARGS...  run QEMU (pc, TCG, -nographic, -no-reboot), serial console
#                                    to LOG; ARGS are e.g. -m 1G -smp 2 -kernel … -initrd … -append …
#                                    -drive …; returns QEMU's status, 124 on timeout
#   kd_qemu_disk_args IMG            print the -drive arguments for a raw virtio disk (one a line;
#                                    use: mapfile -t a < <(kd_qemu_disk_args out.img))
#   kd_disk_create IMG SIZE LABEL [SRCDIR]
#                                    make a sparse ext4 image with that label (optionally filled
#                                    from SRCDIR)
#   kd_disk_get IMG GUESTPATH HOSTFILE
#                                    copy one file out of an ext4 image without mounting it
#                                    (debugfs dump), then punch holes in its zero blocks
#   kd_disk_has IMG GUESTPATH        true if the file exists in the image
#
# Cache layout:
#   $KD_CACHE/kernel/PKG_VERSION/{boot,lib}   extracted kernel package
#   $KD_CACHE/kernel/PKG_VERSION/vmlinux-KREL vmlinux with debug info (from PKG-dbg)
#   $KD_CACHE/kexec-tools_VERSION/sbin/kexec  Debian's kexec
#   $KD_CACHE/vmcore-NAME/                    fixtures made by tests/vm/make-vmcore
#   $KD_CACHE/locks/                          flock files

KD_CACHE=${KDUMPKIT_CACHE:-/var/cache/kdumpkit}
KD_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$KD_CACHE/locks" || return 1
declare -gA KD_LOCK_FDS=()

kd_log() { printf 'vm: %s\n' "$*" >&2; }
kd_die() { kd_log "$@"; exit 1; }
kd_vm_disabled() { [ "${KDUMPKIT_NO_VM:-0}" = 1 ]; }

kd_lock() {
	local name=$1 fd
	[ -z "${KD_LOCK_FDS[$name]:-}" ] || return 0
	exec {fd}>"$KD_CACHE/locks/$name"
	if ! flock -n "$fd"; then
		kd_log "waiting for lock $name"
		flock "$fd" || return 1
	fi
	KD_LOCK_FDS[$name]=$fd
}

kd_unlock() {
	local name=$1 fd=${KD_LOCK_FDS[$1]:-}
	[ -n "$fd" ] || return 0
	exec {fd}>&-
	unset "KD_LOCK_FDS[$name]"
}

# apt-get download into the current folder, quietly, without the _apt sandbox warning.
kd_apt_download() {
	apt-get -q=2 -o APT::Sandbox::User=root download "$@" >/dev/null
}

kd_pkg_version() { # PKG -> candidate version
	# an epoch's ":" is replaced by "_" so the version can go in paths
	apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { gsub(":", "_", $2); print $2 }'
}

kd_kernel_pkg() {
	if [ -n "${KD_KERNEL_PKG:-}" ]; then
		echo "$KD_KERNEL_PKG"
		return
	fi
	local p
	p=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	[ -n "$p" ] || { kd_log "cannot find the package linux-image-cloud-amd64 depends on"; return 1; }
	echo "$p"
}

kd_kernel_root() {
	local pkg=${1:-} ver
	[ -n "$pkg" ] || pkg=$(kd_kernel_pkg) || return 1
	ver=$(kd_pkg_version "$pkg")
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		# offline or unknown to apt: use whatever version is cached
		local d
		d=$(find "$KD_CACHE/kernel" -maxdepth 1 -name "${pkg}_*" 2>/dev/null | sort | tail -1)
		[ -n "$d" ] || { kd_log "no version of $pkg known to apt or cached"; return 1; }
		echo "$d"
		return
	fi
	echo "$KD_CACHE/kernel/${pkg}_${ver}"
}

kd_kernel_release() {
	local pkg=${1:-}
	[ -n "$pkg" ] || pkg=$(kd_kernel_pkg) || return 1
	echo "${pkg#linux-image-}"
}

kd_fetch_kernel() {
	local pkg=${1:-} root krel tmp
	[ -n "$pkg" ] || pkg=$(kd_kernel_pkg) || return 1
	root=$(kd_kernel_root "$pkg") || return 1
	krel=$(kd_kernel_release "$pkg")
	kd_lock "kernel-$pkg" || return 1
	if [ ! -e "$root/.done" ]; then
		kd_log "downloading $pkg"
		tmp="$root.tmp"
		rm -rf "$tmp" && mkdir -p "$tmp/deb" &&
			(cd "$tmp/deb" && kd_apt_download "$pkg") &&
			dpkg -x "$tmp"/deb/*.deb "$tmp/root" || { kd_unlock "kernel-$pkg"; kd_log "cannot fetch $pkg"; return 1; }
		mkdir -p "$root"
		mv "$tmp/root/boot" "$tmp/root/lib" "$root/" 2>/dev/null ||
			{ mv "$tmp/root/boot" "$root/" && mkdir -p "$root/lib" && mv "$tmp/root/usr/lib/modules" "$root/lib/"; } ||
			{ kd_unlock "kernel-$pkg"; return 1; }
		rm -rf "$tmp"
		touch "$root/.done"
	fi
	kd_unlock "kernel-$pkg"
	echo "$root/boot/vmlinuz-$krel"
	echo "$root/lib/modules/$krel"
}

kd_fetch_dbg() {
	local pkg=${1:-} root krel tmp out
	[ -n "$pkg" ] || pkg=$(kd_kernel_pkg) || return 1
	root=$(kd_kernel_root "$pkg") || return 1
	krel=$(kd_kernel_release "$pkg")
	out="$root/vmlinux-$krel"
	kd_lock "dbg-$pkg" || return 1
	if [ ! -s "$out" ]; then
		kd_log "downloading $pkg-dbg (about 280 MB)"
		tmp="$root.dbg.tmp"
		rm -rf "$tmp" && mkdir -p "$tmp" "$root" &&
			(cd "$tmp" && kd_apt_download "$pkg-dbg") &&
			dpkg-deb --fsys-tarfile "$tmp"/*.deb |
			tar -xO "./usr/lib/debug/boot/vmlinux-$krel" >"$out.part" &&
			[ -s "$out.part" ] && mv "$out.part" "$out" ||
			{ rm -rf "$tmp" "$out.part"; kd_unlock "dbg-$pkg"; kd_log "cannot fetch $pkg-dbg"; return 1; }
		rm -rf "$tmp"
	fi
	kd_unlock "dbg-$pkg"
	echo "$out"
}

kd_fetch_kexec() {
	local ver root tmp
	ver=$(kd_pkg_version kexec-tools)
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		root=$(find "$KD_CACHE" -maxdepth 1 -name 'kexec-tools_*' | sort | tail -1)
	else
		root="$KD_CACHE/kexec-tools_$ver"
	fi
	[ -n "$root" ] || { kd_log "kexec-tools unknown to apt and not cached"; return 1; }
	kd_lock kexec-tools || return 1
	if [ ! -x "$root/sbin/kexec" ]; then
		kd_log "downloading kexec-tools"
		tmp="$root.tmp"
		rm -rf "$tmp" && mkdir -p "$tmp/deb" &&
			(cd "$tmp/deb" && kd_apt_download kexec-tools) &&
			dpkg -x "$tmp"/deb/*.deb "$tmp/root" &&
			mkdir -p "$root/sbin" &&
			cp "$(find "$tmp/root" -path '*sbin/kexec' | head -1)" "$root/sbin/kexec" ||
			{ rm -rf "$tmp"; kd_unlock kexec-tools; kd_log "cannot fetch kexec-tools"; return 1; }
		rm -rf "$tmp"
	fi
	kd_unlock kexec-tools
	echo "$root/sbin/kexec"
}

kd_initramfs_init() {
	local dir=$1 bb
	bb=$(command -v busybox) || { kd_log "busybox-static is not installed"; return 1; }
	if ldd "$bb" >/dev/null 2>&1; then
		[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 && bb=/bin/busybox ||
			{ kd_log "$bb is not static (install busybox-static)"; return 1; }
	fi
	mkdir -p "$dir"/{bin,sbin,dev,proc,sys,tmp,mnt,run,lib,lib64,etc,root} &&
		cp "$bb" "$dir/bin/busybox" &&
		ln -sf busybox "$dir/bin/sh"
}

kd_initramfs_add_bin() {
	local dir=$1 src=$2 dest=${3:-bin/$(basename "$2")} lib interp
	mkdir -p "$dir/$(dirname "$dest")" && cp -L "$src" "$dir/$dest" || return 1
	# ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the interpreter
	ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			mkdir -p "$dir/$(dirname "$lib")" && cp -L "$lib" "$dir/$lib" || exit 1
		done || return 1
	interp=$(readelf -lW "$src" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$dir/$interp" ]; then
		mkdir -p "$dir/$(dirname "$interp")" && cp -L "$interp" "$dir/$interp" || return 1
	fi
}

KD_VIRTIO_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk)

kd_initramfs_add_virtio() {
	local dir=$1 moddir=$2 m f
	mkdir -p "$dir/lib/modules" && : >"$dir/lib/modules/order" || return 1
	for m in "${KD_VIRTIO_MODULES[@]}"; do
		f=$(find "$moddir/kernel" -name "$m.ko*" | head -1)
		if [ -z "$f" ]; then
			# built in (modules.builtin) is fine, missing is not
			grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null && continue
			kd_log "module $m not found in $moddir"
			return 1
		fi
		cp "$f" "$dir/lib/modules/" && basename "$f" >>"$dir/lib/modules/order" || return 1
	done
}

kd_initramfs_add_guestlib() {
	mkdir -p "$1/lib" && cp "$KD_VM_DIR/guest.sh" "$1/lib/kd-guest.sh"
}

kd_build_initramfs() {
	local dir=$1 out=$2
	(cd "$dir" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.part" && mv "$out.part" "$out"
}

kd_qemu_run() {
	local log=$1 t=$2 rc
	shift 2
	[ "${KD_VERBOSE:-0}" = 1 ] && kd_log "qemu: serial log $log (timeout ${t}s)"
	timeout -k 10 "$t" "${KD_QEMU:-qemu-system-x86_64}" -machine pc -accel tcg \
		-nographic -no-reboot -net none "$@" </dev/null >"$log" 2>&1
	rc=$?
	[ $rc -eq 124 ] && kd_log "qemu timed out after ${t}s (log: $log)"
	return $rc
}

kd_qemu_disk_args() {
	echo -drive
	echo "file=$1,format=raw,if=virtio,cache=unsafe,discard=unmap,detect-zeroes=unmap"
}

kd_disk_create() {
	local img=$1 size=$2 label=$3 src=${4:-}
	rm -f "$img" && truncate -s "$size" "$img" || return 1
	# no lazy init: it would write the inode tables in the guest in the background
	mkfs.ext4 -q -F -L "$label" -E lazy_itable_init=0,lazy_journal_init=0,nodiscard \
		${src:+-d "$src"} "$img" || { kd_log "mkfs.ext4 failed on $img"; return 1; }
}

kd_disk_has() {
	debugfs -R "stat $2" "$1" 2>/dev/null | grep -q '^Inode:'
}

kd_disk_get() {
	local img=$1 path=$2 out=$3
	kd_disk_has "$img" "$path" || { kd_log "$path is not in $img"; return 1; }
	rm -f "$out"
	debugfs -R "dump -p $path $out" "$img" >/dev/null 2>&1 && [ -e "$out" ] ||
		{ kd_log "debugfs cannot dump $path from $img"; return 1; }
	fallocate -d "$out" 2>/dev/null || true
}
