/* Regression tests for the maintainer review (issue 15): each test failed on
 * the code before its fix. Config numbers, list continuation, long GRUB
 * names, JSON output, the modprobe.d blacklist, BLS entries with several
 * options lines, the atomic rewrite's directory sync, the lock's timed wait,
 * and results that were dropped. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "bootcfg.h"
#include "config.h"
#include "fileio.h"
#include "grub.h"
#include "json.h"
#include "lock.h"
#include "module.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/vfpt-test-review.XXXXXX";

static bool has_error(const struct config *c, unsigned line, const char *needle) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "t.conf:%u: ", line);
        for (char **e = c ? c->errors : NULL; e && *e; e++)
                if (strncmp(*e, prefix, strlen(prefix)) == 0 && strstr(*e, needle))
                        return true;
        return false;
}

static void put(const char *rel, const char *text) {
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        for (char *s = p + strlen(tmpdir) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                mkdir(p, 0755);
                *s = '/';
        }
        FILE *f = fopen(p, "w");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static char *get(const char *rel) {
        char p[512], *s = NULL;
        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        return read_file(p, 1 << 20, &s, NULL) < 0 ? NULL : s;
}

/* 1: counts and ids are decimal; a leading zero or a sign is an error */
static void test_config_numbers_are_decimal(void) {
        struct config *c = NULL;
        int r = config_load_string("t.conf",
                                   "[sriov 0000:01:00.0]\nnum_vfs = 010\n"
                                   "[sriov 0000:02:00.0]\nnum_vfs = +3\n"
                                   "[sriov 0000:03:00.0]\nnum_vfs = 0\n"
                                   "[sriov 0000:04:00.0]\nnum_vfs = 10\n"
                                   "[vfio]\nowner = 010\ngroup = 0100\n",
                                   &c);
        CHECK(r == -EINVAL);
        CHECK(has_error(c, 2, "leading zero"));
        CHECK(has_error(c, 4, "sign"));
        CHECK(!has_error(c, 6, ""));
        CHECK(!has_error(c, 8, ""));
        CHECK(has_error(c, 10, "owner: '010'") && has_error(c, 10, "leading zero"));
        CHECK(has_error(c, 11, "group: '0100'") && has_error(c, 11, "leading zero"));
        CHECK(strv_length(c->errors) == 4);
        CHECK(c->n_sriov == 4 && c->sriov[2].num_vfs == 0 && c->sriov[3].num_vfs == 10);
        config_free(c);

        c = NULL;
        r = config_load_string("t.conf", "[vfio]\nowner = 0\ngroup = 107\n", &c);
        CHECK(r == 0 && streq_ptr(c->vfio_owner, "0") && streq_ptr(c->vfio_group, "107"));
        config_free(c);

        unsigned u = 99;
        CHECK(parse_decimal("010", &u) == -EINVAL && u == 99);
        CHECK(parse_decimal("0x10", &u) == -EINVAL);
        CHECK(parse_decimal("+1", &u) == -EINVAL);
        CHECK(parse_decimal("-1", &u) == -EINVAL);
        CHECK(parse_decimal(" 1", &u) == -EINVAL);
        CHECK(parse_decimal("1\n", &u) == -EINVAL);
        CHECK(parse_decimal("", &u) == -EINVAL);
        CHECK(parse_decimal("4294967296", &u) == -ERANGE);
        CHECK(parse_decimal("0", &u) == 0 && u == 0);
        CHECK(parse_decimal("4294967295", &u) == 0 && u == 4294967295u);
}

/* 2: force continues on indented lines like devices and ids */
static void test_config_force_continues(void) {
        struct config *c = NULL;
        int r = config_load_string("t.conf", "[vfio]\nforce = 0000:01:00.0\n  0000:02:00.0, 0000:03:00.0\n", &c);
        CHECK(r == 0);
        CHECK(c && c->n_force == 3);
        config_free(c);
}

