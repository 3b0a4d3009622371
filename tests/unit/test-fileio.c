/* Fault injection for the atomic rewrite: every system call it makes fails
 * in turn; after each failure the file holds exactly the old content or
 * exactly the new (the new only once its rename happened, and then the call
 * says so), the backup beside it holds exactly the previous backup or
 * exactly the old content, and no temporary file is left behind. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fileio.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/vfpt-test-fileio.XXXXXX";
static char path[300], backup[320];
static int fail_at = -1, calls, renames;

static bool should_fail(void) {
        return calls++ == fail_at;
}
static int f_openat(int d, const char *p, int fl, mode_t m) {
        if (should_fail()) { errno = EROFS; return -1; }
        return openat(d, p, fl, m);
}
static ssize_t f_write(int fd, const void *b, size_t n) {
        if (should_fail()) { errno = ENOSPC; return -1; }
        /* short writes too: half, then the rest */
        return write(fd, b, n > 1 ? n / 2 : n);
}
static int f_fsync(int fd) {
        if (should_fail()) { errno = EIO; return -1; }
        return fsync(fd);
}
static int f_fchmod(int fd, mode_t m) {
        if (should_fail()) { errno = EPERM; return -1; }
        return fchmod(fd, m);
}
static int f_fchown(int fd, uid_t u, gid_t g) {
        if (should_fail()) { errno = EPERM; return -1; }
        return fchown(fd, u, g);
}
static int f_renameat(int a, const char *b, int c, const char *d) {
        if (should_fail()) { errno = EXDEV; return -1; }
        int r = renameat(a, b, c, d);
        if (r == 0)
                renames++; /* 1: the backup is in place, 2: the file too */
        return r;
}

static void put(const char *p, const char *text, mode_t mode) {
        FILE *f = fopen(p, "w");
        fputs(text, f);
        fclose(f);
        chmod(p, mode);
}
/* CHECK_FILE(p, text, mode): p holds exactly text, with that mode */
#define CHECK_FILE(p, text, mode)                                                    \
        do {                                                                         \
                char *_got = NULL;                                                   \
                struct stat _st;                                                     \
                CHECK(read_file((p), 4096, &_got, NULL) == 0);                       \
                CHECK_STR(_got, (text));                                             \
                CHECK(stat((p), &_st) == 0 && (_st.st_mode & 07777) == (mode));      \
                free(_got);                                                          \
        } while (0)

static unsigned leftovers(void) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;
        while ((de = readdir(d)))
                if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_every_step_fails_in_turn(void) {
        static const char older[] = "GRUB_CMDLINE_LINUX=\"\"\n# the backup before\n";
        static const char old[] = "GRUB_CMDLINE_LINUX=\"quiet\"\n# keep me\n";
        static const char new[] = "GRUB_CMDLINE_LINUX=\"quiet intel_iommu=on iommu=pt\"\n# keep me\n";
        fileio_ops = (struct fileio_ops) { f_openat, f_write, f_fsync, f_fchmod, f_fchown, f_renameat };
        int failures = 0;
        for (fail_at = 0;; fail_at++) {
                put(backup, older, 0600);
                put(path, old, 0640);
                calls = renames = 0;
                bool replaced = true;
                int r = atomic_replace_full(path, new, strlen(new), ".vfpt.bak", &replaced);
                if (r < 0)
                        failures++;
                else
                        CHECK(renames == 2);
                /* the file: old until its own rename (the first), new from then
                 * on, and the call says which even when what follows failed */
                CHECK(replaced == (renames >= 1));
                CHECK_FILE(path, renames >= 1 ? new : old, 0640);
                /* the backup: written before the file is touched, but named
                 * only once the file is replaced (a failed replace, as of an
                 * immutable file, leaves no stray backup and the previous one
                 * as it was), with the file's mode */
                if (renames == 2)
                        CHECK_FILE(backup, old, 0640);
                else
                        CHECK_FILE(backup, older, 0600);
                CHECK(leftovers() == 0);
                if (calls <= fail_at) /* no call failed: every step has been tried */
                        break;
        }
        CHECK(failures >= 12); /* backup and file: open, writes, fchmod, fchown, fsync, rename; dir fsync */
        fail_at = -1;
}

static void test_mode_kept(void) {
        FILE *f = fopen(path, "w");
        fputs("a\n", f);
        fclose(f);
        chmod(path, 0604);
        CHECK(atomic_replace(path, "b\n", 2, NULL) == 0);
        struct stat st;
        CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0604);
}

/* SELinux labels and ACLs are extended attributes: a rewrite keeps them
 * (user.* here, which needs no privilege or policy) */
static void test_xattrs_kept(void) {
        char v[32] = "";
        put(path, "a\n", 0644);
        CHECK(setxattr(path, "user.vfpt_label", "bootloader_etc_t", 16, 0) == 0);
        CHECK(atomic_replace(path, "b\n", 2, ".vfpt.bak") == 0);
        CHECK(getxattr(path, "user.vfpt_label", v, sizeof(v) - 1) == 16);
        CHECK_STR(v, "bootloader_etc_t");
        memset(v, 0, sizeof(v));
        CHECK(getxattr(backup, "user.vfpt_label", v, sizeof(v) - 1) == 16);
        CHECK_STR(v, "bootloader_etc_t");
}

int main(void) {
        if (!mkdtemp(dir))
                return 99;
        snprintf(path, sizeof(path), "%s/grub", dir);
        snprintf(backup, sizeof(backup), "%s.vfpt.bak", path);
        RUN(test_every_step_fails_in_turn);
        RUN(test_mode_kept);
        RUN(test_xattrs_kept);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                return 99;
        TEST_MAIN_END();
}
