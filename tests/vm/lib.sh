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
#   kd_initramfs_add_modules DIR MODDIR NAME...
#                                    copy more modules (in that order) and append them to
#                                    DIR/lib/modules/order; a module built in is skipped
#   kd_initramfs_add_guestlib DIR    copy tests/vm/guest.sh to DIR/lib/kd-guest.sh (functions
#                                    for /init: kd_guest_setup, kd_guest_mount LABEL DIR, kd_guest_off)
#   kd_build_initramfs DIR OUT       pack DIR as a gzip'd newc cpio archive OUT
#   kd_initramfs_unxz_modules DIR    decompress DIR/lib/modules/*.ko.xz (Debian 13 kernels)
#   kd_debian_mirror, kd_trixie_apt_config, kd_chroot_run
#                                    Debian 13 (trixie) packages and tools: see the end of the file
#   kd_qemu_run LOG TIMEOUT ARGS...  run QEMU (pc, TCG, -nographic, -no-reboot), serial console
#                                    to LOG; ARGS are e.g. -m 1G -smp 2 -kernel … -initrd … -append …
#                                    -drive …; returns QEMU's status, 124 on timeout
#   kd_qemu_boot NAME LOG MEM KERNEL INITRD APPEND
#                                    boot KERNEL + INITRD (-m MEM -smp 2, 600 s at most) with
#                                    "console=ttyS0 loglevel=1 panic=1 APPEND"; the serial log
#                                    without CRs in LOG (raw in LOG.raw); print
#                                    "# NAME: qemu status RC after Ns"; return QEMU's status
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
#   $KD_CACHE/trixie-apt/                     private apt configuration/lists for trixie
#   $KD_CACHE/trixie-root/                    Debian 13 root with crash, drgn (tests/vm/trixie-root)
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
		# Debian 12 packages put modules in /lib, Debian 13's (merged /usr) in /usr/lib
		if [ -d "$tmp/root/lib/modules" ]; then
			mv "$tmp/root/boot" "$tmp/root/lib" "$root/"
		else
			mv "$tmp/root/boot" "$root/" && mkdir -p "$root/lib" && mv "$tmp/root/usr/lib/modules" "$root/lib/"
		fi ||
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
	mkdir -p "$1/lib/modules" && : >"$1/lib/modules/order" &&
		kd_initramfs_add_modules "$1" "$2" "${KD_VIRTIO_MODULES[@]}"
}

kd_initramfs_add_modules() {
	local dir=$1 moddir=$2 m f
	shift 2
	for m in "$@"; do
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

kd_qemu_boot() {
	local name=$1 log=$2 mem=$3 kernel=$4 initrd=$5 append=$6 start=$SECONDS rc
	kd_qemu_run "$log.raw" 600 -m "$mem" -smp 2 -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=1 panic=1 $append"
	rc=$?
	tr -d '\r' <"$log.raw" >"$log"
	echo "# $name: qemu status $rc after $((SECONDS - start))s"
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

# --- Debian 13 (trixie) next to the system's Debian 12: its kernel packages and tools ---
# Functions:
#   kd_debian_mirror                 print the archive URI the system's apt uses for Debian
#                                    (default http://deb.debian.org/debian)
#   kd_trixie_apt_config             make (once) a private apt configuration for trixie (its own
#                                    sources list, lists and cache under $KD_CACHE/trixie-apt),
#                                    refresh its lists when older than a day, print its path; use:
#                                    APT_CONFIG=$(kd_trixie_apt_config) kd_fetch_kernel ...
#                                    (apt-get and apt-cache then see trixie only; nothing is
#                                    installed on the host)
#   kd_chroot_run ROOT CMD [ARG...]  run CMD inside the folder ROOT (e.g. tests/vm/trixie-root's)
#                                    in a private mount namespace: every ARG naming an existing
#                                    host file is bind-mounted (read-only) into ROOT/kd/ and
#                                    replaced by its path there; /proc and /dev are bound too.
#                                    Mounts vanish with the command. stdin/stdout pass through.

kd_debian_mirror() {
	local uri
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {
		for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
		/etc/apt/sources.list 2>/dev/null)
	echo "${uri:-http://deb.debian.org/debian}"
}

kd_trixie_apt_config() {
	local d=$KD_CACHE/trixie-apt
	kd_lock trixie-apt || return 1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" || { kd_unlock trixie-apt; return 1; }
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
		"$(kd_debian_mirror)" >"$d/sources.list"
	cat >"$d/apt.conf" <<-CONF
		Dir::Etc::SourceList "$d/sources.list";
		Dir::Etc::SourceParts "/dev/null";
		Dir::State::Lists "$d/lists";
		Dir::Cache "$d/cache";
		APT::Sandbox::User "root";
	CONF
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*_InRelease' -mmin -1440 2>/dev/null)" ]; then
		kd_log "apt-get update for trixie"
		APT_CONFIG=$d/apt.conf apt-get -q=2 update >/dev/null 2>"$d/update.log" ||
			# offline: stale lists still name the cached packages
			[ -n "$(find "$d/lists" -maxdepth 1 -name '*_InRelease')" ] ||
			{ kd_unlock trixie-apt; kd_log "apt-get update for trixie failed (see $d/update.log)"; return 1; }
	fi
	kd_unlock trixie-apt
	echo "$d/apt.conf"
}

kd_chroot_run() {
	local root=$1 a i=0 run
	shift
	[ -x "$root/bin/sh" ] || { kd_log "no root folder at $root"; return 1; }
	mkdir -p "$root/kd" && run=$(mktemp -d "$root/kd/run.XXXXXX") || return 1
	local -a args=() binds=()
	for a in "$@"; do
		if [[ $a == /* ]] && [ -f "$a" ]; then
			i=$((i + 1))
			: >"$run/$i-$(basename "$a")"
			binds+=("$a" "$run/$i-$(basename "$a")")
			args+=("/kd/${run##*/}/$i-$(basename "$a")")
		else
			args+=("$a")
		fi
	done
	# the inner shell binds, then chroots; the namespace (and its mounts) ends with it
	unshare --mount --propagation private /bin/sh -c '
		root=$1; shift; n=$1; shift
		mount --rbind /proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
		while [ "$n" -gt 0 ]; do
			mount --bind -o ro "$1" "$2" || exit 125
			shift 2; n=$((n - 2))
		done
		exec chroot "$root" "$@"' kd-chroot "$root" "${#binds[@]}" "${binds[@]}" "${args[@]}"
	local rc=$?
	rm -rf "$run"
	return $rc
}

# kd_initramfs_unxz_modules DIR: decompress the .ko.xz modules kd_initramfs_add_virtio copied
# (Debian 13's kernels ship them compressed; busybox insmod wants plain ones) and fix
# DIR/lib/modules/order. A no-op for plain modules.
kd_initramfs_unxz_modules() {
	local dir=$1 f
	for f in "$dir"/lib/modules/*.ko.xz; do
		[ -e "$f" ] || continue
		xz -d "$f" || { kd_log "cannot decompress $f"; return 1; }
	done
	[ ! -e "$dir/lib/modules/order" ] || sed -i 's/\.ko\.xz$/.ko/' "$dir/lib/modules/order"
}
