/*
 * Read-around policies (pager/policy.h, docs/policies.md), booted with
 * the 4 KiB-block disk image: argv[1] names the policy the build chose
 * (cmake -DPAGER_POLICY), which PAGER_POLICY must report for the system
 * and for a mapping nobody advised. Then per mapping, chosen by madvise
 * (PADV_POLICY_*): how many pages of /data/cold.bin (4 MiB) one fault
 * brings in: fixed 16 (1 under MADV_RANDOM), adaptive 4, 8, 16, 32 on
 * sequential misses and back to 4 elsewhere, 64 under MADV_SEQUENTIAL,
 * none 1. The choice survives fork; unknown advice is EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "abi/pager.h"
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define PS	PAGE_SIZE
#define LEN	(4ul << 20)
#define SETTLE_SECONDS	20	/* a fill's longest wait, before the test's own timeout */

/* The policy of addr (0: the system's): its id, its name in *name. */
static int64_t policy_of(const volatile char *addr, char *name)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_POLICY, 0, 0), .w = { (uint64_t)addr } };
	int64_t r = pager_call(&m);

	name[0] = 0;
	if (r > 0 && ipc_len(m.info) && ipc_len(m.info) <= 32)
		memcpy(name, ipcbuf(), ipc_len(m.info));
	return r;
}

/* Pages of the file resident for the mapping at p (PAGER_VMA_LIST). */
static uint64_t resident(const volatile char *p)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_VMA_LIST, 0, 0), .w = { (uint64_t)p, 0 } };
	const struct pager_vma_info *vi = ipcbuf();

	if (pager_call(&m) < 1 || vi[0].start != (uint64_t)p)
		return ~0ul;
	return vi[0].resident;
}

/* Resident pages once fills in flight have landed (read-ahead past the
 * faulting request completes after the fault): waits for `want` pages,
 * bounded by time, not by a count of yields (a slow disk on a loaded host
 * took longer than 200 yields), then a few hundred yields more, so that
 * pages beyond `want` still in flight show. */
static uint64_t resident_settled(const volatile char *p, uint64_t want)
{
	struct timespec t0, t;
	uint64_t n = resident(p);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < want) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > SETTLE_SECONDS)
			break;
		sys_yield();
		n = resident(p);
	}
	for (int i = 0; i < 300; i++) {
		sys_yield();
		n = resident(p);
	}
	return n;
}

static volatile char *map_cold(int advice)
{
	int fd = open("/data/cold.bin", O_RDONLY);
	volatile char *p = fd < 0 ? MAP_FAILED : mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);

	if (fd >= 0)
		close(fd);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return NULL;
	CHECK_EQ(madvise((void *)p, LEN, advice), 0);
	CHECK_EQ(resident(p), 0);
	return p;
}

static void touch(volatile char *p, uint64_t page)
{
	(void)p[page * PS];
}

int main(int argc, char **argv)
{
	const char *want = argc > 1 ? argv[1] : "fixed";
	char name[32];
	volatile char *p;
	int st;

	if (fs_start(libsys_start_info.devices, libsys_start_info.ndevices) <= 0) {
		printf("FAIL: no file server\n");
		return 1;
	}
	/* The build's choice, system-wide and for an unadvised mapping. */
	CHECK(policy_of(NULL, name) > 0);
	CHECK(strcmp(name, want) == 0);
	if (strcmp(name, want) != 0)
		printf("policy: the pager says \"%s\", the build chose \"%s\"\n", name, want);
	p = map_cold(PADV_NORMAL);
	CHECK(policy_of(p, name) > 0 && strcmp(name, want) == 0);
	munmap((void *)p, LEN);

	/* fixed: 16 pages a fault, 1 under MADV_RANDOM. */
	p = map_cold(PADV_POLICY_FIXED);
	CHECK_EQ(policy_of(p, name), PPOLICY_FIXED);
	CHECK(strcmp(name, "fixed") == 0);
	touch(p, 0);
	CHECK_EQ(resident_settled(p, 16), 16);
	CHECK_EQ(madvise((void *)p, LEN, MADV_RANDOM), 0);
	CHECK_EQ(policy_of(p, name), PPOLICY_FIXED);	/* the hint keeps the policy */
	touch(p, 100);
	CHECK_EQ(resident_settled(p, 17), 17);
	munmap((void *)p, LEN);

	/* adaptive: 4, then doubling on each sequential miss; 4 again on a
	 * miss elsewhere; 1 under MADV_RANDOM; 64 under MADV_SEQUENTIAL. */
	p = map_cold(PADV_POLICY_ADAPTIVE);
	CHECK_EQ(policy_of(p, name), PPOLICY_ADAPTIVE);
	CHECK(strcmp(name, "adaptive") == 0);
	touch(p, 0);
	CHECK_EQ(resident_settled(p, 4), 4);
	touch(p, 4);
	CHECK_EQ(resident_settled(p, 12), 12);
	touch(p, 12);
	CHECK_EQ(resident_settled(p, 28), 28);
	touch(p, 28);
	CHECK_EQ(resident_settled(p, 60), 60);
	touch(p, 500);
	CHECK_EQ(resident_settled(p, 64), 64);
	CHECK_EQ(madvise((void *)p, LEN, MADV_RANDOM), 0);
	touch(p, 700);
	CHECK_EQ(resident_settled(p, 65), 65);
	CHECK_EQ(madvise((void *)p, LEN, MADV_SEQUENTIAL), 0);
	touch(p, 768);
	CHECK_EQ(resident_settled(p, 65 + 64), 65 + 64);
	/* A fork's mapping keeps the choice. */
	pid_t c = fork();
	if (c == 0)
		_exit(policy_of(p, name) == PPOLICY_ADAPTIVE ? 0 : 1);
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Back to the system's. */
	CHECK_EQ(madvise((void *)p, LEN, PADV_POLICY_DEFAULT), 0);
	CHECK(policy_of(p, name) > 0 && strcmp(name, want) == 0);
	munmap((void *)p, LEN);

	/* none: one page a fault, whatever the hint. */
	p = map_cold(PADV_POLICY_NONE);
	CHECK_EQ(policy_of(p, name), PPOLICY_NONE);
	CHECK(strcmp(name, "none") == 0);
	CHECK_EQ(madvise((void *)p, LEN, MADV_SEQUENTIAL), 0);
	touch(p, 0);
	touch(p, 1);
	CHECK_EQ(resident_settled(p, 2), 2);
	munmap((void *)p, LEN);

	/* Advice we do not know; PAGER_POLICY of an unmapped address. */
	p = map_cold(PADV_NORMAL);
	errno = 0;
	CHECK_EQ(madvise((void *)p, LEN, PADV_POLICY_NONE + 1), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(madvise((void *)p, LEN, PADV_POLICY_DEFAULT - 1), -1);
	munmap((void *)p, LEN);
	CHECK_EQ(policy_of(p, name), -ERR_NOMEM);
	return t_done("policy");
}
