#!/usr/bin/env python3
"""Judges an edit of /etc/default/grub the way grub-mkconfig will see it:
sources the old and the new file with /bin/sh and compares every variable,
and splits the kernel command line the way the kernel does.
OLD and NEW may also be sysroots (directories): then /bin/sh sources what
Debian's grub-mkconfig sources, ROOT/etc/default/grub and then
ROOT/etc/default/grub.d/*.cfg in the order of sh's own glob, with its own
[ -e ] test: the sequence is sh's, not the tool's under test.
Usage: oracle.py OLD NEW ARG... ; exit 0 if the edit is right, else says why.
Also a module: tests/fuzz/differential.py uses source() and judge()."""
import os
import shutil
import subprocess
import sys
import tempfile

CMD = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")

# An untrusted file (fuzzer output) is sourced with no PATH, as nobody, with
# no network, in its own PID namespace (kill -1 reaches nothing else), with
# a time limit. Files of the corpus are ours and run the same way.
SANDBOX = ["unshare", "-n", "-p", "-f", "--kill-child", "setpriv", "--reuid=65534", "--regid=65534",
           "--clear-groups"]


# grub-mkconfig's own lines (Debian 12), sysconfdir being the sysroot's etc
SEQUENCE = """
if test -f ${sysconfdir}/default/grub ; then
  . ${sysconfdir}/default/grub
fi
for x in ${sysconfdir}/default/grub.d/*.cfg ; do
  if [ -e "${x}" ]; then
    . "${x}"
  fi
done
"""


def source(path, timeout=10):
    """Every variable after `. path` in /bin/sh (path a file), or after the
    grub-mkconfig sequence (path a sysroot); None if sh fails or hangs."""
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)  # readable by nobody, writable by root only
        if os.path.isdir(path):
            copy = os.path.join(d, "root")
            shutil.copytree(os.path.join(path, "etc", "default"), os.path.join(copy, "etc", "default"),
                            symlinks=True, ignore=shutil.ignore_patterns("*.vfpt.bak"))
            for dirpath, dirs, files in os.walk(copy):
                os.chmod(dirpath, 0o755)
                for f in files:
                    if not os.path.islink(os.path.join(dirpath, f)):
                        os.chmod(os.path.join(dirpath, f), 0o644)
            script = ('set -a; sysconfdir="$1/etc"; x=; {' + SEQUENCE + '} >/dev/null 2>&1 </dev/null; '
                      'set +a; unset x sysconfdir; /usr/bin/env -0')
        else:
            copy = os.path.join(d, "grub")
            shutil.copyfile(path, copy)
            os.chmod(copy, 0o644)
            script = 'set -a; . "$1" >/dev/null 2>&1 </dev/null; /usr/bin/env -0'
        cmd = SANDBOX + ["env", "-i", "PATH=/nonexistent", "/bin/sh", "-c", script, "sh", copy]
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd="/", stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None
    if p.returncode != 0:
        return None
    out = p.stdout.decode("utf-8", "surrogateescape")
    return dict(kv.split("=", 1) for kv in out.split("\0") if "=" in kv)


def kernel_split(s):
    """The kernel's next_arg(): blanks separate, double quotes group and are
    dropped, a lone -- ends the kernel's part."""
    words, i = [], 0
    while True:
        while i < len(s) and s[i] in " \t\n":
            i += 1
        if i >= len(s):
            return words
        w, q = "", False
        while i < len(s) and (q or s[i] not in " \t\n"):
            if s[i] == '"':
                q = not q
            else:
                w += s[i]
            i += 1
        if w == "--":
            return words
        words.append(w)


def cmdline(d):
    return kernel_split(d.get(CMD[0], "") + " " + d.get(CMD[1], ""))


def norm(name):
    return name.replace("-", "_")


def name_of(tok):
    return norm(tok.split("=", 1)[0])


def key_of(tok):
    """The parameter to the kernel: its name, and for video= the NAME of
    video=NAME:OPTIONS (a connector or fbdev driver, each its own, the last
    of a NAME wins; video=MODE without ':' is the global one): video_setup()
    and __video_get_option_string() in drivers/video/cmdline.c (6.6 to 6.12),
    fb_get_options() in fbdev/core/fb_cmdline.c (6.1). console=DEVICE,OPTIONS
    likewise per DEVICE."""
    name = name_of(tok)
    if name == "video" and "=" in tok and ":" in tok.split("=", 1)[1]:
        return "video=" + tok.split("=", 1)[1].split(":", 1)[0] + ":"
    if name == "console" and "=" in tok:  # printk.c console_setup(): each device its own console
        return "console=" + tok.split("=", 1)[1].split(",", 1)[0] + ","
    return name


