/*
 * A file's fills in flight cut by truncate (pager/backing.c: a fill is
 * its pages' busy record; a shrink marks what it reads stale,
 * backing_fills_stale): readers map a real file (fsd) shared and read it
 * page by page, their faults filled from the disk, while the writer cuts
 * it at a random page, grows it back and writes a new generation into
 * the pages it cut. Each page's first word is its generation and index.
 *
 * What must hold: a reader never sees a page's generation go back (a
 * stale fill put in the cache after the cut brings the old one back),
 * nor a word that is not some generation of that page or zero; a reader
 * may die of SIGBUS (it read past EOF between the cut and the grow), and
 * is started again. The writer's own mapping sees every page at its last
 * generation after each round. Then the pager's checker passes.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "abi/pager.h"
#include "attack.h"
#include "libsys_file.h"

#define PAGES		64
#define ROUNDS		60
#define READERS		3
#define PAT(gen, pg)	(0xc0000000u | ((uint32_t)(gen) << 12) | (uint32_t)(pg))
#define GEN(v)		(((v) >> 12) & 0x3ffffu)

static char buf[PS];
static const char *path = "/fillrec";

/* shared[0]: stop; shared[1]: bad words seen; shared[2]: reads done;
 * shared[8 + pg]: page pg's generation as last written. */

static int reader(int which)
{
	uint32_t last[PAGES] = { 0 };
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 2;
	volatile uint32_t *p = mmap(NULL, PAGES * PS, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	for (uint64_t n = 0; !shared[0]; n++) {
		uint64_t pg = (n * (uint64_t)(2 * which + 1) + (uint64_t)which * 7) % PAGES;
		uint32_t v = p[pg * PS / 4];
		if (v && ((v & 0xfff) != pg || (v >> 30) != 3 || GEN(v) < last[pg] ||
			  GEN(v) > shared[8 + pg])) {
			printf("reader %d: page %lu read %#x after generation %u (written %lu)\n",
			       which, (unsigned long)pg, v, last[pg], (unsigned long)shared[8 + pg]);
			shared[1]++;
		}
		if (v)
			last[pg] = GEN(v);
		shared[2]++;
	}
	return 0;
}

static pid_t start_reader(int which)
{
	pid_t c;

	fflush(stdout);
	if ((c = fork()) == 0)
		_exit(reader(which));
	CHECK(c > 0);
	return c;
}

int main(void)
{
	pid_t readers[READERS];
	uint32_t gen[PAGES];
	int fd, st, restarts = 0;
	uint64_t seed = 12345;

	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return t_done("fillrec_trunc");
	memset(buf, 0, sizeof(buf));
	for (uint64_t pg = 0; pg < PAGES; pg++) {
		gen[pg] = 1;
		shared[8 + pg] = 1;
		*(uint32_t *)buf = PAT(1, pg);
		CHECK_EQ(write(fd, buf, PS), PS);
	}
	CHECK_EQ(fsync(fd), 0);
	volatile uint32_t *mine = mmap(NULL, PAGES * PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(mine != MAP_FAILED);
	for (int r = 0; r < READERS; r++)
		readers[r] = start_reader(r);
	for (uint32_t round = 2; round < ROUNDS + 2; round++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t keep = (seed >> 33) % PAGES;
		uint64_t reads = shared[2];
		for (long n = 0; shared[2] < reads + (seed >> 20) % 3 * 20 && n < 200000; n++)
			sys_yield();
		CHECK_EQ(ftruncate(fd, (off_t)(keep * PS)), 0);
		for (uint64_t n = 0; round % 2 && n < 50; n++)	/* readers past EOF meanwhile */
			sys_yield();
		CHECK_EQ(ftruncate(fd, PAGES * PS), 0);
		for (uint64_t pg = keep; pg < PAGES; pg++) {
			uint32_t v = PAT(round, pg);
			gen[pg] = round;
			shared[8 + pg] = round;	/* before the write: a reader may see it at once */
			CHECK_EQ(pwrite(fd, &v, sizeof(v), (off_t)(pg * PS)), (ssize_t)sizeof(v));
		}
		for (uint64_t pg = 0; pg < PAGES && mine != MAP_FAILED; pg++)
			if (mine[pg * PS / 4] != PAT(gen[pg], pg)) {
				printf("round %u (cut at %lu): page %lu reads %#x, not %#x\n", round,
				       (unsigned long)keep, (unsigned long)pg, mine[pg * PS / 4],
				       PAT(gen[pg], pg));
				shared[1]++;
			}
		for (int r = 0; r < READERS; r++)	/* one that read past EOF: again */
			if (waitpid(readers[r], &st, WNOHANG) == readers[r]) {
				CHECK(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS);
				readers[r] = start_reader(r);
				restarts++;
			}
	}
	shared[0] = 1;
	for (int r = 0; r < READERS; r++) {
		CHECK_EQ(waitpid(readers[r], &st, 0), readers[r]);
		CHECK(IS_EXIT(st, 0) || (WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS));
	}
	CHECK_EQ(shared[1], 0);
	printf("fillrec_trunc: %lu reads, %d readers restarted\n", (unsigned long)shared[2], restarts);
	CHECK_EQ(munmap((void *)mine, PAGES * PS), 0);
	CHECK_EQ(close(fd), 0);
	after_attack("fillrec_trunc");
	return t_done("fillrec_trunc");
}
