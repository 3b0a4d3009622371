#!/usr/bin/env python3
"""Random kernel command lines, judged by vfpt and by oracle.py's
restatement of the kernel's handlers (intel_iommu=, iommu=, amd_iommu=,
iommu.passthrough=, video= per NAME, console= per device, the lists that
add up): `vfpt grub
check` must say "in effect" exactly when the oracle does, and `vfpt grub
apply` must put every wanted argument in force, keep every option the user
wrote that does not conflict, and leave every other parameter alone.
The files are one plain GRUB_CMDLINE_LINUX line, so they are read here
without /bin/sh (differential.py does the sh side).
Usage: kernel_random.py VFPT SEED COUNT ; exit 1 on any disagreement."""
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

INTEL = ["on", "off", "igfx_off", "sm_on", "sm_off", "strict", "onx", "offline"]
IOMMU = ["pt", "nopt", "off", "force", "noforce", "soft", "usedac", "merge", "biomerge", "forcesac", "ptx"]
AMD = ["off", "fullflush", "force_isolation", "pgtbl_v2", "fooff"]
WANTS = [["intel_iommu=on", "iommu=pt"], ["iommu=pt"], ["iommu=pt", "iommu=force"],
         ["intel_iommu=on", "iommu=pt", "video=efifb:off"], ["intel_iommu=on,igfx_off", "iommu=pt"],
         ["initcall_blacklist=sysfb_init", "iommu=pt"], ["modprobe.blacklist=nouveau", "rd.driver.blacklist=nouveau"],
         ["iommu=pt", "console=ttyS0,115200n8"]]


def token(rnd):
    def opts(choices):
        return ",".join(rnd.sample(choices, rnd.randint(1, 3)))
    r = rnd.random()
    if r < 0.25:
        return "intel_iommu=" + opts(INTEL)
    if r < 0.5:
        return "iommu=" + opts(IOMMU)
    if r < 0.6:
        return "amd_iommu=" + opts(AMD)
    if r < 0.65:
        return "iommu.passthrough=" + rnd.choice(["0", "1", "y", "n", "on", "off"])
    if r < 0.75:
        return "video=" + rnd.choice(["efifb:off", "efifb:on", "vesafb:off", "HDMI-A-1:1024x768", "1024x768"])
    if r < 0.82:
        return rnd.choice(["initcall_blacklist=", "modprobe.blacklist=", "rd.driver.blacklist="]) + opts(
            ["a", "b", "sysfb_init", "nouveau"])
    return rnd.choice(["quiet", "splash", "foo=1", "foo=2", "intel-iommu=on", "console=tty0", "console=ttyS0,9600"])


def read_line(path):
    text = open(path).read()
    m = re.fullmatch(r'GRUB_CMDLINE_LINUX="([^"$`\\]*)"\n', text)
    return m.group(1) if m else None


def main():
    exe, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd, bad = random.Random(seed), []
    with tempfile.TemporaryDirectory() as d:
        conf, grub = os.path.join(d, "vfpt.conf"), os.path.join(d, "grub")
        for _ in range(count):
            toks, want = [token(rnd) for _ in range(rnd.randint(0, 5))], rnd.choice(WANTS)
            line = " ".join(toks)
            with open(conf, "w") as f:
                f.write("[global]\nkernel_args = " + " ".join(want) + "\n")
            with open(grub, "w") as f:
                f.write(f'GRUB_CMDLINE_LINUX="{line}"\n')
            case = f"{line!r} wanting {want}"
            p = subprocess.run([exe, "--config", conf, "grub", "check", "--file", grub], capture_output=True, text=True)
            in_effect = all(oracle.satisfies(toks, w) for w in want)
            if p.returncode != (0 if in_effect else 1):
                bad.append(f"{case}: grub check exit {p.returncode}, the oracle says in effect={in_effect}: "
                           f"{p.stdout}{p.stderr}")
                continue
            p = subprocess.run([exe, "--config", conf, "grub", "apply", "--no-update", "--file", grub],
                               capture_output=True, text=True)
            new = read_line(grub)
            if p.returncode != 0 or new is None:
                bad.append(f"{case}: grub apply exit {p.returncode}: {p.stderr.strip()} {open(grub).read()!r}")
                continue
            errors = oracle.judge({oracle.CMD[0]: line}, {oracle.CMD[0]: new}, want, grub, grub)
            if in_effect and new != line:
                errors.append("in effect, yet rewritten")
            if errors:
                bad.append(f"{case}: apply wrote {new!r}: {errors}")
    print("\n".join(bad))
    print(f"# {count} random command lines (seed {seed}): {len(bad)} wrong")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