# Lists every occurrence adds to, comma-separated; nothing takes an item out:
# init/main.c initcall_blacklist(), kmod's modprobe.blacklist=, dracut's
# rd.driver.blacklist=, rd.driver.pre=, rd.driver.post= (dracut.cmdline(7):
# "can be specified multiple times")
LISTS = ("initcall_blacklist", "modprobe.blacklist", "rd.driver.blacklist", "rd.driver.pre", "rd.driver.post")


def list_items(tokens, name):
    return {o for t in tokens if name_of(t) == name and "=" in t for o in t.split("=", 1)[1].split(",") if o}


# The x86 IOMMU parameters are not "last one wins": the kernel runs their
# handlers once per occurrence and the flags add up. What follows restates
# the handlers of Linux 6.1 and 6.12 (drivers/iommu/intel/iommu.c
# intel_iommu_setup, drivers/iommu/amd/init.c parse_amd_iommu_options,
# arch/x86/kernel/pci-dma.c iommu_setup, iommu.passthrough= in
# drivers/iommu/iommu.c) as plain Python over the whole command line.
FAMILY = ("intel_iommu", "iommu", "amd_iommu")
INTEL_CHAIN = ("on", "off", "igfx_off", "forcedac", "strict", "sp_off", "sm_on", "sm_off", "tboot_noforce")


def kernel_state(tokens):
    st = {"dmar_disabled": None, "sm": None, "no_iommu": False, "amd_disabled": False, "pass": None,
          "force": None, "intel": [], "iommu": [], "amd": []}
    for t in tokens:
        name = name_of(t)
        if "=" not in t:
            continue  # the handlers get NULL and return -EINVAL
        val = t.split("=", 1)[1]
        if name == "intel_iommu":
            for o in [o for o in val.split(",") if o]:
                hit = next((c for c in INTEL_CHAIN if o.startswith(c)), None)
                st["intel"].append(hit or o)
                if hit == "on":
                    st["dmar_disabled"] = False
                elif hit == "off":
                    st["dmar_disabled"] = True
                elif hit in ("sm_on", "sm_off"):
                    st["sm"] = hit == "sm_on"
        elif name == "iommu":
            for o in val.split(","):
                if not o:
                    continue
                st["iommu"].append(o)
                if o.startswith("off"):
                    st["no_iommu"] = True
                if o.startswith("force"):
                    st["force"] = True
                if o.startswith("noforce"):
                    st["force"] = False
                if o.startswith("biomerge") or o.startswith("merge"):
                    st["force"] = True
                if o.startswith("usedac"):
                    break  # iommu_setup() returns here
                if o.startswith("pt"):
                    st["pass"] = True
                if o.startswith("nopt"):
                    st["pass"] = False
        elif name == "amd_iommu":
            st["amd"] += [o for o in val.split(",") if o]
            if "off" in val:  # 6.1 compares at every position of the value
                st["amd_disabled"] = True
        elif name == "iommu.passthrough":
            if val[:1] in ("1", "y", "Y", "t", "T") or val[:2].lower() == "on":
                st["pass"] = True
            elif val[:1] in ("0", "n", "N", "f", "F") or val[:2].lower() == "of":
                st["pass"] = False
    return st


def option_in_effect(st, name, o):
    if name == "intel_iommu":
        hit = next((c for c in INTEL_CHAIN if o.startswith(c)), None)
        if hit == "on":
            return st["dmar_disabled"] is False and not st["no_iommu"]
        if hit == "off":
            return st["dmar_disabled"] is True or st["no_iommu"]
        if hit in ("sm_on", "sm_off"):
            return st["sm"] == (hit == "sm_on")
        return (hit or o) in st["intel"]
    if name == "iommu":
        if o.startswith("off"):
            return st["no_iommu"]
        if st["no_iommu"]:
            return False
        if o.startswith("pt"):  # passthrough of an IOMMU a vendor switch turned off is nothing
            return st["pass"] is True and not st["amd_disabled"] and st["dmar_disabled"] is not True
        if o.startswith("nopt"):
            return st["pass"] is False
        if o.startswith("noforce"):
            return st["force"] is False
        if o.startswith(("force", "biomerge", "merge")):
            return st["force"] is True
        return o in st["iommu"]
    if name == "amd_iommu":
        if "off" in o:
            return st["amd_disabled"]
        return not st["amd_disabled"] and not st["no_iommu"] and o in st["amd"]
    raise ValueError(name)


def satisfies(tokens, want):
    name = name_of(want)
    if name in FAMILY and "=" in want:
        st = kernel_state(tokens)
        opts = [o for o in want.split("=", 1)[1].split(",") if o]
        return all(option_in_effect(st, name, o) for o in opts) and (
            bool(opts) or any(name_of(t) == name for t in tokens))
    if name in LISTS and "=" in want:
        return {o for o in want.split("=", 1)[1].split(",") if o} <= list_items(tokens, name)
    hits = [t for t in tokens if key_of(t) == key_of(want)]
    if not hits:
        return False
    if "=" not in want:
        return True
    have = hits[-1].split("=", 1)[1].split(",") if "=" in hits[-1] else []
    return all(o in have for o in want.split("=", 1)[1].split(",") if o)


