/*
 * Fills straight from the disk (docs/file-server.md "Fills straight from
 * the disk"): the file server has virtio-blk read a fill's pages into the
 * pager's frames by physical address. What this checks, one mode a boot:
 *   vmphys    (no disk) SYS_VM_PHYS and SYS_TASK_DMA: refused to an
 *             unprivileged process (the child mode "vmphys-child"), bad
 *             ranges, pages not mapped, read-only, a read-only out buffer;
 *             a DMA page's address is the one dma_alloc gave
 *   blkpages  (the blk pattern disk; we start the driver) BLK_READ_PAGES:
 *             malformed requests refused, a read into our own pages equals
 *             the pool's, and an unprivileged child holding a badged
 *             endpoint (the child mode "blkpages-child") is refused
 *   content   (an ext2 image) every byte of /data/cold.bin through a cold
 *             mapping and of /data/big.bin (a partial last page) through
 *             read(), with most pages read straight into frames; a block
 *             written with write() and not yet on the disk is what a cold
 *             fault of its page shows
 *   ioerror   (the image behind blkdebug failing one block of cold.bin,
 *             test/direct-run.sh) the page with the bad block is SIGBUS,
 *             its neighbours are right, and no frame of the failed fill
 *             is written after it was freed
 *   exitwait  children killed while their faults wait on direct reads
 *   fsddies   the file server killed while its direct reads are in
 *             flight: the pager keeps the fetched fills' frames
 *             (PAGER_QUARANTINE), and memory stays what it was written
 * After each: pager_check, and a pass over fresh memory written and read
 * back after the disk had time to finish anything left in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "abi/blk.h"
#include "abi/fs.h"
#include "abi/pager.h"
#include "t.h"

#define PS		PAGE_SIZE
#define COLD_BYTES	(65536ul * 64)	/* /data/cold.bin: "cold %058d\n" lines */
#define BIG_BYTES	300000ul	/* /data/big.bin: 'A' + i % 23 */
#define SIGBUS_STATUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)

static const char *self = "test_direct";

/* cold.bin opened to read; a failed check if it cannot be. */
static int open_cold(void)
{
	int fd = open("/data/cold.bin", O_RDONLY);

	CHECK(fd >= 0);
	return fd;
}

/* cold.bin (fd) mapped whole, shared and read-only; NULL (a failed check)
 * if it cannot be. */
static volatile char *map_cold(int fd)
{
	volatile char *p = mmap(NULL, COLD_BYTES, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	return p == MAP_FAILED ? NULL : p;
}

static bool cold_line_ok(const volatile char *p, uint64_t line)
{
	char want[65];

	snprintf(want, sizeof(want), "cold %058lu\n", (unsigned long)line);
	for (int i = 0; i < 64; i++)
		if (p[i] != want[i])
			return false;
	return true;
}

/* Fresh memory, written, left while the disk may still finish what was
 * in flight, read back: a device write into a frame freed too early
 * would show here. */
static void memory_intact(void)
{
	const uint64_t len = 16ul << 20;
	volatile uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t bad = 0;

	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (uint64_t i = 0; i < len / 8; i++)
		p[i] = i * 0x9e3779b97f4a7c15ul;
	for (int k = 0; k < 2000; k++)
		sys_yield();
	for (uint64_t i = 0; i < len / 8; i++)
		bad += p[i] != i * 0x9e3779b97f4a7c15ul;
	CHECK_EQ(bad, 0);
	munmap((void *)p, len);
}

static void direct_stats(uint64_t w[6])
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_DIRECTSTATS, &m, 0), 0);
	memcpy(w, m.w, 6 * sizeof(uint64_t));
}

/* ---- vmphys ---- */

static int vmphys_child(void)
{
	uint64_t pa[2] = { 0 };
	static char page[PS] __attribute__((aligned(4096)));
	int64_t task;

	page[0] = 1;
	/* Not a DMA user: no physical address, not even of its own page. */
	CHECK_EQ(sys_vm_phys((uint64_t)page, 1, pa), -ERR_PERM);
	CHECK_EQ(pa[0], 0);
	/* Nor can it make a task of its own one (root task only). */
	task = sys_task_create();
	CHECK(task > 0);
	if (task > 0) {
		CHECK_EQ(sys_task_dma((uint64_t)task), -ERR_PERM);
		sys_task_destroy((uint64_t)task);
	}
	CHECK_EQ(sys_task_dma(0), -ERR_PERM);
	return t_failures ? 1 : 0;
}

