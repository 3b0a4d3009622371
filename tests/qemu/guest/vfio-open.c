/* Opens PCI devices through VFIO the way QEMU does (group -> container ->
 * type1 IOMMU -> device fd) and reads their vendor and device ID from config
 * space: proof that a claimed device is usable, not just listed.
 * Usage: vfio-open 0000:01:00.1 ...; prints "VFIO-OPEN ok|FAIL ADDR ..." per device. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

static int open_one(const char *addr) {
        char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
        struct vfio_group_status gs = { .argsz = sizeof(gs) };
        struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };
        uint16_t ids[2];
        int container, group, device;
        ssize_t n;

        snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", addr);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0) {
                printf("VFIO-OPEN FAIL %s no iommu_group: %s\n", addr, strerror(errno));
                return 1;
        }
        target[n] = 0;
        snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(target, '/') + 1);

        container = open("/dev/vfio/vfio", O_RDWR);
        if (container < 0 || ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
            !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU)) {
                printf("VFIO-OPEN FAIL %s container: %s\n", addr, strerror(errno));
                return 1;
        }
        group = open(path, O_RDWR);
        if (group < 0) {
                printf("VFIO-OPEN FAIL %s %s: %s\n", addr, path, strerror(errno));
                return 1;
        }
        if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs) < 0 || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
                printf("VFIO-OPEN FAIL %s group %s not viable\n", addr, path);
                return 1;
        }
        if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0 ||
            ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
                printf("VFIO-OPEN FAIL %s set container/iommu: %s\n", addr, strerror(errno));
                return 1;
        }
        device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, addr);
        if (device < 0) {
                printf("VFIO-OPEN FAIL %s device fd: %s\n", addr, strerror(errno));
                return 1;
        }
        if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 ||
            pread(device, ids, sizeof(ids), (off_t) ri.offset) != (ssize_t) sizeof(ids)) {
                printf("VFIO-OPEN FAIL %s config space: %s\n", addr, strerror(errno));
                return 1;
        }
        printf("VFIO-OPEN ok %s %s vendor=%04x device=%04x\n", addr, path, ids[0], ids[1]);
        close(device);
        close(group);
        close(container);
        return 0;
}

int main(int argc, char **argv) {
        int failed = 0;
        for (int i = 1; i < argc; i++)
                failed += open_one(argv[i]);
        return failed ? 1 : 0;
}
