/*
 * The pager's half of file mappings, attacked from ordinary processes
 * (docs/page-cache.md). Each mode (argv[1]) is one attack, then
 * after_attack (attack.h): the checker passes, init still works.
 *
 *   perm     no file server: every PAGER_OBJ_* label, with words at their
 *            edges and payloads of every size, from init and from a child,
 *            is refused with -ERR_PERM (only the registered server may map
 *            a file into a process, fetch requests or answer them);
 *            PAGER_MSYNC checks its arguments as POSIX says (EINVAL for an
 *            unaligned address, MS_SYNC|MS_ASYNC or unknown flags, ENOMEM
 *            for a range not mapped) and does nothing on anonymous memory.
 *   waitdie  (with the file server and a disk) processes killed while
 *            their faults wait for fills, alone and among others waiting
 *            on the same pages: the others get the right bytes, the
 *            checker finds every frame accounted for, and once the file is
 *            unmapped everywhere its cache is gone (PAGER_VMA_LIST shows
 *            no file VMA left, the free frames come back).
 *   oomcache (with the file server) a file read through a mapping fills
 *            the cache; a child then touches more anonymous memory than is
 *            free: the cache's clean pages are dropped instead of anyone
 *            being killed, and the mapping reads the file again after.
 *   expire   (with the file server) a store through MAP_SHARED that nobody
 *            msyncs or unmaps reaches the file server by background
 *            write-back once the page has been dirty for the policy's
 *            5 s, and no sooner than that (FS_MAPSTATS counts it), while
 *            requests reach the pager (backing_poll).
 *   expire_idle  the same with no request reaching the pager meanwhile:
 *            its timer (ptimer.c) wakes it.
 *   rmap     (with the file server) the reverse map follows split
 *            (mprotect), merge, mremap (moved and grown), fork and a
 *            partial munmap: a shrinking ftruncate then takes the pages
 *            from every mapper, shared and private (each touch is SIGBUS),
 *            a store through one mapping is seen through every other, and
 *            the checker agrees after every step.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "attack.h"
#include "libsys_file.h"

static const uint64_t obj_labels[] = {
	PAGER_OBJ_MAP, PAGER_OBJ_FETCH, PAGER_OBJ_DONE, PAGER_OBJ_SIZE, PAGER_OBJ_PEEK,
	PAGER_OBJ_FLUSH,
};
static const uint64_t words[] = { 0, 1, 2, PS, 1ul << 31, 1ul << 32, 1ul << 63, ~0ul };
#define NWORDS (sizeof(words) / sizeof(words[0]))

static int obj_calls_refused(void)
{
	struct pager_obj_map *a = ipcbuf();
	int bad = 0;

	for (unsigned l = 0; l < sizeof(obj_labels) / sizeof(obj_labels[0]); l++)
		for (unsigned i = 0; i < NWORDS; i++)
			for (unsigned j = 0; j < NWORDS; j++) {
				uint64_t len = (i * NWORDS + j) % 3 == 0 ? sizeof(*a) :
					       (i + j) * 97 % 4097;
				memset(a, 0, sizeof(*a));
				a->pid = (uint64_t)getpid();	/* ourselves: a valid client */
				a->key = words[j] ? words[j] : 2;
				a->size = 1 << 20;
				a->length = PS;
				a->prot = MAP_R | MAP_W;
				a->flags = PMAP_SHARED;
				int64_t r = call(obj_labels[l], len, words[i], words[j], words[(i + j) % NWORDS],
						 words[j], 0);
				if (r != -ERR_PERM) {
					printf("FAIL: label %lu words %lx %lx: %ld\n",
					       (unsigned long)obj_labels[l], (unsigned long)words[i],
					       (unsigned long)words[j], (long)r);
					bad++;
				}
			}
	return bad;
}