/* 3: $NAME of any length, as sh reads it */
static void test_grub_long_names(void) {
        char name[301], text[1200];
        memset(name, 'A', 300);
        name[300] = 0;
        /* ${A*127} is set; $A*300 (unset) must not be read as ${A*127} followed by text */
        snprintf(text, sizeof(text), "%.127s=\"intel_iommu=on iommu=pt \"\nGRUB_CMDLINE_LINUX=\"$%s\"\n", name, name);
        struct grub_file *g = NULL;
        char **params = NULL;
        CHECK(grub_parse(text, strlen(text), &g) == 0);
        CHECK(g && grub_cmdline(g, &params) == 0);
        CHECK(params && strv_length(params) == 0);
        strv_free(params);
        grub_free(g);

        /* and a long name that is set expands to its value */
        params = NULL;
        g = NULL;
        snprintf(text, sizeof(text), "%s=\"intel_iommu=on\"\nGRUB_CMDLINE_LINUX=\"${%s} iommu=pt\"\n", name, name);
        CHECK(grub_parse(text, strlen(text), &g) == 0);
        CHECK(g && grub_cmdline(g, &params) == 0);
        CHECK(params && strv_length(params) == 2 && streq(params[0], "intel_iommu=on"));
        strv_free(params);
        grub_free(g);
}

static char *json_of(void (*fn)(struct json *j)) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        struct json j;
        json_init(&j, f);
        fn(&j);
        json_finish(&j);
        fclose(f);
        return buf;
}

static void doc_bad_utf8(struct json *j) {
        json_object_begin(j, NULL);
        json_string(j, "file", "/etc/\xff" "grub");
        json_string(j, "cut\xc3", "a\xc3");          /* truncated sequence */
        json_string(j, "over", "\xc0\xaf");          /* overlong '/' */
        json_string(j, "sur", "\xed\xa0\x80");       /* a surrogate */
        json_string(j, "ok", "caf\xc3\xa9 \xe2\x82\xac"); /* valid: as it is */
        json_object_end(j);
}

/* 4: every string goes out as valid UTF-8: invalid bytes become U+FFFD */
static void test_json_invalid_utf8(void) {
        _cleanup_free_ char *s = json_of(doc_bad_utf8);
        CHECK(s && utf8_is_valid(s, strlen(s)));
        CHECK_STR(s, "{\"file\":\"/etc/\\ufffdgrub\",\"cut\\ufffd\":\"a\\ufffd\","
                     "\"over\":\"\\ufffd\\ufffd\",\"sur\":\"\\ufffd\\ufffd\\ufffd\","
                     "\"ok\":\"caf\xc3\xa9 \xe2\x82\xac\"}\n");
}

#define DEEP 100
static void doc_deep(struct json *j) {
        for (int i = 0; i < DEEP; i++) {
                if (i % 2)
                        json_array_begin(j, NULL);
                else
                        json_object_begin(j, i ? "o" : NULL);
                if (i % 2 == 0)
                        json_int(j, "n", i);
        }
        for (int i = DEEP - 1; i >= 0; i--) {
                if (i % 2)
                        json_array_end(j);
                else
                        json_object_end(j);
                if (i > 0 && (i - 1) % 2)
                        json_int(j, NULL, i); /* a member after a closed container, in an array */
                else if (i > 0)
                        json_int(j, "after", i);
        }
}

/* 4: nesting is tracked at any depth */
static void test_json_deep_nesting(void) {
        _cleanup_free_ char *s = json_of(doc_deep);
        /* structural check: balanced, and every ',' is followed by a value or key, never by ']' '}' ',' */
        int depth = 0;
        bool ok = s != NULL;
        for (const char *p = s; ok && *p; p++) {
                if (*p == '{' || *p == '[')
                        depth++;
                else if (*p == '}' || *p == ']')
                        depth--;
                if (*p == ',' && strchr(",]}", p[1]))
                        ok = false;
                if ((*p == '}' || *p == ']') && (p[1] == '{' || p[1] == '[' || p[1] == '"' || (p[1] >= '0' && p[1] <= '9')))
                        ok = false; /* a member after a closed container needs a comma */
                if ((*p == '{' || *p == '[') && p[1] == ',')
                        ok = false;
        }
        CHECK(ok);
        CHECK(depth == 0);
}

