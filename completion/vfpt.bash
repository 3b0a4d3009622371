# bash completion for vfpt(8)
_vfpt() {
	local cur prev words cword
	_init_completion || return
	local commands="check-config plan apply udev status metrics grub bootloader groups protected libvirt initramfs-hook version help"
	local global="--config --json --verbose --quiet --help --version"
	local cmd="" verb="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--config | -c) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ ($cmd == grub || $cmd == bootloader) && -z $verb ]]; then verb=${words[i]}; fi
			;;
		esac
	done
	case $prev in
	--config | -c | --file | --output)
		_filedir
		return
		;;
	esac
	case $cmd in
	"")
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$global" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		fi
		;;
	grub | bootloader)
		if [[ -z $verb ]]; then
			mapfile -t COMPREPLY < <(compgen -W "check apply" -- "$cur")
		elif [[ $verb == apply ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--file --no-update --json --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "--file --json --help" -- "$cur")
		fi
		;;
	apply) mapfile -t COMPREPLY < <(compgen -W "--early --late --json --help" -- "$cur") ;;
	protected) mapfile -t COMPREPLY < <(compgen -W "--save --json --help" -- "$cur") ;;
	metrics) mapfile -t COMPREPLY < <(compgen -W "--output --help" -- "$cur") ;;
	*) mapfile -t COMPREPLY < <(compgen -W "--json --help" -- "$cur") ;;
	esac
}
complete -F _vfpt vfpt
