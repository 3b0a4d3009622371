/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt initramfs-hook: run by the dracut module and the initramfs-tools hook
 * while they build an initramfs. It learns what the boot needs on the up
 * host (the protected set, the ports behind [sriov IFNAME]), records what the
 * initramfs carries (bootstate.h: config, set and ports digests) and tells
 * the hook which state files to pack: only those that are current. A set
 * that could not be learnt now is not packed as if it were: the boot then
 * defers what it cannot judge, and 'vfpt status' says the initramfs is stale. */
#include <stdio.h>

#include "bootstate.h"
#include "iommu-predict.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "paths.h"
#include "port.h"
#include "protect.h"

/* The protected set learnt now and recorded, as the initramfs will read
 * it: 1 current (digest in out), 0 not (why said), -errno. */
static int learn_set(const char *kver, char out[static DIGEST_MAX]) {
        _cleanup_protect_ struct protect *p = NULL, *q = NULL;
        _cleanup_free_ struct protect_entry *live = NULL;
        char why[512] = "", now[DIGEST_MAX];
        size_t n_live = 0, n = 0;
        int r;

        if (!may_learn(why, sizeof(why)))
                goto stale;
        r = protect_open(false, &p);
        if (r >= 0)
                r = protect_save(p, why, sizeof(why));
        if (r < 0) {
                log_error_errno(r, "%s: cannot record the protected set: %m", path_protected());
                return r;
        }
        r = protect_scan(p, &live, &n_live);
        if (r >= 0)
                r = protected_set_digest(live, n_live, now);
        if (r >= 0)
                r = protect_open(false, &q);
        if (r < 0)
                return r;
        const struct protect_entry *l = protect_learnt_entries(q, &n);
        if (protect_learnt_why_not(q)) {
                snprintf(why, sizeof(why), "%s", protect_learnt_why_not(q));
                goto stale;
        }
        if ((r = protected_set_digest(l, n, out)) < 0)
                return r;
        if (!streq(out, now)) /* protect_save said why it did not record what is seen now */
                goto stale;
        log_info("initramfs of kernel %s: protected set: %s", kver, why);
        return 1;
stale:
        log_warning("initramfs of kernel %s: not carrying the protected set: cannot learn it: %s; at boot, storage "
                    "and network devices matched by ID or driver are deferred until the host is up (rebuild the "
                    "initramfs on the up host to carry it)",
                    kver, *why ? why : "unknown");
        return 0;
}

/* The ports behind [sriov IFNAME], learnt now: 1 current (digest in out),
 * 2 none needed and none learnt (digest in out), 0 not current, -errno */
static int learn_ports_now(const struct config *c, const char *kver, char out[static DIGEST_MAX]) {
        char why[512] = "";
        int r;

        if (!may_learn(why, sizeof(why))) {
                for (size_t i = 0; i < c->n_sriov; i++)
                        if (c->sriov[i].sel.kind == SELECTOR_IFNAME) {
                                log_warning("initramfs of kernel %s: not carrying the interface names [sriov %s] "
                                            "selects by: cannot learn them: %s",
                                            kver, c->sriov[i].sel.ifname, why);
                                return 0;
                        }
                return ports_digest(c, out) < 0 ? -ENOMEM : 2; /* none needed: none carried */
        }
        r = ports_save(c, why, sizeof(why));
        if (r < 0) {
                log_error_errno(r, "%s: cannot record the interface names: %m", path_ports());
                return r;
        }
        log_debug("interface names: %s", why);
        r = ports_digest(c, out);
        return r < 0 ? r : 1;
}

int cmd_initramfs_hook(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        struct initramfs_record rec = {};
        int r;

        r = parse_command_options(ctx, argc, argv,
                                  "vfpt initramfs-hook KVER TOOL\n"
                                  "Used by the dracut module and the initramfs-tools hook while they build the\n"
                                  "initramfs of kernel KVER: on the up host, learns the protected set and the\n"
                                  "interface names the config selects by; records which config, set and names\n"
                                  "the initramfs carries (for 'vfpt status'); prints the state files to carry\n"
                                  "(protected, ports), one a line: only those that are current.\n",
                                  NULL, NULL, NULL);
        if (r == -1)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;
        if (argc - r != 2) {
                log_error("initramfs-hook: expected KVER TOOL");
                return EXIT_USAGE;
        }
        const char *kver = argv[r], *tool = argv[r + 1];
        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        snprintf(rec.tool, sizeof(rec.tool), "%s", tool);
        r = config_digest(c, rec.config);
        if (r < 0) {
                log_error_errno(r, "cannot read the config: %m");
                return EXIT_PARTIAL;
        }
        int ports = learn_ports_now(c, kver, rec.ports);
        int set = learn_set(kver, rec.protected);
        char pwhy[512];
        if (iommu_predict_learn(pwhy, sizeof(pwhy)) < 0) /* issue 32: checked by status after the reboot */
                log_warning("%s: cannot record the predicted IOMMU groups", path_groups_predicted());
        if (ports <= 0)
                *rec.ports = 0;
        if (set <= 0)
                *rec.protected = 0;
        r = bootstate_record_initramfs(kver, &rec);
        command_teardown(NULL);
        if (r < 0) {
                log_error_errno(r, "cannot record the initramfs of kernel %s: %m", kver);
                return r == -EINVAL ? EXIT_USAGE : EXIT_PARTIAL;
        }
        if (set > 0)
                printf("protected\n");
        if (ports == 1 && access(path_ports(), F_OK) == 0)
                printf("ports\n");
        return set < 0 || ports < 0 ? EXIT_PARTIAL : EXIT_OK;
}
