/*
 * zpager: an external pager (docs/external-pagers.md) whose object's
 * pages live compressed in its memory (zcodec.c's run-length code). A
 * fill decompresses into the request's pages, which become the object's;
 * a write-back compresses what a client stored; after each SYNC (an
 * msync(MS_SYNC) or fsync-like flush) it drops the object's clean cached
 * pages, so the data lives compressed only until it is next touched.
 *
 *   zpager test   fork the server and a client, and check: every kind of
 *                 page (zero, runs, text, noise) round-trips through
 *                 write-back, compression and a refill; compressible pages
 *                 take less than a tenth of their size, noise is stored
 *                 raw; a store after the refill is written back again at
 *                 exit. Prints "PASS: zpager".
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_memobj.h"
#include "zcodec.h"

#define ZP_PAGES	64

/* What the test reads of the server (a shared page). */
struct zstats {
	volatile int64_t pid;
	volatile uint64_t key, token;
	volatile uint64_t fills, fill_pages, writebacks, wb_pages, syncs;
	volatile uint64_t stored, stored_raw;	/* bytes held; pages kept raw */
	volatile uint64_t bad;			/* malformed requests or store */
};

/* A page as held: NULL and 0 for a page of zeros. */
static struct { uint8_t *data; uint16_t len; bool raw; } held[ZP_PAGES];
static uint8_t scratch[PAGE_SIZE];

static void put_page(struct zstats *st, uint64_t i, const uint8_t *src)
{
	size_t len = z_encode(src, PAGE_SIZE, scratch, PAGE_SIZE - 1);
	bool raw = len == 0, zero = true;
	uint8_t *d;

	for (size_t k = 0; k < PAGE_SIZE && zero; k++)
		zero = !src[k];
	st->stored -= held[i].len ? held[i].len : (held[i].raw ? PAGE_SIZE : 0);
	st->stored_raw -= held[i].raw;
	free(held[i].data);
	held[i].data = NULL;
	held[i].len = 0;
	held[i].raw = false;
	if (zero)
		return;
	if (!(d = malloc(raw ? PAGE_SIZE : len))) {
		st->bad++;	/* out of memory: the page reads as zeros */
		return;
	}
	memcpy(d, raw ? src : scratch, raw ? PAGE_SIZE : len);
	held[i].data = d;
	held[i].len = raw ? 0 : (uint16_t)len;
	held[i].raw = raw;
	st->stored += raw ? PAGE_SIZE : len;
	st->stored_raw += raw;
}

/* Fill the request's page (zeroed by the pager) from what is held. */
static int get_page(uint64_t i, uint8_t *dst)
{
	if (held[i].raw) {
		memcpy(dst, held[i].data, PAGE_SIZE);
		return 0;
	}
	if (!held[i].data)
		return 0;
	return z_decode(held[i].data, held[i].len, dst, PAGE_SIZE);
}

static void serve(struct zstats *st)
{
	struct pager_backing_req q;
	struct mo_server s;
	uint64_t token = 0;
	uint32_t answer = 0;
	int64_t result = 0, key;

	if (mo_serve(0, &s) < 0 || (key = mo_create(ZP_PAGES * PAGE_SIZE, &token)) <= 0) {
		printf("zpager: cannot serve\n");
		_exit(1);
	}
	st->key = (uint64_t)key;
	st->token = token;
	st->pid = getpid();
	for (;;) {
		if (mo_wait(answer, result, &q) <= 0)
			_exit(1);
		answer = 0;
		result = 0;
		if (q.op == BACKING_FILL || q.op == BACKING_WRITEBACK || q.op == BACKING_SYNC)
			answer = q.token;
		if ((q.op == BACKING_FILL || q.op == BACKING_WRITEBACK) &&
		    (q.key != key || q.index >= ZP_PAGES || q.count > ZP_PAGES - q.index)) {
			st->bad++;
			result = -ERR_IO;
			continue;
		}
		switch (q.op) {
		case BACKING_FILL:
			for (uint32_t k = 0; k < q.count && !result; k++)
				if (get_page(q.index + k, (uint8_t *)(q.window + (uint64_t)k * PAGE_SIZE)) < 0)
					result = -ERR_IO;	/* a damaged store: SIGBUS, not garbage */
			st->fills++;
			st->fill_pages += q.count;
			break;
		case BACKING_WRITEBACK:
			for (uint32_t k = 0; k < q.count; k++)
				put_page(st, q.index + k, (const uint8_t *)(q.window + (uint64_t)k * PAGE_SIZE));
			st->writebacks++;
			st->wb_pages += q.count;
			break;
		case BACKING_SYNC:
			/* All written back: what is cached and clean goes. */
			mo_drop_clean((uint32_t)key, 0, ZP_PAGES);
			st->syncs++;
			break;
		}
	}
}

