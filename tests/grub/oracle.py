#!/usr/bin/env python3
"""Judges an edit of /etc/default/grub the way grub-mkconfig will see it:
sources the old and the new file with /bin/sh and compares every variable.
Usage: oracle.py OLD NEW ARG... ; exit 0 if the edit is right, else says why."""
import os
import subprocess
import sys


def source(path):
    out = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", "/bin/sh", "-c",
                          'set -a; . "$1" >/dev/null 2>&1; env -0', "sh", os.path.abspath(path)],
                         capture_output=True, check=True).stdout
    return dict(kv.split("=", 1) for kv in out.decode().split("\0") if "=" in kv)


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


def main():
    old_path, new_path, want = sys.argv[1], sys.argv[2], sys.argv[3:]
    old, new = source(old_path), source(new_path)
    errors = []
    cmd = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
    for k in sorted(set(old) | set(new)):
        if k not in cmd and old.get(k) != new.get(k):
            errors.append(f"{k} changed: {old.get(k)!r} -> {new.get(k)!r}")
    line = lambda d: (d.get(cmd[0], "") + " " + d.get(cmd[1], "")).split()
    before, after = line(old), line(new)
    for w in want:
        if not satisfies(after, w):
            errors.append(f"{w} not in force in {after}")
        n = sum(1 for t in after if name_of(t) == name_of(w))
        if n != 1 and not satisfies(before, w):
            errors.append(f"{w}: {n} occurrences of its name after the edit")
    names = {name_of(w) for w in want}
    if [t for t in before if name_of(t) not in names] != [t for t in after if name_of(t) not in names]:
        errors.append(f"other parameters changed: {before} -> {after}")
    if all(satisfies(before, w) for w in want) and open(old_path, "rb").read() != open(new_path, "rb").read():
        errors.append("file already satisfied but was rewritten")
    old_comments = [l for l in open(old_path).read().splitlines() if l.lstrip().startswith("#")]
    new_lines = open(new_path).read().splitlines()
    for c in old_comments:
        if c not in new_lines:
            errors.append(f"comment lost: {c}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)


main()