static void vmphys(void)
{
	uint64_t pa[VM_PHYS_MAX + 1], dma_pa = 0;
	int64_t va = dma_alloc(4 * PS, &dma_pa);
	int status = -1;

	CHECK(va > 0);
	if (va <= 0)
		return;
	/* init is a DMA user: its DMA pages are where dma_alloc said. */
	CHECK_EQ(sys_vm_phys((uint64_t)va, 4, pa), 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pa[i], dma_pa + (uint64_t)i * PS);
	/* Bad ranges. */
	CHECK_EQ(sys_vm_phys((uint64_t)va + 8, 1, pa), -ERR_INVAL);
	CHECK_EQ(sys_vm_phys((uint64_t)va, 0, pa), -ERR_INVAL);
	CHECK_EQ(sys_vm_phys((uint64_t)va, VM_PHYS_MAX + 1, pa), -ERR_INVAL);
	CHECK_EQ(sys_vm_phys(USER_TOP - PS, 2, pa), -ERR_INVAL);
	CHECK_EQ(sys_vm_phys(~0ul & ~(PS - 1), 1, pa), -ERR_INVAL);
	/* A page not mapped (one untouched, one past the mapping): nothing
	 * written. */
	char *lazy = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(lazy != MAP_FAILED);
	lazy[0] = 1;
	pa[0] = pa[1] = 7;
	CHECK_EQ(sys_vm_phys((uint64_t)lazy, 2, pa), -ERR_FAULT);
	CHECK_EQ(pa[0], 7);
	CHECK_EQ(sys_vm_phys((uint64_t)lazy, 1, pa), 1);
	/* Read-only: a device must not be told to write there. */
	CHECK_EQ(mprotect(lazy, PS, PROT_READ), 0);
	CHECK_EQ(sys_vm_phys((uint64_t)lazy, 1, pa), -ERR_FAULT);
	/* The answer into read-only memory, or nowhere. */
	CHECK_EQ(sys_vm_phys((uint64_t)va, 1, (uint64_t *)lazy), -ERR_FAULT);
	CHECK_EQ(sys_vm_phys((uint64_t)va, 1, (uint64_t *)8), -ERR_FAULT);
	munmap(lazy, 2 * PS);
	/* An unprivileged process: spawned without PSPAWN_DMA. */
	const char *argv[] = { self, "vmphys-child", NULL };
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	if (pid > 0) {
		CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		CHECK_EQ(status, 0);
	}
}

/* ---- blkpages ---- */

#define POOL_LEN	(256ul * 1024)

static uint64_t call_pages(uint64_t ep, uint64_t sector, uint64_t npages, const uint64_t *pa,
			   uint64_t len)
{
	struct ipc_msg m = { .info = ipc_info(BLK_READ_PAGES, len, 0),
			     .w = { sector, npages } };

	memcpy(ipcbuf(), pa, len);
	int64_t r = ipc_call(ep, &m);
	return r < 0 ? (uint64_t)r : m.w[0];
}

static int blkpages_child(void)
{
	uint64_t ep = libsys_start_info.granted, pa[2];
	struct blk_client c;
	static char page[2 * PS] __attribute__((aligned(4096)));

	page[0] = page[PS] = 1;
	CHECK(ep > 0);
	CHECK_EQ(blk_attach(&c, ep), 0);
	/* Any address it names: it is not the client that set the pool. */
	pa[0] = 0x80000000ul;
	pa[1] = 0x80200000ul;	/* the kernel's own image */
	CHECK_EQ((int64_t)call_pages(ep, 0, 2, pa, 16), -ERR_PERM);
	CHECK_EQ(blk_submit_pages(&c, 0, 1, pa), -ERR_PERM);
	/* Plain reads into the pool still work for it. */
	int64_t t = blk_submit(&c, BLK_READ, 0, 1, 0);
	CHECK(t >= 0);
	if (t >= 0)
		CHECK_EQ(blk_wait(&c, t), 0);
	return t_failures ? 1 : 0;
}

