/*
 * Directories (opendir/readdir/closedir over FS_READDIR, one entry a call)
 * and the file server's start by init (fs_start).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi/blk.h"
#include "libsys.h"
#include "libsys_file.h"

DIR *opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = calloc(1, sizeof(*d)))) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fd;
	return d;
}

struct dirent *readdir(DIR *d)
{
	struct fs_dirent e;
	int64_t r = fs_readdir_raw(d->fd, &e);

	if (r <= 0) {
		if (r < 0)
			errno = (int)-r;
		return NULL;
	}
	d->ent.d_ino = (ino_t)e.ino;
	d->ent.d_type = e.type == 1 ? DT_REG : e.type == 2 ? DT_DIR : e.type == 7 ? DT_LNK :
			DT_UNKNOWN;
	memcpy(d->ent.d_name, e.name, sizeof(d->ent.d_name));
	d->ent.d_name[sizeof(d->ent.d_name) - 1] = 0;
	return &d->ent;
}

int closedir(DIR *d)
{
	int r = close(d->fd);

	free(d);
	return r;
}

#define RTC_VA	0x3900000000ul	/* above the mmap area, for a moment */

/* Seconds since 1970 from QEMU virt's goldfish RTC (the device the DTB
 * names), or 0 without one. Reading TIME_LOW latches TIME_HIGH. */
static uint64_t rtc_seconds(const struct proc_device *devs, uint64_t n)
{
	struct device_info di;

	for (uint64_t i = 0; i < n; i++) {
		if (sys_device_info(devs[i].device, &di) < 0 || di.kind != DEV_RTC)
			continue;
		if (sys_map_device(devs[i].device, 0, di.pa, RTC_VA, MAP_R) < 0)
			return 0;
		volatile uint32_t *rtc = (volatile uint32_t *)RTC_VA;
		uint64_t lo = rtc[0], hi = rtc[1];
		sys_unmap(0, RTC_VA, 1);
		return ((hi << 32) | lo) / 1000000000ul;
	}
	return 0;
}

/* Undo a start that failed: the driver (and fsd, if spawned) killed and
 * reaped, the driver's endpoint closed. */
static int64_t start_failed(int64_t r, int64_t blk_pid, int64_t fsd_pid, int64_t ep)
{
	int status;

	if (fsd_pid > 0) {
		kill((pid_t)fsd_pid, SIGKILL);
		waitpid((pid_t)fsd_pid, &status, 0);
	}
	if (blk_pid > 0) {
		kill((pid_t)blk_pid, SIGKILL);
		waitpid((pid_t)blk_pid, &status, 0);
	}
	if (ep > 0)
		sys_handle_close((uint64_t)ep);
	return r;
}

int64_t fs_start(const struct proc_device *devs, uint64_t n)
{
	return fs_start_with(devs, n, NULL);
}

int64_t fs_start_with(const struct proc_device *devs, uint64_t n, const char *option)
{
	int64_t blk_pid = 0, ep = blk_spawn(devs, n, &blk_pid), pid;
	char now[24];
	const char *argv[] = { "fsd", now, option, NULL };
	struct ipc_msg m = { 0 };
	int status;

	snprintf(now, sizeof(now), "%lu", (unsigned long)rtc_seconds(devs, n));
	if (ep < 0)
		return ep;	/* blk_spawn cleaned up after itself */
	if ((pid = spawn_flags(argv, (uint64_t)ep, PSPAWN_DMA | PSPAWN_OOM_PROTECT)) < 0)
		return start_failed(pid, blk_pid, 0, ep);
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_REGISTER, 0, 0), .w = { (uint64_t)pid } };
	if (pager_call(&m) < 0)	/* only that child may become the server */
		return start_failed(-ERR_PERM, blk_pid, pid, ep);
	m = (struct ipc_msg){ 0 };
	sys_handle_close((uint64_t)ep);	/* the driver's clients: fsd alone */
	/* Until fsd registers with the pager, connecting fails; then the
	 * first request waits until it has mounted the disk. */
	while (!fs_connected()) {
		int64_t r = fs_call(FS_STATFS, &m, 0);
		if (r >= 0) {
			atexit(sync);	/* init's end powers off: write back first */
			return pid;
		}
		if (r != -ERR_NOSYS)
			return start_failed(r, blk_pid, pid, 0);
		if (waitpid((pid_t)pid, &status, WNOHANG) == pid)
			return start_failed(-ERR_IO, blk_pid, 0, 0);
		sys_yield();
	}
	return pid;
}
