/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmdline.c: kernel parameters judged with the kernel's own rules (issue 25):
 * the IOMMU switches add up (intel_iommu_setup(), parse_amd_iommu_options(),
 * iommu_setup() of 6.1 and 6.12), video= is per NAME, initcall_blacklist=
 * and the driver blacklists add up; the one-off parameters never made
 * permanent. */
#include <stdlib.h>

#include "cmdline.h"
#include "tap.h"
#include "util.h"

static bool sat(const char *line, const char *arg) {
        _cleanup_strv_free_ char **p = NULL;
        if (cmdline_split(line, &p) < 0)
                abort();
        return cmdline_satisfies(p, arg);
}

/* what apply makes of line to have every argument of want: the words, joined */
static char *fixed(const char *line, const char *want) {
        _cleanup_strv_free_ char **p = NULL, **w = NULL, **out = NULL;
        if (cmdline_split(line, &p) < 0 || strv_split_ws(want, &w) < 0)
                abort();
        for (char **a = w; *a; a++) {
                bool add;
                if (cmdline_satisfies(p, *a))
                        continue;
                if (cmdline_fix(p, *a, cmdline_find_last(p, *a), &add) < 0 || (add && strv_extend(&p, *a) < 0))
                        abort();
        }
        for (char **a = p; *a; a++)
                if (**a && strv_extend(&out, *a) < 0)
                        abort();
        return strv_join(out, " ");
}

static void check_fixed(const char *line, const char *want, const char *expect) {
        _cleanup_free_ char *got = fixed(line, want);
        CHECK_STR(got, expect);
}

static void test_iommu_options_add_up(void) {
        /* the cases */
        CHECK(sat("intel_iommu=on intel_iommu=igfx_off iommu=pt", "intel_iommu=on"));
        CHECK(sat("intel_iommu=on intel_iommu=igfx_off iommu=pt", "iommu=pt"));
        CHECK(sat("iommu=pt iommu=force", "iommu=pt") && sat("iommu=pt iommu=force", "iommu=force"));
        CHECK(!sat("intel_iommu=on iommu=off,pt", "intel_iommu=on"));
        CHECK(!sat("intel_iommu=on iommu=off,pt", "iommu=pt"));
        CHECK(!sat("amd_iommu=off iommu=pt", "iommu=pt"));
        /* on/off the last one, the other options stay */
        CHECK(sat("intel_iommu=off intel_iommu=igfx_off,on", "intel_iommu=on"));
        CHECK(!sat("intel_iommu=on,off", "intel_iommu=on"));
        CHECK(sat("intel-iommu=on", "intel_iommu=on"));
        /* iommu=off is for good; usedac ends the value */
        CHECK(!sat("iommu=off iommu=pt intel_iommu=on", "intel_iommu=on"));
        CHECK(!sat("intel_iommu=on iommu=usedac,pt", "iommu=pt"));
        /* 6.1's parse_amd_iommu_options() finds off at any position */
        CHECK(!sat("amd_iommu=fullflush,off iommu=pt", "iommu=pt"));
        CHECK(sat("iommu=pt iommu.passthrough=1", "iommu=pt") && !sat("iommu=pt iommu.passthrough=0", "iommu=pt"));
}

static void test_fix_keeps_the_users_options(void) {
        check_fixed("intel_iommu=on intel_iommu=igfx_off iommu=pt", "intel_iommu=on iommu=pt",
                    "intel_iommu=on intel_iommu=igfx_off iommu=pt");
        check_fixed("iommu=pt iommu=force", "iommu=pt", "iommu=pt iommu=force");
        check_fixed("intel_iommu=on iommu=off,pt", "intel_iommu=on iommu=pt", "intel_iommu=on iommu=pt");
        check_fixed("intel_iommu=off,igfx_off quiet", "intel_iommu=on iommu=pt", "intel_iommu=on,igfx_off quiet iommu=pt");
        check_fixed("amd_iommu=off iommu=pt", "iommu=pt", "iommu=pt");
}