def options_of(tokens):
    """(name, option) of every IOMMU parameter, as written"""
    return [(name_of(t), o) for t in tokens if name_of(t) in FAMILY + ("iommu.passthrough",) and "=" in t
            for o in (t.split("=", 1)[1].split(",") if name_of(t) != "iommu.passthrough" else [t.split("=", 1)[1]])
            if o]


def kept_options(before, after, want):
    """Every IOMMU option the user wrote that does not stand against what is
    wanted (the wanted arguments still hold with it given once more, last)
    must still be there."""
    errors, have = [], options_of(after)
    for name, o in options_of(before):
        if (name, o) in have:
            continue
        extra = f"{name}={o}"
        if all(satisfies(after + [extra], w) for w in want):
            errors.append(f"{extra} was dropped, yet it does not conflict with {want}")
    return errors


def judge(old, new, want, old_path, new_path):
    """What is wrong with the edit from old to new (sourced variables)."""
    errors = []
    for k in sorted(set(old) | set(new)):
        if k not in CMD and old.get(k) != new.get(k):
            errors.append(f"{k} changed: {old.get(k)!r} -> {new.get(k)!r}")
    before, after = cmdline(old), cmdline(new)
    for w in want:
        if not satisfies(after, w):
            errors.append(f"{w} not in force in {after}")
        n = sum(1 for t in after if key_of(t) == key_of(w))
        if n != 1 and not satisfies(before, w) and name_of(w) not in FAMILY + LISTS:
            errors.append(f"{w}: {n} occurrences of its name after the edit")
    names = {key_of(w) for w in want}
    if names & set(FAMILY):  # the IOMMU switches act on each other
        names |= set(FAMILY) | {"iommu.passthrough"}
        errors += kept_options(before, after, want)
    for name in names & set(LISTS):  # nothing conflicts: every item stays
        if not list_items(before, name) <= list_items(after, name):
            errors.append(f"{name}= lost {sorted(list_items(before, name) - list_items(after, name))}")
    if [t for t in before if key_of(t) not in names] != [t for t in after if key_of(t) not in names]:
        errors.append(f"other parameters changed: {before} -> {after}")
    old_files, new_files = files_of(old_path), files_of(new_path)
    if sorted(old_files) != sorted(new_files):
        errors.append(f"files added or removed: {sorted(old_files)} -> {sorted(new_files)}")
    for name, old_bytes in sorted(old_files.items()):
        new_bytes = new_files.get(name, b"")
        if all(satisfies(before, w) for w in want) and old_bytes != new_bytes:
            errors.append(f"{name or 'file'} already satisfied but was rewritten")
        new_lines = new_bytes.splitlines()
        for c in comments(old_bytes):
            if c not in new_lines:
                errors.append(f"{name or 'file'}: comment lost: {c!r}")
    return errors


def files_of(path):
    """{name: bytes}: the file, or what a sysroot holds below etc/default
    (backups of vfpt's left out: they are not sourced)"""
    if not os.path.isdir(path):
        return {"": open(path, "rb").read()}
    out, top = {}, os.path.join(path, "etc", "default")
    for dirpath, _, files in os.walk(top):
        for f in files:
            if not f.endswith(".vfpt.bak") and os.path.exists(os.path.join(dirpath, f)):
                p = os.path.join(dirpath, f)
                out[os.path.relpath(p, top)] = open(p, "rb").read()
    return out


def comments(text):
    """Lines that are comments to sh: '#' first on a line that starts outside
    any quote (a '#' line inside a multi-line quoted value is not one)."""
    out, q = [], None
    lines = text.split(b"\n")
    for line in lines:
        if q is None and line.lstrip().startswith(b"#"):
            out.append(line)
            continue
        j = 0
        while j < len(line):
            ch = line[j:j + 1]
            if q == b"'":
                q = None if ch == b"'" else q
            elif ch == b"\\":
                j += 1
            elif q == b'"':
                q = None if ch == b'"' else q
            elif ch in (b"'", b'"'):
                q = ch
            elif ch == b"#" and (j == 0 or line[j - 1:j] in b" \t;"):
                break
            j += 1
    return out


def main():
    old_path, new_path, want = sys.argv[1], sys.argv[2], sys.argv[3:]
    old, new = source(old_path), source(new_path)
    if old is None or new is None:
        print(f"/bin/sh cannot source {old_path if old is None else new_path}")
        sys.exit(1)
    errors = judge(old, new, want, old_path, new_path)
    if errors:
        print("\n".join(errors))
        sys.exit(1)


if __name__ == "__main__":
    main()
