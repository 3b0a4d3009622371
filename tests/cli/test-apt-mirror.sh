#!/bin/bash
# tests/apt-mirror.sh: the harness's package sources come from the
# machine's apt configuration (issue 24 item 4), read through a private
# APT_CONFIG so that this machine's own sources do not matter; and no
# registry host is written into the tree.
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/apt-mirror.sh"

# a private apt configuration: sources.list and sources.list.d in $TMP/apt
apt_conf() {
	rm -rf "$TMP/apt"
	mkdir -p "$TMP/apt/sources.list.d"
	printf 'Dir::Etc::sourcelist "%s";\nDir::Etc::sourceparts "%s";\n' \
		"$TMP/apt/sources.list" "$TMP/apt/sources.list.d" >"$TMP/apt/apt.conf"
	export APT_CONFIG=$TMP/apt/apt.conf APT_MIRROR_CODENAME=bookworm
	unset VFPT_APT_MIRROR VFPT_APT_SECURITY
}

test_deb822_mirror_among_other_repositories() {
	apt_conf
	cat >"$TMP/apt/sources.list.d/node.sources" <<-EOF2
	Types: deb
	URIs: https://node.example.org/node_20.x
	Suites: nodistro
	Components: main
	EOF2
	cat >"$TMP/apt/sources.list.d/debian.sources" <<-EOF2
	# a comment
	Types: deb deb-src
	URIs: http://mirror.example.net/debian/
	Suites: bookworm
	  bookworm-updates
	Components: main contrib

	Types: deb
	Enabled: no
	URIs: http://old.example.net/debian-security
	Suites: bookworm-security
	Components: main

	Types: deb
	URIs: http://mirror.example.net/debian-sec
	Suites: bookworm-security
	Components: main
	EOF2
	[ "$(apt_mirror)" = http://mirror.example.net/debian ] || fail "archive: $(apt_mirror 2>&1)"
	[ "$(apt_mirror security)" = http://mirror.example.net/debian-sec ] || fail "security: $(apt_mirror security 2>&1)"
}

test_one_line_sources_list() {
	apt_conf
	cat >"$TMP/apt/sources.list" <<-EOF2
	# deb http://commented.example.org/debian bookworm main
	deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://cloud.example.com/apt cloud-sdk-bookworm main
	deb [ arch=amd64 ] http://proxy.example.com:3142/debian bookworm-updates main
	deb http://proxy.example.com:3142/debian bookworm main
	EOF2
	[ "$(apt_mirror)" = http://proxy.example.com:3142/debian ] || fail "archive: $(apt_mirror 2>&1)"
	echo "deb http://list.example.org/debian-security bookworm-security main" >"$TMP/apt/sources.list.d/sec.list"
	echo "deb http://ignored.example.org/debian bookworm main" >"$TMP/apt/sources.list.d/x.list.disabled"
	[ "$(apt_mirror security)" = http://list.example.org/debian-security ] || fail "security: $(apt_mirror security 2>&1)"
	# a trixie machine's sources serve the bookworm images as well: one archive
	APT_MIRROR_CODENAME=trixie
	echo "deb http://trixie.example.org/debian trixie main" >>"$TMP/apt/sources.list"
	[ "$(apt_mirror)" = http://trixie.example.org/debian ] || fail "trixie: $(apt_mirror 2>&1)"
}

test_no_entry_is_a_clear_error_never_a_host() {
	apt_conf
	echo "deb https://node.example.org/node_20.x nodistro main" >"$TMP/apt/sources.list"
	expect_rc 1 apt_mirror
	[ -z "$OUT" ] || fail "printed a mirror: $OUT"
	[[ $ERR == "apt_mirror: apt's sources "*"name no Debian archive entry for bookworm: add one, or set VFPT_APT_MIRROR to its URI" ]] || fail "error: $ERR"
	expect_rc 1 apt_mirror security
	[[ $ERR == *"set VFPT_APT_SECURITY to its URI" ]] || fail "error: $ERR"
	VFPT_APT_MIRROR=http://set.example.org/debian/ expect_rc 0 apt_mirror
	[ "$OUT" = http://set.example.org/debian ] || fail "override: $OUT"
}

test_proxy_passed_on() {
	apt_conf
	[ -z "$(apt_proxy_opts)" ] || fail "no proxy: $(apt_proxy_opts)"
	printf 'Acquire::http::Proxy "http://cache.example.com:3142";\nAcquire::https::Proxy::dl.example.org "DIRECT";\n' >>"$APT_CONFIG"
	[ "$(apt_proxy_opts)" = 'Acquire::http::Proxy "http://cache.example.com:3142";
Acquire::https::Proxy::dl.example.org "DIRECT";' ] || fail "proxy: $(apt_proxy_opts)"
}

test_no_registry_host_in_the_tree() {
	local hits
	# the GRUB corpus holds distributions' files, data
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		hits=$(cd "$TOP" && git grep -n -I -e 'deb\.debian\.org' -- . ':!tests/grub/corpus')
	else # a release tarball: its files, not what a build left
		hits=$(cd "$TOP" && grep -rnI --exclude-dir=.git --exclude-dir='build*' --exclude-dir=corpus -e 'deb\.debian\.org' .)
	fi
	[ -z "$hits" ] || fail "a registry host in the tree: $hits"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
