/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unified kernel images and Secure Boot (uki.h). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

#include "paths.h"
#include "uki.h"
#include "util.h"

void uki_state_done(struct uki_state *s) {
        strv_free(s->images);
        strv_free(s->embedded);
        *s = (struct uki_state) {};
}

static uint32_t le32(const uint8_t *p) {
        return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}
static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

/* Has the PE image a section named .cmdline? 1, 0, -errno */
static int has_cmdline_section(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_file(path, 1 << 16, &buf, &len); /* the headers are at the start */
        if (r < 0)
                return r;
        const uint8_t *b = (const uint8_t *) buf;
        if (len < 0x40 || b[0] != 'M' || b[1] != 'Z')
                return 0;
        uint32_t pe = le32(b + 0x3c);
        if ((size_t) pe + 24 > len || memcmp(b + pe, "PE\0\0", 4) != 0)
                return 0;
        unsigned nsec = le16(b + pe + 6), opt = le16(b + pe + 20);
        size_t sec = (size_t) pe + 24 + opt;
        for (unsigned i = 0; i < nsec && sec + 40 * (i + 1) <= len; i++)
                if (memcmp(b + sec + 40 * i, ".cmdline", 8) == 0)
                        return 1;
        return 0;
}

static bool layout_uki(void) {
        static const char *const files[] = { ETC_KERNEL_INSTALL_CONF, USR_LIB_KERNEL_INSTALL_CONF };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = path_rooted(files[i]), *text = NULL;
                if (!p || read_file(p, 65536, &text, NULL) < 0)
                        continue;
                bool uki = false;
                for (char *l = text, *nl; l && *l; l = nl) {
                        nl = strchr(l, '\n');
                        if (nl)
                                *nl++ = 0;
                        l += strspn(l, " \t");
                        if (strncmp(l, "layout", 6) == 0) {
                                char *v = l + 6 + strspn(l + 6, " \t");
                                if (*v == '=') {
                                        v++;
                                        v += strspn(v, " \t\"");
                                        uki = strncmp(v, "uki", 3) == 0 && strchr(" \t\"", v[3]);
                                }
                        }
                }
                return uki; /* /etc overrides /usr/lib */
        }
        return false;
}

int uki_detect(struct uki_state *ret) {
        struct uki_state s = { .secure_boot = -1 };
        _cleanup_free_ char *sb = NULL;
        size_t sblen;
        int r = 0;

        s.layout_uki = layout_uki();
        for (const char *const *esp = path_esp_dirs(); *esp && r >= 0; esp++) {
                _cleanup_free_ char *rel = strdupf("%s" EFI_LINUX, *esp), *dir = rel ? path_rooted(rel) : NULL;
                DIR *d = dir ? opendir(dir) : NULL;
                struct dirent *de;
                while (d && r >= 0 && (de = readdir(d))) {
                        size_t n = strlen(de->d_name);
                        if (n < 5 || strcasecmp(de->d_name + n - 4, ".efi") != 0)
                                continue;
                        _cleanup_free_ char *host = strdupf("%s/%s", rel, de->d_name);
                        _cleanup_free_ char *full = strdupf("%s/%s", dir, de->d_name);
                        if (!host || !full || strv_contains(s.images, host)) {
                                r = host && full ? 0 : -ENOMEM;
                                continue;
                        }
                        r = strv_extend(&s.images, host);
                        if (r >= 0 && has_cmdline_section(full) > 0)
                                r = strv_extend(&s.embedded, host);
                }
                if (d)
                        closedir(d);
        }
        if (r < 0) {
                uki_state_done(&s);
                return r;
        }
        if (read_file(SYSFS_EFIVAR_SECUREBOOT, 64, &sb, &sblen) >= 0 && sblen >= 5)
                s.secure_boot = sb[4] == 1;
        *ret = s;
        return 0;
}

char *uki_verdict(const struct uki_state *s) {
        if (!s->layout_uki && !s->embedded)
                return NULL;
        _cleanup_free_ char *list = s->embedded ? strv_join(s->embedded, " ") : NULL;
        if (s->embedded && s->secure_boot == 1)
                return strdupf("unified kernel images with an embedded command line (%s) and Secure Boot on: "
                               "systemd-stub ignores a command line the loader passes, so an edit of %s reaches the "
                               "kernel only when the UKI is rebuilt (kernel-install add) and signed, or through a "
                               "signed add-on (ukify --cmdline, .addon.efi)",
                               list ? list : "", ETC_KERNEL_CMDLINE);
        if (s->embedded)
                return strdupf("unified kernel images with an embedded command line (%s): an edit of %s reaches "
                               "the kernel only when the UKI is rebuilt (kernel-install add)",
                               list ? list : "", ETC_KERNEL_CMDLINE);
        return strdupf("kernel-install builds unified kernel images (layout=uki): an edit of %s reaches the kernel "
                       "only when the UKI is rebuilt (kernel-install add)%s",
                       ETC_KERNEL_CMDLINE, s->secure_boot == 1 ? " and signed (Secure Boot is on)" : "");
}