/* 6: a module blacklisted in modprobe.d (below $VFPT_ROOT) will not bind */
static void test_module_blacklist(void) {
        char buf[64] = "";
        put("root/etc/modprobe.d/test.conf",
            "alias pci:v000010DEd*sv*sd*bc03sc*i* vfpttest_gpu\n"
            "blacklist vfpttest_gpu\n"
            "alias pci:v00008086d00001521sv*sd*bc*sc*i* vfpttest_nic\n");
        char root[300];
        snprintf(root, sizeof(root), "%s/root", tmpdir);
        setenv("VFPT_ROOT", root, 1);
        module_done();
        int r = module_host_driver_for("pci:v00008086d00001521sv00008086sd00000001bc02sc00i00", buf, sizeof(buf));
        CHECK(r == 1 && streq(buf, "vfpttest_nic"));
        buf[0] = 0;
        r = module_host_driver_for("pci:v000010DEd00001DB6sv000010DEsd00001212bc03sc02i00", buf, sizeof(buf));
        CHECK(r == 0);
        module_done();
        unsetenv("VFPT_ROOT");
}

/* 7: a BLS entry's options lines are read as the loader reads them: all of them */
static void test_bls_several_options_lines(void) {
        char root[300];
        char *want[] = { "intel_iommu=on", "iommu=pt", NULL };
        snprintf(root, sizeof(root), "%s/bls", tmpdir);
        setenv("VFPT_ROOT", root, 1);
        /* the second line turns the IOMMU off again: the loader passes both */
        put("bls/boot/loader/entries/a.conf",
            "title A\nlinux /vmlinuz\noptions root=/dev/sda1 ro intel_iommu=on iommu=pt\noptions quiet intel_iommu=off\ninitrd /initrd\n");
        /* already satisfied over two lines: left alone */
        put("bls/boot/loader/entries/b.conf", "title B\noptions root=/dev/sda1 intel_iommu=on\noptions iommu=pt\n");
        char **changed = NULL, *failed = NULL;
        int r = bootcfg_patch_cmdlines(want, true, true, &changed, &failed);
        CHECK(r == 1);
        strv_free(changed);
        changed = NULL;
        r = bootcfg_patch_cmdlines(want, true, false, &changed, &failed);
        CHECK(r == 1 && strv_length(changed) == 1);
        _cleanup_free_ char *a = get("bls/boot/loader/entries/a.conf"), *b = get("bls/boot/loader/entries/b.conf");
        /* the kernel's rules: intel_iommu=off goes, the intel_iommu=on before it stays */
        CHECK_STR(a, "title A\nlinux /vmlinuz\noptions root=/dev/sda1 ro intel_iommu=on iommu=pt quiet\ninitrd /initrd\n");
        CHECK_STR(b, "title B\noptions root=/dev/sda1 intel_iommu=on\noptions iommu=pt\n");
        strv_free(changed);
        free(failed);
        changed = NULL;
        failed = NULL;
        CHECK(bootcfg_patch_cmdlines(want, true, true, &changed, &failed) == 0);
        strv_free(changed);
        free(failed);
        unsetenv("VFPT_ROOT");
}

static int fsync_calls, fsync_fail_at = -1;
static int fsync_dir_fails(int fd) {
        if (fsync_calls++ == fsync_fail_at) {
                errno = EIO;
                return -1;
        }
        return fsync(fd);
}

