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
#   kd_arm64_sysroot            a folder with Debian's arm64 makedumpfile and crash and their
#                               libraries, for qemu-aarch64 -L DIR DIR/usr/bin/makedumpfile
#                               (package qemu-user); print it ($KD_CACHE/arm64-apt/sysroot)

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

kd_arm64_sysroot() {
	local root=$apt_root/sysroot tmp
	if [ ! -e "$root/.done" ]; then
		kd_arm64_apt_setup || return 1
		kd_log "downloading arm64 makedumpfile, crash and their libraries"
		tmp=$root.tmp
		rm -rf "$tmp" && mkdir -p "$tmp/deb" &&
			(cd "$tmp/deb" && kd_arm64_apt -q=2 download "${KD_ARM64_TOOL_PKGS[@]}" >/dev/null) ||
			{ rm -rf "$tmp"; kd_log "cannot fetch the arm64 tools"; return 1; }
		for d in "$tmp"/deb/*.deb; do
			dpkg -x "$d" "$tmp/root" || { rm -rf "$tmp"; return 1; }
		done
		rm -rf "$root" && mv "$tmp/root" "$root" && rm -rf "$tmp" && touch "$root/.done"
	fi
	echo "$root"
}