static void blkpages(void)
{
	const struct proc_start *ps = &libsys_start_info;
	uint64_t pool_pa = 0, bufs_pa = 0, pa[BLK_PAGES_MAX + 1];
	int64_t pool = dma_alloc(POOL_LEN, &pool_pa), bufs = dma_alloc(8 * PS, &bufs_pa), ep, t;
	struct blk_client c;
	int status = -1;

	CHECK(pool > 0 && bufs > 0);
	if (pool <= 0 || bufs <= 0)
		return;
	ep = blk_start(ps->devices, ps->ndevices, (uint64_t)pool_pa, POOL_LEN);
	CHECK(ep > 0);
	if (ep <= 0)
		return;
	CHECK_EQ(blk_attach(&c, (uint64_t)ep), 0);
	CHECK_EQ(sys_vm_phys((uint64_t)bufs, 8, pa), 8);
	/* Malformed: counts, payload length, range, alignment. */
	CHECK_EQ(blk_submit_pages(&c, 0, 0, pa), -ERR_INVAL);
	CHECK_EQ(blk_submit_pages(&c, 0, BLK_PAGES_MAX + 1, pa), -ERR_INVAL);
	CHECK_EQ((int64_t)call_pages((uint64_t)ep, 0, 2, pa, 8), -ERR_INVAL);
	CHECK_EQ((int64_t)call_pages((uint64_t)ep, 0, BLK_PAGES_MAX + 1, pa,
				     (BLK_PAGES_MAX + 1) * 8), -ERR_INVAL);
	CHECK_EQ((int64_t)call_pages((uint64_t)ep, 0, 1ul << 61, pa, 8), -ERR_INVAL);
	CHECK_EQ(blk_submit_pages(&c, c.info.capacity - 4, 1, pa), -ERR_INVAL);
	CHECK_EQ(blk_submit_pages(&c, ~0ul - 3, 1, pa), -ERR_INVAL);
	uint64_t odd[2] = { pa[0] + 512, pa[1] };
	CHECK_EQ(blk_submit_pages(&c, 0, 2, odd), -ERR_INVAL);
	uint64_t zero = 0;
	CHECK_EQ(blk_submit_pages(&c, 0, 1, &zero), -ERR_INVAL);
	uint64_t wrap = ~0ul & ~(PS - 1);
	CHECK_EQ(blk_submit_pages(&c, 0, 1, &wrap), -ERR_INVAL);
	/* A real read: pages out of order in memory, and in order (one
	 * descriptor for the run), equal to the pool's copy. */
	uint64_t order[8] = { pa[5], pa[6], pa[7], pa[0], pa[1], pa[3], pa[2], pa[4] };
	memset((void *)bufs, 0, 8 * PS);
	t = blk_submit_pages(&c, 64, 8, order);
	CHECK(t >= 0);
	if (t >= 0)
		CHECK_EQ(blk_wait(&c, t), 0);
	t = blk_submit(&c, BLK_READ, 64, 64, 0);
	CHECK(t >= 0);
	if (t >= 0)
		CHECK_EQ(blk_wait(&c, t), 0);
	static const int where[8] = { 5, 6, 7, 0, 1, 3, 2, 4 };
	for (int i = 0; i < 8; i++)
		CHECK(!memcmp((char *)bufs + where[i] * PS, (char *)pool + i * PS, PS));
	/* An unprivileged child with a badged copy of the endpoint. */
	int64_t h = sys_handle_grant(0, (uint64_t)ep, 1, RIGHT_SEND | RIGHT_GRANT);
	CHECK(h > 0);
	const char *argv[] = { self, "blkpages-child", NULL };
	int64_t pid = spawn(argv, (uint64_t)h);
	CHECK(pid > 0);
	if (pid > 0) {
		CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		CHECK_EQ(status, 0);
	}
}

/* ---- content ---- */