/* 9: a failed directory sync after the rename says the file changed */
static void test_fileio_dir_fsync_after_rename(void) {
        char p[300];
        snprintf(p, sizeof(p), "%s/f", tmpdir);
        put("f", "old\n");
        struct fileio_ops saved = fileio_ops;
        fileio_ops.fsync = fsync_dir_fails;
        fsync_calls = 0;
        fsync_fail_at = 1; /* the first is the temporary file's, the second the directory's */
        bool replaced = false;
        int r = atomic_replace_full(p, "new\n", 4, NULL, &replaced);
        fileio_ops = saved;
        _cleanup_free_ char *got = get("f");
        CHECK(r == -EIO);
        CHECK_STR(got, "new\n");
        CHECK(replaced);
        /* a failure before the rename: unchanged, and said so */
        fileio_ops.fsync = fsync_dir_fails;
        fsync_calls = 0;
        fsync_fail_at = 0;
        replaced = true;
        r = atomic_replace_full(p, "newer\n", 6, NULL, &replaced);
        fileio_ops = saved;
        free(got);
        got = get("f");
        CHECK(r == -EIO && !replaced);
        CHECK_STR(got, "new\n");
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* runs lock_take(1) in a child while the lock is held, with SIGALRM blocked
 * (a caller's choice the old alarm() design could not survive); the child
 * must give up with -ETIMEDOUT after about a second, not hang */
static void test_lock_times_out_without_signals(void) {
        char root[300];
        snprintf(root, sizeof(root), "%s/lockroot", tmpdir);
        put("lockroot/run/.keep", "");
        setenv("VFPT_ROOT", root, 1);
        int held = lock_take(1);
        CHECK(held >= 0);
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
                sigset_t ss;
                sigemptyset(&ss);
                sigaddset(&ss, SIGALRM);
                sigprocmask(SIG_BLOCK, &ss, NULL);
                int r = lock_take(1);
                _exit(r == -ETIMEDOUT ? 0 : 1);
        }
        int status = -1;
        pid_t w = 0;
        while (now() - t0 < 5 && (w = waitpid(pid, &status, WNOHANG)) == 0)
                usleep(20000);
        if (w == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                CHECK(!"lock_take hung");
        } else
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        double took = now() - t0;
        CHECK(took >= 0.9 && took < 3);
        if (held >= 0)
                close(held);
        unsetenv("VFPT_ROOT");
}

static void on_alarm(int sig _unused_) {}

/* and a caller's own alarm survives a lock_take */
static void test_lock_leaves_callers_alarm(void) {
        char root[300];
        snprintf(root, sizeof(root), "%s/lockroot", tmpdir);
        setenv("VFPT_ROOT", root, 1);
        struct sigaction sa = { .sa_handler = on_alarm }, old;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, &old);
        alarm(30);
        int fd = lock_take(1);
        CHECK(fd >= 0);
        CHECK(alarm(0) > 20);
        struct sigaction cur;
        sigaction(SIGALRM, NULL, &cur);
        CHECK(cur.sa_handler == on_alarm);
        sigaction(SIGALRM, &old, NULL);
        if (fd >= 0)
                close(fd);
        unsetenv("VFPT_ROOT");
}

/* 11: a NULL (a failed allocation) is never pushed into a list */
static void test_strv_push_null(void) {
        char **l = NULL;
        CHECK(strv_extend(&l, "a") == 0);
        CHECK(strv_push(&l, NULL) == -ENOMEM);
        CHECK(strv_extend(&l, "b") == 0);
        CHECK(strv_length(l) == 2 && streq(l[1], "b"));
        strv_free(l);
}

int main(void) {
        if (!mkdtemp(tmpdir))
                return 99;
        RUN(test_config_numbers_are_decimal);
        RUN(test_config_force_continues);
        RUN(test_grub_long_names);
        RUN(test_json_invalid_utf8);
        RUN(test_json_deep_nesting);
        RUN(test_module_blacklist);
        RUN(test_bls_several_options_lines);
        RUN(test_fileio_dir_fsync_after_rename);
        RUN(test_lock_times_out_without_signals);
        RUN(test_lock_leaves_callers_alarm);
        RUN(test_strv_push_null);
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                return 99;
        TEST_MAIN_END();
}
