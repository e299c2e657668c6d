# kd-guest.sh: functions for a test guest's /init (busybox sh), installed as /lib/kd-guest.sh by
# kd_initramfs_add_guestlib (tests/vm/lib.sh). Use:  . /lib/kd-guest.sh; kd_guest_setup
#   kd_msg MSG...                   print "KD: MSG" on the console (the serial log)
#   kd_guest_setup                  busybox applets, /proc /sys /dev, virtio modules from
#                                   /lib/modules/order
#   kd_guest_mount LABEL DIR [OPT]  wait for the disk labelled LABEL, mount it (ext4) on DIR
#   kd_guest_off                    sync and power off (QEMU exits)
#   kd_guest_fail MSG...            print "KD: FAIL: MSG", then power off

kd_msg() { echo "KD: $*"; }

kd_guest_setup() {
	/bin/busybox mkdir -p /usr/bin /usr/sbin /proc /sys /dev /tmp
	/bin/busybox --install -s
	export PATH=/sbin:/bin:/usr/sbin:/usr/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	for m in $(cat /lib/modules/order 2>/dev/null); do
		insmod "/lib/modules/$m" || kd_msg "insmod $m failed"
	done
}

kd_guest_mount() {
	kd_label=$1 kd_dir=$2 kd_opt=${3:-rw} kd_i=0 kd_dev=
	while [ $kd_i -lt 100 ]; do
		kd_dev=$(findfs "LABEL=$kd_label" 2>/dev/null) && break
		kd_i=$((kd_i + 1))
		sleep 0.2
	done
	[ -n "$kd_dev" ] || { kd_msg "no disk labelled $kd_label"; return 1; }
	mkdir -p "$kd_dir"
	mount -t ext4 -o "$kd_opt" "$kd_dev" "$kd_dir" || { kd_msg "cannot mount $kd_dev"; return 1; }
}

kd_guest_off() {
	sync
	kd_msg "power off"
	poweroff -f
	sleep 10
}

kd_guest_fail() {
	kd_msg "FAIL: $*"
	kd_guest_off
}
