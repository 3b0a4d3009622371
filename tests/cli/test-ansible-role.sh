#!/bin/bash
# Issue 28: the Ansible role (examples/ansible/roles/vfpt) and its playbook,
# quickly: the playbook parses (ansible-playbook --syntax-check), ansible-lint
# passes when it is installed, and the drop-in template renders host and
# group variables into a config vfpt accepts (check-config on a fixture
# host). The real runs, twice against an installed image, are the
# whole-host test test_ansible_example.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fixture/host.sh"
export VFPT_LOG_TARGET=console
TOP=$(cd "$(dirname "$0")/../.." && pwd)
EX=$TOP/examples/ansible
export ANSIBLE_HOME=$TMP/ansible ANSIBLE_LOCAL_TEMP=$TMP/ansible/tmp ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0

test_playbook_parses() {
	command -v ansible-playbook >/dev/null || { fail "ansible-playbook missing"; return; }
	printf '[kvm_hosts]\nh1 ansible_connection=local\n' >"$TMP/hosts"
	expect_rc 0 ansible-playbook -i "$TMP/hosts" --syntax-check "$EX/site.yml"
	if command -v ansible-lint >/dev/null; then
		(cd "$EX" && expect_rc 0 ansible-lint site.yml roles/vfpt) || fail "ansible-lint: $OUT $ERR"
	else
		echo "# ansible-lint not installed: not run"
	fi
}

# the template rendered by Ansible's own template lookup, once for each
# VARS_FILE (one ansible-playbook run: its start-up is the cost): OUT_i
render() { # VARS_FILE OUT [VARS_FILE OUT]...
	: >"$TMP/render.yml"
	while [ $# -gt 0 ]; do
		cat >>"$TMP/render.yml" <<-YML
		- hosts: localhost
		  gather_facts: false
		  vars_files: [$1]
		  tasks:
		    - ansible.builtin.copy:
		        content: "{{ lookup('ansible.builtin.template', '$EX/roles/vfpt/templates/vfpt.conf.j2') }}"
		        dest: $2
		        mode: "0644"
		YML
		shift 2
	done
	ansible-playbook -i localhost, -c local "$TMP/render.yml" >"$TMP/render.log" 2>&1 || fail "render: $(tail -5 "$TMP/render.log")"
}

test_dropin_template_renders_a_valid_config() {
	command -v ansible-playbook >/dev/null || { fail "ansible-playbook missing"; return; }
	# a host of the group; one with its own variables (a list, a boolean);
	# the same with the PCI addresses unquoted
	cat >"$TMP/host.yml" <<-'YML'
	vfpt_config:
	  global: {patch_grub: false, iommu_group: strict}
	  "sriov 0000:3b:00.0": {num_vfs: 2}
	  vfio: {devices: ["0000:08:00.0", "0000:08:00.1"]}
	YML
	sed 's/"0000:08:00.\(.\)"/0000:08:00.\1/g' "$TMP/host.yml" >"$TMP/unquoted.yml"
	render "$EX/group_vars/kvm_hosts.yml" "$TMP/group.conf" "$TMP/host.yml" "$TMP/host.conf" \
		"$TMP/unquoted.yml" "$TMP/unquoted.conf"
	[ "$(cat "$TMP/group.conf")" = "# Ansible managed: from vfpt_config (the vfpt role)

[sriov 0000:3b:00.1]
num_vfs = 16
vf_driver = vfio-pci" ] || fail "group drop-in: $(cat "$TMP/group.conf")"
	[ "$(cat "$TMP/host.conf")" = "# Ansible managed: from vfpt_config (the vfpt role)

[global]
patch_grub = no
iommu_group = strict

[sriov 0000:3b:00.0]
num_vfs = 2

[vfio]
devices = 0000:08:00.0 0000:08:00.1" ] || fail "host drop-in: $(cat "$TMP/host.conf")"
	# what the role's validate runs, on a host that has those devices
	fx_init "$TMP/fx"
	fx_driver vfio-pci
	fx_dev 0000:3b:00.0 8086:1521 driver=igb group=10 totalvfs=7 class=0x020000
	fx_dev 0000:08:00.0 10de:1db6 driver=nouveau group=30 class=0x030000
	fx_dev 0000:08:00.1 10de:10f0 driver=snd_hda_intel group=30 class=0x040300
	cp "$TMP/host.conf" "$FX/root/etc/vfpt.conf"
	expect_rc 0 fx_run "$VFPT" check-config
	# YAML 1.1 reads an unquoted 0000:08:00.0 as a number (base 60): the
	# role's validate stops that drop-in before it is in place
	cp "$TMP/unquoted.conf" "$FX/root/etc/vfpt.conf"
	expect_rc 2 fx_run "$VFPT" check-config
	[[ $ERR == *"vfpt.conf:11: devices: '480.0': not a PCI address"* ]] || fail "unquoted: $ERR"
	# and the validate line in the role is that command
	grep -q '^    validate: vfpt --config %s check-config$' "$EX/roles/vfpt/tasks/main.yml" || fail "no validate"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
