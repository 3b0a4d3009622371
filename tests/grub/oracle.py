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


def satisfies(tokens, want):
    hits = [t for t in tokens if name_of(t) == name_of(want)]
    if not hits:
        return False
    if "=" not in want:
        return True
    have = hits[-1].split("=", 1)[1].split(",") if "=" in hits[-1] else []
    return all(o in have for o in want.split("=", 1)[1].split(",") if o)


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
        n = sum(1 for t in after if name_of(t) == name_of(w))
        if n != 1 and not satisfies(before, w):
            errors.append(f"{w}: {n} occurrences of its name after the edit")
    names = {name_of(w) for w in want}
    if [t for t in before if name_of(t) not in names] != [t for t in after if name_of(t) not in names]:
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
