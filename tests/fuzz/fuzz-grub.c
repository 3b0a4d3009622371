/* libFuzzer target: the /etc/default/grub reader and patcher. Beyond not
 * crashing: whatever edit it makes must read back, have every argument in
 * force, and leave every other variable as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "grub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *want[] = { "intel_iommu=on", "iommu=pt", NULL };
        struct grub_file *g = NULL, *h = NULL;
        char **params = NULL, *out = NULL;
        const char *why;
        size_t len;

        if (grub_parse((const char *) data, size, &g) < 0)
                goto done;
        if (grub_patch(g, want, &out, &len, &why) < 0 || !out)
                goto done;
        if (grub_parse(out, len, &h) < 0 || grub_cmdline(h, &params) < 0)
                __builtin_trap();
        for (char **w = want; *w; w++)
                if (!cmdline_satisfies(params, *w))
                        __builtin_trap();
        for (size_t i = 0; i < g->n; i++) {
                const char *n = g->as[i].name;
                if (!strcmp(n, "GRUB_CMDLINE_LINUX") || !strcmp(n, "GRUB_CMDLINE_LINUX_DEFAULT"))
                        continue;
                char *a = grub_value(g, n, NULL), *b = grub_value(h, n, NULL);
                if (!a || !b || strcmp(a, b) != 0)
                        __builtin_trap();
                free(a);
                free(b);
        }
done:
        strv_free(params);
        free(out);
        grub_free(h);
        grub_free(g);
        return 0;
}