static void dirty_block(void)
{
	/* A block dirty in the server's cache, not yet on the disk: a cold
	 * fault of its page must show it, not the disk's older bytes. Before
	 * anything else maps the file, so that its pages are not cached. */
	int fd = open("/data/cold.bin", O_RDWR);
	char old[5];

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(pread(fd, old, 5, 40 * PS + 100), 5);
	CHECK_EQ(pwrite(fd, "DIRTY", 5, 40 * PS + 100), 5);
	volatile char *p = mmap(NULL, 64 * PS, PROT_READ, MAP_SHARED, fd, 32 * PS);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		CHECK(!memcmp((const char *)p + 8 * PS + 100, "DIRTY", 5));
		CHECK(cold_line_ok(p, 32 * PS / 64));
		CHECK(cold_line_ok(p + 63 * PS, (95 * PS) / 64));
		munmap((void *)p, 64 * PS);
	}
	CHECK_EQ(pwrite(fd, old, 5, 40 * PS + 100), 5);	/* as the image has it */
	close(fd);
}

static void content(void)
{
	uint64_t d0[6], d1[6], bad = 0;
	int fd = open_cold();

	dirty_block();
	if (fd < 0)
		return;
	direct_stats(d0);
	volatile char *p = map_cold(fd);
	if (!p)
		return;
	for (uint64_t line = 0; line < COLD_BYTES / 64; line++)
		bad += !cold_line_ok(p + line * 64, line);
	CHECK_EQ(bad, 0);
	direct_stats(d1);
	printf("direct: cold.bin: %lu of %lu pages read straight into frames, %lu reads\n",
	       (unsigned long)(d1[1] - d0[1]), (unsigned long)(COLD_BYTES / PS),
	       (unsigned long)(d1[2] - d0[2]));
	/* Most: a page with an indirect block among its blocks (1 KiB
	 * blocks) is copied. */
	CHECK(d1[1] - d0[1] >= COLD_BYTES / PS / 2);
	munmap((void *)p, COLD_BYTES);
	close(fd);

	/* read(): the partial last page is zero past the end. */
	static char buf[64 * 1024];
	uint64_t off = 0;
	fd = open("/data/big.bin", O_RDONLY);
	CHECK(fd >= 0);
	for (ssize_t n; fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0; off += (uint64_t)n)
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != (char)('A' + (off + (uint64_t)i) % 23);
	CHECK_EQ(off, BIG_BYTES);
	CHECK_EQ(bad, 0);
	volatile char *q = mmap(NULL, 74 * PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(q != MAP_FAILED);
	if (q != MAP_FAILED) {
		CHECK_EQ(q[BIG_BYTES - 1], (char)('A' + (BIG_BYTES - 1) % 23));
		for (uint64_t i = BIG_BYTES; i < 74 * PS; i++)
			bad += q[i] != 0;
		CHECK_EQ(bad, 0);
		munmap((void *)q, 74 * PS);
	}
	close(fd);

}

/* ---- ioerror ---- */

/* blkdebug fails reads of the block holding byte BAD_PAGE * 4096 of
 * cold.bin (direct-run.sh asks debugfs where it lies). */
#define BAD_PAGE	200

static int touch_page(void *arg)
{
	volatile char *p = arg;

	return p[0] == 'c' ? 0 : 2;
}

static int in_child(int (*fn)(void *), void *arg)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void ioerror(void)
{
	int fd = open_cold(), st;

	if (fd < 0)
		return;
	volatile char *p = map_cold(fd);
	if (!p)
		return;
	/* The fill that holds the bad block fails; every fault on it is
	 * SIGBUS, and the fills around it are whole. */
	st = in_child(touch_page, (void *)(p + BAD_PAGE * PS));
	CHECK(SIGBUS_STATUS(st));
	printf("direct: fault on the bad block: status %d\n", st);
	CHECK(cold_line_ok(p + (BAD_PAGE - 16) * PS, (BAD_PAGE - 16) * PS / 64));
	CHECK(cold_line_ok(p + (BAD_PAGE + 16) * PS, (BAD_PAGE + 16) * PS / 64));
	for (int i = 0; i < 3; i++) {
		st = in_child(touch_page, (void *)(p + BAD_PAGE * PS));
		CHECK(SIGBUS_STATUS(st));
		memory_intact();
	}
	munmap((void *)p, COLD_BYTES);
	close(fd);
}

/* ---- exitwait ---- */

static volatile uint64_t *progress;	/* shared: pages a scan has read */

/* progress, on a page shared with the scanners; false (a failed check)
 * if it cannot be had. */
static bool progress_map(void)
{
	progress = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(progress != MAP_FAILED);
	return progress != MAP_FAILED;
}
static uint64_t scan_len = COLD_BYTES;	/* bytes a scan reads */

static int scan_cold(void *arg)
{
	volatile char *p = arg;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < scan_len; i += PS) {
		sum += (unsigned char)p[i];
		if (progress)
			(*progress)++;
	}
	return sum ? 0 : 2;
}