static int msync_rules(void)
{
	char *m = mmap(NULL, 5 * PS, RW, ANON_PRIV, -1, 0);
	char *s = mmap(NULL, 4 * PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(m != MAP_FAILED && s != MAP_FAILED);
	if (m == MAP_FAILED || s == MAP_FAILED)
		return 1;
	CHECK_EQ(munmap(m + 4 * PS, PS), 0);	/* a hole after m's 4 pages */
	m[0] = s[0] = 1;
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m + 1, PS, PMS_SYNC, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, PS, PMS_SYNC | PMS_ASYNC, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, PS, 8, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, PS, ~0ul, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, 5 * PS, PMS_SYNC, 0, 0), -ERR_NOMEM);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, ~0ul - PS, PMS_SYNC, 0, 0), -ERR_NOMEM);
	CHECK_EQ(call(PAGER_MSYNC, 0, USER_TOP, PS, PMS_ASYNC, 0, 0), -ERR_NOMEM);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, 0, PMS_SYNC, 0, 0), 0);
	for (uint64_t f = 0; f <= (PMS_SYNC | PMS_INVALIDATE); f++) {
		if ((f & (PMS_SYNC | PMS_ASYNC)) == (PMS_SYNC | PMS_ASYNC))
			continue;
		CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, 4 * PS, f, 0, 0), 0);
		CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)s, 4 * PS, f, 0, 0), 0);
	}
	CHECK_EQ(m[0] + s[0], 2);	/* INVALIDATE leaves anonymous memory alone */
	munmap(m, 4 * PS);
	munmap(s, 4 * PS);
	return 0;
}

static int child_perm(void)
{
	int bad = obj_calls_refused();

	msync_rules();
	return bad || t_failures ? 1 : 0;
}

static int run_perm(void)
{
	int st;

	shared = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(obj_calls_refused(), 0);
	msync_rules();
	st = in_child(child_perm);
	CHECK(IS_EXIT(st, 0));
	after_attack("filemap_pager_perm");
	return t_done("filemap_pager_perm");
}

/* ---- waitdie ---- */

#define WD_PAGES	1024	/* a 4 MiB file */

static char wd_pat(uint64_t i)
{
	return (char)('A' + (i * 13 + i / PS) % 23);
}

/* Map the file and read pages from `first` on, `step` apart (RANDOM:
 * one page per fill, so every fault waits), checking each; flags[slot]
 * set once mapped. 0 if every byte was right. */
