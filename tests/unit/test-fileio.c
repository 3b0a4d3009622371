/* Fault injection for the atomic rewrite: every system call it makes fails
 * in turn; after each failure the file holds the old content or the new,
 * never a mix, and no temporary file is left behind. Also the blkid probe
 * of what a block device (here an image file) holds. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "disk.h"
#include "fileio.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/vfpt-test-fileio.XXXXXX";
static char path[300];
static int fail_at = -1, calls;

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
        return renameat(a, b, c, d);
}

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
        static const char old[] = "GRUB_CMDLINE_LINUX=\"quiet\"\n# keep me\n";
        static const char new[] = "GRUB_CMDLINE_LINUX=\"quiet intel_iommu=on iommu=pt\"\n# keep me\n";
        fileio_ops = (struct fileio_ops) { f_openat, f_write, f_fsync, f_fchmod, f_fchown, f_renameat };
        int failures = 0;
        for (fail_at = 0;; fail_at++) {
                FILE *f = fopen(path, "w");
                fputs(old, f);
                fclose(f);
                calls = 0;
                int r = atomic_replace(path, new, strlen(new), ".vfpt.bak");
                char *got = NULL;
                CHECK(read_file(path, 4096, &got, NULL) == 0);
                if (r < 0) {
                        failures++;
                        /* failed before the rename of the file itself: old content */
                        CHECK(got && (streq(got, old) || streq(got, new)));
                } else
                        CHECK(got && streq(got, new));
                CHECK(leftovers() == 0);
                free(got);
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

static void test_blkid_describe(void) {
        char img[320], cmd[1024], buf[128];
        snprintf(img, sizeof(img), "%s/fs.img", dir);
        snprintf(cmd, sizeof(cmd),
                 "truncate -s 8M %s && mkfs.ext4 -q -F -U 6f1c8c8e-6a4e-4a4d-9d7e-1c2b3a4d5e6f %s >/dev/null 2>&1", img, img);
        CHECK(system(cmd) == 0);
        CHECK(disk_describe(img, buf, sizeof(buf)) == 0);
        CHECK_STR(buf, "ext4 UUID=6f1c8c8e-6a4e-4a4d-9d7e-1c2b3a4d5e6f");
        snprintf(cmd, sizeof(cmd), "truncate -s 0 %s && truncate -s 1M %s", img, img);
        CHECK(system(cmd) == 0);
        CHECK(disk_describe(img, buf, sizeof(buf)) == -ENOENT);
        unlink(img);
}

int main(void) {
        if (!mkdtemp(dir))
                return 99;
        snprintf(path, sizeof(path), "%s/grub", dir);
        RUN(test_every_step_fails_in_turn);
        RUN(test_mode_kept);
        RUN(test_blkid_describe);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                return 99;
        TEST_MAIN_END();
}
