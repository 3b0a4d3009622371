#!/usr/bin/env python3
"""The GRUB reader and patcher judged by an oracle that shares no code with
them: for each file, `vfpt grub check` must say what /bin/sh and the kernel
make of it (tests/grub/oracle.py: the file sourced in a sandbox, the command
line split as the kernel does), and the edit of `vfpt grub apply` must read
back, under /bin/sh, with the arguments in force and every other variable
unchanged. vfpt may refuse a file (exit 2); it may not be wrong about one.
Usage: differential.py VFPT SECONDS FILE... ; files in the order given until
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


def vfpt(exe, work, *args):
    env = {"PATH": "/usr/bin:/bin", "VFPT_ROOT": os.path.join(work, "root")}  # no BLS entries, no host files
    return subprocess.run([exe, "--config", os.path.join(work, "vfpt.conf"), "grub", *args],
                          capture_output=True, env=env, timeout=20).returncode


def judge(exe, work, path):
    """None if vfpt refused the file, else a list of disagreements."""
    f = os.path.join(work, "grub")
    shutil.copyfile(path, f)
    rc = vfpt(exe, work, "check", "--file", f)
    if rc == 2:
        return None
    old = oracle.source(f)
    if old is None:
        return [f"vfpt read it (exit {rc}) but /bin/sh cannot source it"]
    line = oracle.cmdline(old)
    sat = all(oracle.satisfies(line, w) for w in WANT)
    errors = []
    if rc not in (0, 1) or (rc == 0) != sat:
        errors.append(f"grub check exit {rc}, but under /bin/sh the kernel gets {line}")
    before = os.path.join(work, "before")
    shutil.copyfile(f, before)
    rc = vfpt(exe, work, "apply", "--no-update", "--file", f)
    if rc == 2:
        return errors
    if rc != 0:
        return errors + [f"grub apply exit {rc}"]
    new = oracle.source(f)
    if new is None:
        return errors + ["/bin/sh cannot source the edited file"]
    return errors + oracle.judge(old, new, WANT, before, f)


def main():
    exe, budget, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    start, judged, refused, bad = time.monotonic(), 0, 0, 0
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "root"))
        with open(os.path.join(work, "vfpt.conf"), "w") as c:
            c.write("[global]\nkernel_args = " + " ".join(WANT) + "\n")
        for path in files:
            if time.monotonic() - start > budget:
                break
            errors = judge(exe, work, path)
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