static int wd_reader(uint64_t first, uint64_t step, int slot)
{
	int fd = open("/wd", O_RDONLY);
	volatile char *p = fd < 0 ? MAP_FAILED : mmap(NULL, WD_PAGES * PS, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return 1;
	madvise((void *)p, WD_PAGES * PS, MADV_RANDOM);
	shared[slot] = 1;
	for (uint64_t i = first; i < WD_PAGES; i += step) {
		uint64_t off = i * PS + (i * 31) % PS;
		if (p[off] != wd_pat(off))
			return 2;
	}
	return 0;
}

static void wd_make(void);

static int wd_pid_status(pid_t pid)
{
	int st = -1;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static int run_waitdie(void)
{
	struct mem_info m0, m1;

	shared = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	wd_make();
	CHECK_EQ(mem_info(&m0), 0);
	/* One reader killed at a different moment each round. */
	for (int round = 0; round < 12; round++) {
		shared[1] = 0;
		fflush(stdout);
		pid_t c = fork();
		if (c == 0)
			_exit(wd_reader((uint64_t)round * 7, 3, 1));
		while (!shared[1])
			sys_yield();
		for (int i = 0; i < round * 5; i++)
			sys_yield();
		kill(c, SIGKILL);
		int st = wd_pid_status(c);
		CHECK(st == SIGKILL || IS_EXIT(st, 0));
		CHECK_EQ(pager_check(), 0);
	}
	/* Three readers on the same pages, the middle one killed: the
	 * others' waits (and the fills) go on. */
	for (int round = 0; round < 4; round++) {
		pid_t r[3];
		for (int k = 0; k < 3; k++) {
			shared[2 + k] = 0;
			fflush(stdout);
			r[k] = fork();
			if (r[k] == 0)
				_exit(wd_reader((uint64_t)round, 5, 2 + k));
		}
		for (int k = 0; k < 3; k++)
			while (r[k] > 0 && !shared[2 + k])
				sys_yield();
		for (int i = 0; i < 3 + round * 7; i++)
			sys_yield();
		kill(r[1], SIGKILL);
		int st = wd_pid_status(r[1]);
		CHECK(st == SIGKILL || IS_EXIT(st, 0));
		st = wd_pid_status(r[0]);
		CHECK_EQ(st, 0);
		st = wd_pid_status(r[2]);
		CHECK_EQ(st, 0);
		CHECK_EQ(pager_check(), 0);
	}
	/* Nobody maps the file now: its object and cache are gone. */
	CHECK_EQ(mem_info(&m1), 0);
	printf("filemap_pager: free frames %lu before, %lu after\n", (unsigned long)m0.free_pages,
	       (unsigned long)m1.free_pages);
	CHECK(m1.free_pages + 64 >= m0.free_pages);
	after_attack("filemap_pager_waitdie");
	return t_done("filemap_pager_waitdie");
}

/* ---- oomcache ---- */

static uint64_t hog_pages;

static int hog(void)
{
	volatile char *m = mmap(NULL, hog_pages * PS, RW, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 1;
	for (uint64_t i = 0; i < hog_pages; i++)
		m[i * PS] = 1;
	return 0;
}

static void wd_make(void)
{
	static char buf[PS];
	int fd = open("/wd", O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	for (uint64_t pg = 0; fd >= 0 && pg < WD_PAGES; pg++) {
		for (uint64_t i = 0; i < PS; i++)
			buf[i] = wd_pat(pg * PS + i);
		CHECK_EQ(write(fd, buf, PS), PS);
	}
	CHECK_EQ(fsync(fd), 0);
	close(fd);
}

static int run_oomcache(void)
{
	struct mem_info mi;
	int fd, st;

	shared = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	wd_make();
	fd = open("/wd", O_RDONLY);
	volatile char *p = mmap(NULL, WD_PAGES * PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return t_done("filemap_pager_oomcache");
	for (uint64_t i = 0; i < WD_PAGES; i++)
		CHECK_EQ(p[i * PS + 7], wd_pat(i * PS + 7));
	image_warm();
	CHECK_EQ(mem_info(&mi), 0);
	/* More than is free, less than free plus the cache. */
	hog_pages = mi.free_pages + WD_PAGES / 2;
	printf("filemap_pager: %lu free, the hog touches %lu pages\n", (unsigned long)mi.free_pages,
	       (unsigned long)hog_pages);
	st = in_child(hog);
	CHECK_EQ(st, 0);	/* not the out-of-memory victim */
	for (uint64_t i = 0; i < WD_PAGES; i++)	/* read again from the file */
		if (p[i * PS + 11] != wd_pat(i * PS + 11)) {
			CHECK_EQ(p[i * PS + 11], wd_pat(i * PS + 11));
			break;
		}
	CHECK_EQ(munmap((void *)p, WD_PAGES * PS), 0);
	close(fd);
	after_attack("filemap_pager_oomcache");
	return t_done("filemap_pager_oomcache");
}

/* ---- expire ---- */

static uint64_t pages_written_back(void)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_MAPSTATS, &m, 0), 0);
	return m.w[4];
}

static uint64_t now_ticks(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static int run_expire(bool idle)
{
	const uint64_t hz = 10000000;	/* QEMU virt's timebase */
	uint64_t w0, t0, t;
	int fd;

	shared = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	wd_make();
	fd = open("/wd", O_RDWR);
	volatile char *p = mmap(NULL, 4 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return t_done(idle ? "filemap_pager_expire_idle" : "filemap_pager_expire");
	CHECK_EQ(p[PS], wd_pat(PS));
	w0 = pages_written_back();
	p[PS + 3] = '!';		/* dirty from now */
	t0 = now_ticks();
	/* Requests to the pager keep coming, each a chance for it to look
	 * (backing_poll); or none at all (idle: we sleep on our own kernel
	 * timer and ask only the file server), and the pager's timer
	 * (ptimer.c) must wake it. */
	do {
		struct mem_info mi;
		t = now_ticks();
		if (idle)
			usleep(100000);
		else
			mem_info(&mi);
	} while (pages_written_back() == w0 && t - t0 < 15 * hz);
	printf("filemap_pager: written back after %lu ms%s\n", (unsigned long)((t - t0) / (hz / 1000)),
	       idle ? " (the pager idle)" : "");
	CHECK(pages_written_back() > w0);
	CHECK(t - t0 >= 4 * hz);	/* not before it was due (less a margin) */
	char c = 0;
	CHECK_EQ(pread(fd, &c, 1, PS + 3), 1);
	CHECK_EQ(c, '!');
	CHECK_EQ(munmap((void *)p, 4 * PS), 0);
	close(fd);
	after_attack(idle ? "filemap_pager_expire_idle" : "filemap_pager_expire");
	return t_done(idle ? "filemap_pager_expire_idle" : "filemap_pager_expire");
}

/* ---- rmap ---- */

static volatile char *touch_at;

static int touch(void)
{
	return touch_at[0] == 0x55 ? 3 : 0;
}

static bool sigbus_at(volatile char *va)
{
	touch_at = va;
	int st = in_child(touch);
	return WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS;
}

static int run_rmap(void)
{
	int fd, st;

	shared = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	wd_make();
	fd = open("/wd", O_RDWR);
	volatile char *a = mmap(NULL, 8 * PS, RW, MAP_SHARED, fd, 0);
	volatile char *b = mmap(NULL, 8 * PS, RW, MAP_SHARED, fd, 0);
	volatile char *pv = mmap(NULL, 8 * PS, RW, MAP_PRIVATE, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED && pv != MAP_FAILED);
	if (a == MAP_FAILED || b == MAP_FAILED || pv == MAP_FAILED)
		return t_done("filemap_pager_rmap");
	for (int i = 0; i < 8; i++)
		CHECK_EQ(a[i * PS] + b[i * PS] + pv[i * PS], 3 * wd_pat((uint64_t)i * PS));
	/* Split a into three and merge it back; split b for good. */
	CHECK_EQ(mprotect((void *)(a + 2 * PS), 2 * PS, PROT_READ), 0);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(mprotect((void *)(a + 2 * PS), 2 * PS, RW), 0);
	CHECK_EQ(mprotect((void *)(b + 5 * PS), PS, PROT_READ), 0);
	/* Move b's first half elsewhere, grown by a page (the file's next). */
	volatile char *m = mremap((void *)b, 4 * PS, 5 * PS, MREMAP_MAYMOVE);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return t_done("filemap_pager_rmap");
	CHECK_EQ(m[4 * PS + 1], wd_pat(4 * PS + 1));
	/* A private page written: its own copy, not the file's. */
	pv[6 * PS] = 'P';
	/* A store through a is seen through the moved mapping at once. */
	a[3 * PS + 9] = 'S';
	CHECK_EQ(m[3 * PS + 9], 'S');
	CHECK_EQ(pager_check(), 0);
	/* A child holding every mapping waits for the shrink. */
	shared[0] = shared[1] = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		(void)a[6 * PS];
		(void)m[4 * PS];
		shared[0] = 1;
		while (!shared[1])
			sys_yield();
		(void)m[4 * PS];	/* SIGBUS: page 4 is past the end now */
		_exit(9);
	}
	while (!shared[0])
		sys_yield();
	/* Unmap a's last page (a partial munmap), then shrink to 2.5 pages. */
	CHECK_EQ(munmap((void *)(a + 7 * PS), PS), 0);
	CHECK_EQ(ftruncate(fd, 2 * PS + 100), 0);
	shared[1] = 1;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS);
	CHECK(sigbus_at(a + 3 * PS));
	CHECK(sigbus_at(a + 6 * PS));
	CHECK(sigbus_at(m + 3 * PS));
	CHECK(sigbus_at(b + 5 * PS));
	CHECK(sigbus_at(pv + 6 * PS));	/* its own copy went too (Linux) */
	CHECK(sigbus_at(pv + 3 * PS));
	CHECK_EQ(a[2 * PS + 99], wd_pat(2 * PS + 99));
	CHECK_EQ(a[2 * PS + 100], 0);	/* the new last page's tail reads zero */
	CHECK_EQ(m[2 * PS + 100], 0);
	CHECK_EQ(pv[PS], wd_pat(PS));
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(munmap((void *)a, 7 * PS), 0);
	CHECK_EQ(munmap((void *)b, 8 * PS), 0);
	CHECK_EQ(munmap((void *)m, 5 * PS), 0);
	CHECK_EQ(munmap((void *)pv, 8 * PS), 0);
	close(fd);
	after_attack("filemap_pager_rmap");
	return t_done("filemap_pager_rmap");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "perm";

	if (!strcmp(mode, "perm"))
		return run_perm();
	if (!strcmp(mode, "waitdie"))
		return run_waitdie();
	if (!strcmp(mode, "oomcache"))
		return run_oomcache();
	if (!strcmp(mode, "expire"))
		return run_expire(false);
	if (!strcmp(mode, "expire_idle"))
		return run_expire(true);
	if (!strcmp(mode, "rmap"))
		return run_rmap();
	printf("FAIL: unknown mode %s\n", mode);
	return 1;
}
