# shellcheck shell=bash
# The Debian archive this machine's apt is configured to use, for the
# harness's own downloads (tests/wholehost/base.sh: mmdebstrap of bookworm
# and trixie; tests/qemu/lib.sh: QEMU from bookworm-backports): a machine
# behind a mirror or a proxying cache runs the tests as they are, and no
# registry host is named in the tree. Sourced; defines functions only.
#
#   apt_mirror [security]   prints the URI of the Debian archive (or, with
#                           "security", of its security archive) from the
#                           sources apt reads (deb822 sources.list.d/*.sources
#                           and one-line sources.list, sources.list.d/*.list,
#                           as apt-config names them): the entry serving this
#                           machine's own release (VERSION_CODENAME of
#                           /etc/os-release, or APT_MIRROR_CODENAME), e.g.
#                           bookworm or bookworm-updates (bookworm-security).
#                           The same URI serves every suite of the archive
#                           (bookworm-backports, trixie). $VFPT_APT_MIRROR
#                           (and $VFPT_APT_SECURITY) override it. No entry:
#                           one line on stderr, status 1.

# _apt_sources: "URI SUITE" for every enabled deb entry apt reads
_apt_sources() {
	local list parts f
	eval "$(apt-config shell list Dir::Etc::sourcelist/f parts Dir::Etc::sourceparts/d)"
	{
		[ -f "$list" ] && cat "$list"
		for f in "$parts"*.list; do [ -f "$f" ] && cat "$f"; done
	} | sed -e 's/#.*//' -e 's/\[[^]]*\]//' | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
	for f in "$parts"*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas: fields (continued on indented lines), blank-line separated
		awk '
		function flush(   nu, ns, u, s, i, j) {
			if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
				nu = split(uris, u, " "); ns = split(suites, s, " ")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
			}
			types = uris = suites = enabled = ""; key = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ { if (key == "uris") uris = uris " " $0; else if (key == "suites") suites = suites " " $0; next }
		{
			key = tolower($0); sub(/:.*/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "enabled") enabled = val
		}
		END { flush() }' "$f"
	done
}

apt_mirror() {
	local want=${1:-archive} codename uri suite found=
	case $want in
	archive) [ -n "${VFPT_APT_MIRROR:-}" ] && { echo "${VFPT_APT_MIRROR%/}"; return 0; } ;;
	security) [ -n "${VFPT_APT_SECURITY:-}" ] && { echo "${VFPT_APT_SECURITY%/}"; return 0; } ;;
	*) echo "apt_mirror: unknown archive '$want' (archive, security)" >&2; return 2 ;;
	esac
	# shellcheck disable=SC1091 # the machine's
	codename=${APT_MIRROR_CODENAME:-$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")}
	if [ -z "$codename" ]; then
		echo "apt_mirror: no VERSION_CODENAME in /etc/os-release: set VFPT_APT_MIRROR to the Debian archive's URI" >&2
		return 1
	fi
	local sources
	sources=$(_apt_sources)
	while read -r uri suite; do
		case $want:$suite in
		archive:"$codename" | archive:"$codename"-updates | archive:"$codename"-backports | \
			security:"$codename"-security | security:"$codename"/updates)
			found=${uri%/}
			break
			;;
		esac
	done <<<"$sources"
	if [ -z "$found" ]; then
		local var=VFPT_APT_MIRROR
		[ "$want" = security ] && var=VFPT_APT_SECURITY
		echo "apt_mirror: apt's sources (apt-config: Dir::Etc::sourcelist, Dir::Etc::sourceparts) name no Debian $want entry for $codename: add one, or set $var to its URI" >&2
		return 1
	fi
	echo "$found"
}

# apt_proxy_opts: this machine's apt proxy settings (Acquire::http::Proxy,
# Acquire::https::Proxy and their per-host forms), one apt option a line,
# for a tool that reads apt options but not this machine's apt.conf
# (mmdebstrap: --aptopt)
apt_proxy_opts() {
	apt-config dump | grep -E '^Acquire::https?::Proxy' | grep -v ' "";$' || true
}
