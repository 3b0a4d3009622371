/* libFuzzer target: the rtnetlink reply parsers of agent/netlink.c (what
 * netlink_vf_get() and netlink_perm_addr() read from the kernel). The first
 * byte picks the parser (even: the VF settings, odd: the permanent
 * address), the rest is the kernel's answer for ifindex 7. Beyond not
 * crashing (attribute types past the build's IFLA_MAX, truncated payloads):
 * an answer taken is whole and says only what the kernel can say. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct vf_settings *vfs = NULL;
        uint8_t mac[6];
        size_t n = 0;

        if (size < 1)
                return 0;
        /* the kernel's buffer is aligned; the fuzzer's data + 1 is not */
        void *buf = malloc(size - 1 ? size - 1 : 1);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, size - 1);
        if (data[0] & 1) {
                int r = netlink_perm_addr_parse(buf, size - 1, 7, mac);
                if (r > 0)
                        __builtin_trap();
        } else {
                int r = netlink_vf_parse(buf, size - 1, 7, &vfs, &n);
                if (r > 0 || (r == 0 && n > 65536) || (r < 0 && (vfs || n)))
                        __builtin_trap();
                for (size_t i = 0; r == 0 && i < n; i++)
                        if ((vfs[i].set & ~(unsigned) VF_SET_ALL) ||
                            ((vfs[i].set & VF_SET_LINK_STATE) && vfs[i].link_state > VF_LINK_DISABLE))
                                __builtin_trap();
                free(vfs);
        }
        free(buf);
        return 0;
}
