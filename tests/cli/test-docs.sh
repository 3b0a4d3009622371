#!/bin/bash
# Every command the binary knows (vfpt --help) is documented where a user
# looks for it: vfpt(8)'s COMMANDS, README's command table, the contract's
# command line, and the bash completion offers it. Every [vfio] key the
# config parser knows is in vfpt.conf(5).
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

commands() { # the commands of vfpt --help, one a line
	"$VFPT" --help | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}'
}

test_help_lists_commands() {
	local n
	n=$(commands | wc -l)
	[ "$n" -ge 10 ] || fail "vfpt --help lists $n commands: $("$VFPT" --help)"
}

test_man_page_has_every_command() {
	local out c
	out=$(MANWIDTH=200 man -l "$TOP/man/vfpt.8" 2>/dev/null | col -b |
		awk '/^COMMANDS/ {on = 1; next} /^[A-Z]/ {on = 0} on')
	for c in $(commands); do
		[ "$c" = help ] && continue
		grep -qE "^       $c( |$)" <<<"$out" || fail "vfpt(8) COMMANDS lacks $c"
	done
}

test_readme_and_contract_list_every_command() {
	local c
	for c in $(commands); do
		grep -qE "^\| \`$c( [^\`]*)?\`|, \`$c( [^\`]*)?\`" "$TOP/README.md" || fail "README's command table lacks $c"
		[ "$c" = help ] && continue
		awk '/^## Command line/ {on = 1} on && /^```$/ {n++; if (n == 2) exit} on' "$TOP/docs/contract.md" |
			grep -qE "^  $c( |$)" || fail "the contract's command line lacks $c"
	done
}

test_completion_offers_every_command() {
	local out c
	out=$(bash -c '
		_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
		_filedir() { COMPREPLY=(FILE); }
		. "$1"
		c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vfpt; echo "${COMPREPLY[*]}"; }
		c vfpt ""; c vfpt apply --; c vfpt protected --' sh "$TOP/completion/vfpt.bash")
	for c in $(commands); do
		grep -qw -- "$c" <<<"$(head -1 <<<"$out")" || fail "completion lacks $c: $(head -1 <<<"$out")"
	done
	grep -qw -- --late <<<"$(sed -n 2p <<<"$out")" || fail "apply --late not completed: $out"
	grep -qw -- --save <<<"$(sed -n 3p <<<"$out")" || fail "protected --save not completed: $out"
}

test_conf_page_has_every_vfio_key() {
	local out keys k
	out=$(MANWIDTH=200 man -l "$TOP/man/vfpt.conf.5" 2>/dev/null | col -b | awk '/^   \[vfio\]/ {on = 1; next} /^   [^ ]/ {on = 0} on')
	# the parser's own list, as its error for an unknown key names it
	keys=$(perl -0777 -ne 's/"\s*\n\s*"//g; print $1 if /in \[vfio\] \(known: ([^)]*)\)/' "$TOP/agent/config.c" | tr -d ,)
	[ -n "$keys" ] || fail "no key list in agent/config.c"
	for k in $keys; do
		grep -qE "^       ([a-z_]+, )*$k( =.*| [A-Z].*| {2,}.*|,.*)?$" <<<"$out" || fail "vfpt.conf(5) has no entry for [vfio] $k"
	done
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
