/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot framebuffers over a device's BARs (framebuffer.h). */
#include <inttypes.h>
#include <stdio.h>

#include "framebuffer.h"
#include "paths.h"
#include "util.h"

#define IORESOURCE_MEM 0x00000200ULL

/* drivers/firmware/sysfb.c (6.1 to 6.12) registers one platform device for
 * the firmware's framebuffer at subsys_initcall_sync: "simple-framebuffer"
 * with a memory resource named BOOTFB when CONFIG_SYSFB_SIMPLEFB is set and
 * the mode fits (simpledrm or simplefb binds it), else "efi-framebuffer"
 * (efifb: request_mem_region(..., "efifb")) or "vesa-framebuffer"
 * (vesafb). efifb_probe() and vesafb_probe() return -ENODEV when
 * fb_get_options() finds "off" for them in video=; neither sees the
 * simple-framebuffer device, and simpledrm reads no video= option: only
 * initcall_blacklist=sysfb_init (which needs CONFIG_KALLSYMS to match the
 * name) keeps sysfb from registering any of them. */
static const struct {
        const char *holder, *arg, *what;
} releases[] = {
        { "efifb", "video=efifb:off",
          "efifb does not probe (fb_get_options \"off\"; kernels 6.1 to 6.12)" },
        { "vesafb", "video=vesafb:off",
          "vesafb does not probe (fb_get_options \"off\"; kernels 6.1 to 6.12)" },
        { "BOOTFB", "initcall_blacklist=sysfb_init",
          "sysfb registers no boot framebuffer device (kernels 6.1 to 6.12, CONFIG_KALLSYMS); video=efifb:off "
          "does not release BOOTFB" },
        { "simpledrm", "initcall_blacklist=sysfb_init",
          "sysfb registers no simple-framebuffer device for simpledrm to bind (kernels 6.1 to 6.12, "
          "CONFIG_KALLSYMS); simpledrm reads no video= option" },
        { "simple-framebuffer", "initcall_blacklist=sysfb_init",
          "sysfb registers no simple-framebuffer device (kernels 6.1 to 6.12, CONFIG_KALLSYMS)" },
        { "simplefb", "initcall_blacklist=sysfb_init",
          "sysfb registers no simple-framebuffer device (kernels 6.1 to 6.12, CONFIG_KALLSYMS)" },
};

const char *framebuffer_release_arg(const char *holder, const char **what) {
        for (size_t i = 0; i < ELEMENTSOF(releases); i++)
                /* simple-framebuffer.0, efifb and the like */
                if (strncmp(holder, releases[i].holder, strlen(releases[i].holder)) == 0) {
                        if (what)
                                *what = releases[i].what;
                        return releases[i].arg;
                }
        return NULL;
}

struct bar {
        unsigned long long start, end;
};

/* sysfs resource: "0x%016llx 0x%016llx 0x%016llx" start end flags a line;
 * lines 0 to 5 are the BARs */
static int read_bars(const char *name, struct bar bars[static 6]) {
        _cleanup_free_ char *p = strdupf(SYSFS_PCI_DEVICES "/%s/resource", name), *text = NULL;
        int r;
        if (!p)
                return -ENOMEM;
        r = read_file(p, 16384, &text, NULL);
        if (r < 0)
                return r;
        memset(bars, 0, 6 * sizeof(*bars));
        char *l = text;
        for (int i = 0; i < 6 && l && *l; i++) {
                unsigned long long s, e, f;
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl++ = 0;
                if (sscanf(l, "%llx %llx %llx", &s, &e, &f) != 3)
                        return -EBADMSG;
                if ((f & IORESOURCE_MEM) && e > s)
                        bars[i] = (struct bar) { s, e };
                l = nl;
        }
        return 0;
}

int framebuffer_holders(const char *name, struct fb_hold **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ struct fb_hold *h = NULL;
        struct bar bars[6];
        size_t n = 0;
        bool zeros = true;
        int r;

        *ret = NULL;
        *ret_n = 0;
        r = read_bars(name, bars);
        if (r < 0)
                return r;
        r = read_file(PROC_IOMEM, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        for (char *l = text, *nl; l && *l; l = nl) {
                unsigned long long s, e;
                int k = 0;
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = 0;
                if (sscanf(l, " %llx-%llx : %n", &s, &e, &k) != 2 || k == 0)
                        continue;
                zeros = zeros && s == 0 && e == 0;
                const char *holder = l + k;
                if (!framebuffer_release_arg(holder, NULL))
                        continue;
                for (int b = 0; b < 6; b++) {
                        if (bars[b].end == 0 || e < bars[b].start || s > bars[b].end)
                                continue;
                        struct fb_hold *t = realloc(h, (n + 1) * sizeof(*h));
                        if (!t)
                                return -ENOMEM;
                        h = t;
                        t += n++;
                        *t = (struct fb_hold) { .bar = b, .start = s, .end = e };
                        snprintf(t->holder, sizeof(t->holder), "%s", holder);
                        t->arg = framebuffer_release_arg(holder, &t->what);
                }
        }
        if (zeros && n == 0 && *text)
                return -EPERM; /* addresses hidden: not root */
        *ret = TAKE_PTR(h);
        *ret_n = n;
        return 0;
}