/* video=NAME:... is NAME's own parameter; initcall_blacklist= adds up */
static void test_video_per_name_and_lists(void) {
        CHECK(cmdline_same_param("video=efifb:off", "video=efifb:1024x768"));
        CHECK(!cmdline_same_param("video=efifb:off", "video=vesafb:off"));
        CHECK(!cmdline_same_param("video=efifb:off", "video=1024x768"));
        CHECK(cmdline_same_param("video=1024x768", "video=800x600"));
        CHECK(cmdline_same_param("console=ttyS0,9600", "console=ttyS0,115200n8"));
        CHECK(!cmdline_same_param("console=tty0", "console=ttyS0,115200n8"));
        check_fixed("console=tty0 console=ttyS0,9600 quiet", "console=ttyS0,115200n8",
                    "console=tty0 console=ttyS0,115200n8 quiet");
        CHECK(sat("video=efifb:off video=HDMI-A-1:1920x1080", "video=efifb:off"));
        CHECK(!sat("video=efifb:off video=efifb:on", "video=efifb:off"));
        CHECK(sat("initcall_blacklist=a,sysfb_init initcall_blacklist=b", "initcall_blacklist=sysfb_init"));
        check_fixed("quiet video=HDMI-A-1:1920x1080@60", "video=efifb:off",
                    "quiet video=HDMI-A-1:1920x1080@60 video=efifb:off");
        check_fixed("video=efifb:on", "video=efifb:off video=vesafb:off", "video=efifb:off video=vesafb:off");
        check_fixed("initcall_blacklist=foo_init", "initcall_blacklist=sysfb_init",
                    "initcall_blacklist=foo_init initcall_blacklist=sysfb_init");
        /* kmod's and dracut's driver lists add up the same way */
        check_fixed("rd.driver.blacklist=nouveau modprobe.blacklist=nouveau",
                    "rd.driver.blacklist=radeon modprobe.blacklist=radeon",
                    "rd.driver.blacklist=nouveau modprobe.blacklist=nouveau rd.driver.blacklist=radeon "
                    "modprobe.blacklist=radeon");
        CHECK(sat("modprobe.blacklist=nouveau,radeon", "modprobe.blacklist=radeon"));
}

static void test_contradiction(void) {
        static const struct {
                const char *args;
                int i, against;
        } cases[] = {
                { "intel_iommu=on iommu=pt", -1, 0 },
                { "intel_iommu=on intel_iommu=igfx_off iommu=pt iommu=force", -1, 0 },
                { "video=efifb:off video=vesafb:off initcall_blacklist=a initcall_blacklist=b", -1, 0 },
                { "iommu=off,pt", 0, 0 },
                { "intel_iommu=on iommu=off", 0, 1 },
                { "quiet foo=1 foo=2", 1, 2 },
                { "iommu=pt amd_iommu=off", 0, 1 },
                { "video=efifb:on video=efifb:off", 0, 1 },
        };
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_strv_free_ char **p = NULL;
                int against = -1;
                CHECK(strv_split_ws(cases[k].args, &p) == 0);
                int i = cmdline_contradiction(p, &against);
                if (i != cases[k].i || (i >= 0 && against != cases[k].against)) {
                        fprintf(stderr, "  %s: got %d against %d\n", cases[k].args, i, against);
                        CHECK(false);
                }
        }
}

static void test_oneoff(void) {
        static const char *const oneoff[] = { "vfpt=off", "rd.vfpt=0", "BOOT_IMAGE=/vmlinuz", "initrd=/initrd",
                                              "systemd.unit=rescue.target", "rd.systemd.unit=emergency.target",
                                              "single", "emergency", "rescue", "s", "S", "1", "rd.break",
                                              "rd.break=pre-mount", "rd.shell", "init=/bin/sh",
                                              "systemd.debug-shell", "systemd.debug_shell=tty9",
                                              "rd.systemd.debug_shell", "systemd.break=pre-switch-root",
                                              "systemd.break", "rd.systemd.break=initqueue" };
        static const char *const kept[] = { "root=UUID=5e4e0dd5", "ro", "quiet", "rd.luks.uuid=abc", "intel_iommu=on",
                                            "console=ttyS0,115200", "systemd.show_status=0", "resume=/dev/sda2" };
        for (size_t i = 0; i < ELEMENTSOF(oneoff); i++)
                if (!cmdline_is_oneoff(oneoff[i])) {
                        fprintf(stderr, "  %s is one-off\n", oneoff[i]);
                        CHECK(false);
                }
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                if (cmdline_is_oneoff(kept[i])) {
                        fprintf(stderr, "  %s is no one-off\n", kept[i]);
                        CHECK(false);
                }
}

int main(void) {
        RUN(test_iommu_options_add_up);
        RUN(test_fix_keeps_the_users_options);
        RUN(test_video_per_name_and_lists);
        RUN(test_contradiction);
        RUN(test_oneoff);
        TEST_MAIN_END();
}
