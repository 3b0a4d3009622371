#!/usr/bin/env python3
"""The GRUB reader and patcher judged by an oracle that shares no code with
them: for each file, `vfpt grub check` must say what /bin/sh and the kernel
make of it (tests/grub/oracle.py: the file sourced in a sandbox, the command
line split as the kernel does), and the edit of `vfpt grub apply` must read
back, under /bin/sh, with the arguments in force and every other variable
unchanged. vfpt may refuse a file (exit 2); it may not be wrong about one.
A directory given instead of a file is a sysroot holding a Debian
/etc/default/grub and /etc/default/grub.d: vfpt reads it as the installed
grub-mkconfig does (its text says so: tests/grub/fake-grub-mkconfig), and the
oracle sources the same sequence with sh's own glob.
Usage: differential.py VFPT SECONDS FILE|SYSROOT... ; in the order given until
SECONDS have passed; exit 1 on any disagreement."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grub"))
import oracle  # noqa: E402

WANT = ["intel_iommu=on", "iommu=pt"]


def file_want(path):
    """A corpus file may name its kernel_args on its first line
    ("# kernel_args: iommu=pt iommu=force"): the kernel-semantics cases."""
    try:
        with open(path, "rb") as f:
            first = f.readline().decode("utf-8", "replace")
    except (IsADirectoryError, OSError):
        return WANT
    return first[len("# kernel_args:"):].split() if first.startswith("# kernel_args:") else WANT


def vfpt(exe, work, *args, root="root", want=None):
    env = {"PATH": "/usr/bin:/bin", "VFPT_ROOT": os.path.join(work, root)}  # no BLS entries, no host files
    with open(os.path.join(work, "vfpt.conf"), "w") as c:
        c.write("[global]\nkernel_args = " + " ".join(want or WANT) + "\n")
    return subprocess.run([exe, "--config", os.path.join(work, "vfpt.conf"), "grub", *args],
                          capture_output=True, env=env, timeout=20).returncode


def judge_sequence(exe, work, tree):
    """The same for a sysroot: the whole grub-mkconfig sequence."""
    root = os.path.join(work, "seq")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(os.path.join(tree, "etc"), os.path.join(root, "etc"), symlinks=True)
    os.makedirs(os.path.join(root, "usr", "sbin"))
    os.makedirs(os.path.join(root, "boot", "grub"))
    shutil.copy(os.path.join(os.path.dirname(oracle.__file__), "fake-grub-mkconfig"),
                os.path.join(root, "usr", "sbin", "grub-mkconfig"))
    return compare(exe, work, tree, root, [], root="seq")


def judge(exe, work, path):
    """None if vfpt refused the file, else a list of disagreements."""
    f = os.path.join(work, "grub")
    shutil.copyfile(path, f)
    before = os.path.join(work, "before")
    shutil.copyfile(f, before)
    return compare(exe, work, before, f, ["--file", f], want=file_want(path))


def compare(exe, work, before, edited, args, root="root", want=None):
    """vfpt's check and apply of edited (a file, or a sysroot) against /bin/sh
    sourcing it; before: its copy, left as it was."""
    want = want or WANT
    rc = vfpt(exe, work, "check", *args, root=root, want=want)
    if rc == 2:
        return None
    old = oracle.source(before)
    if old is None:
        return [f"vfpt read it (exit {rc}) but /bin/sh cannot source it"]
    line = oracle.cmdline(old)
    sat = all(oracle.satisfies(line, w) for w in want)
    errors = []
    if rc not in (0, 1) or (rc == 0) != sat:
        errors.append(f"grub check exit {rc}, but under /bin/sh the kernel gets {line}")
    rc = vfpt(exe, work, "apply", "--no-update", *args, root=root, want=want)
    if rc == 2:
        return errors
    if rc != 0:
        return errors + [f"grub apply exit {rc}"]
    new = oracle.source(edited)
    if new is None:
        return errors + ["/bin/sh cannot source the edited file"]
    return errors + oracle.judge(old, new, want, before, edited)


def main():
    exe, budget, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    start, judged, refused, bad = time.monotonic(), 0, 0, 0
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "root"))
        for path in files:
            if time.monotonic() - start > budget:
                break
            errors = judge_sequence(exe, work, path) if os.path.isdir(path) else judge(exe, work, path)
            if errors is None:
                refused += 1
                continue
            judged += 1
            if errors:
                bad += 1
                print(f"{path}:")
                for e in errors:
                    print(f"  {e}")
    print(f"# {judged + refused} of {len(files)} files in {time.monotonic() - start:.0f}s: {judged} judged "
          f"against /bin/sh, {refused} refused by vfpt, {bad} wrong")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