static void exitwait(void)
{
	int fd = open_cold(), status;

	if (fd < 0)
		return;
	if (!progress_map())
		return;
	for (int round = 0; round < 8; round++) {
		/* A fresh mapping each round: MS_INVALIDATE drops what the
		 * last round's reader left cached. */
		volatile char *p = map_cold(fd);
		if (!p)
			return;
		(void)msync((void *)p, COLD_BYTES, MS_INVALIDATE);
		*progress = 0;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(scan_cold((void *)p));
		/* Killed part way, while its next fault waits on the disk. */
		while (*progress < 64 + (uint64_t)round * 100 && *progress < COLD_BYTES / PS)
			sys_yield();
		CHECK(*progress < COLD_BYTES / PS);
		CHECK_EQ(kill(pid, SIGKILL), 0);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		munmap((void *)p, COLD_BYTES);
		memory_intact();
	}
	close(fd);
}

/* ---- fsddies ---- */

static void fsddies(int64_t fsd_pid)
{
	int fd = open_cold(), status;
	struct ipc_msg m = { .info = ipc_info(PAGER_QUARANTINE, 0, 0) };

	if (fd < 0)
		return;
	volatile char *p = map_cold(fd);
	if (!p)
		return;
	if (!progress_map())
		return;
	*progress = 0;
	scan_len = COLD_BYTES / 3 & ~(PS - 1);	/* a third each */
	fflush(stdout);
	pid_t readers[3];
	for (int i = 0; i < 3; i++) {
		if ((readers[i] = fork()) == 0)
			_exit(scan_cold((void *)(p + (uint64_t)i * scan_len)));
	}
	/* Killed while the readers wait on fills it has fetched. */
	while (*progress < 100)
		sys_yield();
	CHECK_EQ(kill((pid_t)fsd_pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)fsd_pid, &status, 0), fsd_pid);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(waitpid(readers[i], &status, 0), readers[i]);
		CHECK(SIGBUS_STATUS(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
	}
	int64_t kept = pager_call(&m);
	CHECK(kept > 0);	/* its fetched fills: none freed under the device */
	printf("direct: the server died; %ld fill frames kept from reuse\n", (long)kept);
	memory_intact();
	munmap((void *)p, COLD_BYTES);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "vmphys";
	char name[64];
	int64_t fsd_pid = 0;

	if (!strcmp(mode, "vmphys-child"))
		return vmphys_child();
	if (!strcmp(mode, "blkpages-child"))
		return blkpages_child();
	snprintf(name, sizeof(name), "direct %s", mode);
	if (!strcmp(mode, "vmphys")) {
		vmphys();
	} else if (!strcmp(mode, "blkpages")) {
		blkpages();
	} else {
		fsd_pid = fs_start(libsys_start_info.devices, libsys_start_info.ndevices);
		CHECK(fsd_pid > 0);
		if (fsd_pid <= 0)
			return t_done(name);
		if (!strcmp(mode, "content"))
			content();
		else if (!strcmp(mode, "ioerror"))
			ioerror();
		else if (!strcmp(mode, "exitwait"))
			exitwait();
		else if (!strcmp(mode, "fsddies"))
			fsddies(fsd_pid);
		else
			CHECK(!"a known mode");
	}
	memory_intact();
	CHECK_EQ(pager_check(), 0);
	int r = t_done(name);
	if (!strcmp(mode, "fsddies")) {
		fflush(stdout);
		_exit(r);	/* no sync at exit: the server is gone */
	}
	return r;
}
