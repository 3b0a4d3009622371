#!/bin/bash
# Issue 28: installing from source enables the boot units or says so.
# `make install` prints the systemctl enable line naming units it installed
# (and enables nothing itself); `make install-enable` enables them in
# DESTDIR (systemctl --root); the metrics timer ships disabled; the
# kickstart example enables the units; the metrics units verify.
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
UNITS=usr/lib/systemd/system

test_install_prints_the_enable_line() {
	expect_rc 0 make -s -C "$TOP" install DESTDIR="$TMP/d" PREFIX=/usr SYSCONFDIR=/etc
	local line u
	line=$(grep -x "  systemctl --root=$TMP/d enable vfpt.service vfpt-late.service" <<<"$OUT") ||
		fail "no enable line in: $OUT"
	[[ $OUT == *"make install-enable"* ]] || fail "install-enable not mentioned: $OUT"
	[[ $OUT == *"systemctl enable --now vfpt-metrics.timer"* ]] || fail "metrics timer not mentioned: $OUT"
	# every unit the line names is installed and can be enabled
	for u in ${line##*enable }; do
		grep -q '^\[Install\]' "$TMP/d/$UNITS/$u" || fail "$u: not installed or no [Install]"
	done
	[ ! -e "$TMP/d/etc/systemd" ] || fail "make install enabled something: $(find "$TMP/d/etc/systemd")"
	for u in vfpt-metrics.service vfpt-metrics.timer; do
		[ -e "$TMP/d/$UNITS/$u" ] || fail "$u not installed"
	done
	grep -qx 'ExecStart=/usr/sbin/vfpt --quiet metrics --output /var/lib/prometheus/node-exporter/vfpt.prom' \
		"$TMP/d/$UNITS/vfpt-metrics.service" || fail "metrics unit's command"
	# the examples' subdirectories come along
	[ -e "$TMP/d/usr/share/doc/vfpt/examples/prometheus/vfpt-alerts.yml" ] || fail "alert rules not installed"
	[ -e "$TMP/d/usr/share/doc/vfpt/examples/kickstart-post.ks" ] || fail "kickstart example not installed"
}

test_install_enable_links_the_units() {
	command -v systemctl >/dev/null || { fail "systemctl missing"; return; }
	expect_rc 0 make -s -C "$TOP" install-enable DESTDIR="$TMP/e" PREFIX=/usr SYSCONFDIR=/etc
	local w="$TMP/e/etc/systemd/system/multi-user.target.wants"
	[ "$(readlink "$w/vfpt.service")" = /usr/lib/systemd/system/vfpt.service ] || fail "vfpt.service: $(ls -l "$w")"
	[ "$(readlink "$w/vfpt-late.service")" = /usr/lib/systemd/system/vfpt-late.service ] ||
		fail "vfpt-late.service: $(ls -l "$w")"
	expect_rc 0 systemctl --root="$TMP/e" is-enabled vfpt.service
	# shipped disabled
	expect_rc 1 systemctl --root="$TMP/e" is-enabled vfpt-metrics.timer
	[ "$OUT" = disabled ] || fail "vfpt-metrics.timer: $OUT"
	[ ! -e "$TMP/e/etc/systemd/system/timers.target.wants/vfpt-metrics.timer" ] || fail "metrics timer enabled"
}

test_kickstart_example_enables_the_units() {
	grep -qx 'systemctl enable vfpt.service vfpt-late.service' "$TOP/examples/kickstart-post.ks" ||
		fail "kickstart example does not enable the units"
}

test_metrics_units_verify() {
	command -v systemd-analyze >/dev/null || { fail "systemd-analyze missing"; return; }
	# under a prefix whose binary and man pages exist: ExecStart= and Documentation= checked for real
	expect_rc 0 make -s -C "$TOP" install DESTDIR= PREFIX="$TMP/sv/usr" SYSCONFDIR="$TMP/sv/etc"
	MANPATH=$TMP/sv/usr/share/man expect_rc 0 systemd-analyze verify \
		"$TMP/sv/$UNITS/vfpt-metrics.service" "$TMP/sv/$UNITS/vfpt-metrics.timer"
	[ -z "$ERR" ] || fail "systemd-analyze: $ERR"
}

test_completion_knows_metrics() {
	local out
	out=$(bash -c '
		_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
		_filedir() { COMPREPLY=(FILE); }
		. "$1"
		c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vfpt; echo "${COMPREPLY[*]}"; }
		c vfpt met; c vfpt metrics --o; c vfpt metrics --output ""' sh "$TOP/completion/vfpt.bash")
	[ "$out" = "metrics
--output
FILE" ] || fail "completion: $out"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