/* ---- the test ---- */

static int failures;
#define EXPECT(c) do { if (!(c)) { printf("FAIL: zpager: %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

static uint8_t want(int page, int i)
{
	switch (page % 4) {
	case 0:
		return 0;				/* zeros */
	case 1:
		return (uint8_t)(page + i / 512);	/* long runs */
	case 2:
		return i % 64 < 16 ? (uint8_t)"compressed pages"[i % 16] : ' ';	/* records */
	default: {					/* noise */
		uint32_t x = (uint32_t)(page * 4096 + i) * 2654435761u;
		return (uint8_t)(x >> 13);
	}
	}
}

static void client(struct zstats *st)
{
	volatile uint8_t *p = (volatile uint8_t *)mo_map(st->pid, (uint32_t)st->key, st->token, NULL,
							 ZP_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
							 MAP_SHARED, 0);
	uint64_t fills;

	EXPECT((int64_t)p > 0);
	if ((int64_t)p <= 0)
		_exit(1);
	for (int pg = 0; pg < ZP_PAGES; pg++)
		for (int i = 0; i < (int)PAGE_SIZE; i++)
			if (want(pg, i))
				p[pg * PAGE_SIZE + i] = want(pg, i);
	EXPECT(msync((void *)p, ZP_PAGES * PAGE_SIZE, MS_SYNC) == 0);
	EXPECT(st->syncs == 1);
	EXPECT(st->wb_pages == ZP_PAGES * 3 / 4);	/* the zero pages were never stored to */
	EXPECT(st->stored_raw == ZP_PAGES / 4);
	/* Runs and records: under a third of their size (noise is raw). */
	EXPECT(st->stored - st->stored_raw * PAGE_SIZE < ZP_PAGES / 2 * PAGE_SIZE / 3);
	printf("zpager: %d pages held in %lu bytes (%lu raw pages)\n", ZP_PAGES,
	       (unsigned long)st->stored, (unsigned long)st->stored_raw);
	/* Dropped after the sync: every page comes back decompressed. */
	fills = st->fill_pages;
	for (int pg = 0; pg < ZP_PAGES; pg++)
		for (int i = 0; i < (int)PAGE_SIZE; i += 7)
			if (p[pg * PAGE_SIZE + i] != want(pg, i)) {
				EXPECT(!"the page read back as written");
				pg = ZP_PAGES;
				break;
			}
	EXPECT(st->fill_pages - fills == ZP_PAGES);
	p[5 * PAGE_SIZE + 100] = 0x42;	/* written back when we exit */
	_exit(failures ? 1 : 0);
}

static int test(void)
{
	struct zstats *st = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
	pid_t srv, c;
	int status = -1;

	if (st == MAP_FAILED)
		return 1;
	fflush(stdout);
	if ((srv = fork()) == 0) {
		serve(st);
		_exit(0);
	}
	for (long n = 0; !st->pid && n < 20000000; n++)
		sys_yield();
	EXPECT(st->pid == srv);
	fflush(stdout);
	if ((c = fork()) == 0)
		client(st);
	EXPECT(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The exit wrote page 5 back: it reads so in a new mapping. */
	for (long n = 0; st->wb_pages < ZP_PAGES * 3 / 4 + 1 && n < 20000000; n++)
		sys_yield();
	uint64_t wb = st->wb_pages;
	volatile uint8_t *p = (volatile uint8_t *)mo_map(st->pid, (uint32_t)st->key, st->token, NULL,
							 ZP_PAGES * PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	EXPECT((int64_t)p > 0);
	EXPECT(wb >= ZP_PAGES * 3 / 4 + 1);
	if ((int64_t)p > 0) {
		EXPECT(p[5 * PAGE_SIZE + 100] == 0x42);
		EXPECT(p[5 * PAGE_SIZE + 101] == want(5, 101));
	}
	EXPECT(st->bad == 0);
	kill(srv, SIGKILL);
	waitpid(srv, &status, 0);
	printf(failures ? "FAIL: zpager\n" : "PASS: zpager\n");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "test"))
		return test();
	printf("usage: zpager test\n");
	return 2;
}
