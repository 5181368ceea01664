/*
 * test_attack_mem_obj's supply mode: MO_SUPPLY of pages that are not the
 * server's to give (its window, IPC buffer, text and data, a COW page, its
 * own object's pages, a wrapping range), supply racing an invalidate, and
 * a second server's same-numbered key.
 */
#include "attack_mem_obj.h"

static uint8_t data_page[PS] __attribute__((aligned(4096)));

/* ---- supply ---- */

static volatile uint32_t *anon_page(uint32_t v)
{
	volatile uint32_t *a = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);

	a[0] = v;
	return a;
}

static void supply_server(void)
{
	struct mo_server s;
	struct pager_backing_req q;
	uint64_t tok;
	volatile int64_t *r = b->r;
	uint32_t key;

	if (mo_serve(0, &s) < 0 || (b->key = mo_create(NPAGES * PS, &tok)) <= 0)
		_exit(1);
	key = (uint32_t)b->key;
	b->token = tok;
	b->srv_pid = getpid();
	/* A client's fault on page 0: its fill's frames in our window. */
	if (mo_wait(0, 0, &q) != 1 || q.op != BACKING_FILL)
		_exit(2);
	r[0] = mo_supply(key, 20, 1, (const void *)q.window);	/* the window */
	r[1] = mo_supply(key, q.index, 1, (const void *)anon_page(1));	/* being filled */
	r[2] = mo_supply(key, 20, 1, ipcbuf());
	r[3] = mo_supply(key, 20, 1, (const void *)((uint64_t)supply_server & ~(PS - 1)));
	data_page[0] = 1;
	r[4] = mo_supply(key, 20, 1, data_page);
	/* A page our fork shares (copy-on-write) until it ends: in an
	 * object of 8 resident pages (fork copies objects of 3 or fewer). */
	volatile uint32_t *cow = mmap(NULL, 8 * PS, RW, ANON_PRIV, -1, 0);
	for (int i = 7; i >= 0; i--)
		cow[i * PS / 4] = 0xc0;
	pid_t f = fork();
	if (f == 0) {
		for (int i = 0; i < 200; i++)
			sys_yield();
		_exit(cow[0] == 0xc0 ? 0 : 1);
	}
	r[5] = mo_supply(key, 20, 1, (const void *)cow);
	int st;
	r[6] = waitpid(f, &st, 0) == f && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	/* Our own object, mapped shared and private, its page resident. */
	int64_t sh = mo_map(getpid(), key, tok, NULL, NPAGES * PS, RW, MAP_SHARED, 0);
	int64_t pr = mo_map(getpid(), key, tok, NULL, NPAGES * PS, RW, MAP_PRIVATE, 0);
	/* The window stays as the pager made it. */
	r[25] = munmap((void *)q.window, PS) == -1;
	r[26] = mprotect((void *)q.window, PS, PROT_READ) == -1;
	r[27] = mmap((void *)q.window, PS, RW, ANON_PRIV | MAP_FIXED, -1, 0) == MAP_FAILED;
	r[28] = mremap((void *)q.window, PS, 2 * PS, MREMAP_MAYMOVE) == MAP_FAILED;
	r[29] = madvise((void *)q.window, PS, MADV_DONTNEED) == 0;	/* ignored there */
	for (uint32_t k = 0; k < q.count; k++)	/* fill: page i says 0xf0 + i */
		*(volatile uint32_t *)(q.window + k * PS) = 0xf0 + q.index + k;
	r[7] = mo_done(q.token, 0);
	if (sh > 0 && pr > 0) {
		*(volatile uint32_t *)pr = 0x77;	/* a private copy of page 0 */
		r[8] = mo_supply(key, 20, 1, (const void *)sh);
		r[9] = mo_supply(key, 20, 1, (const void *)pr);
	}
	/* Ranges that wrap or leave user space. */
	r[10] = mo_supply(key, 20, 2, (const void *)(USER_TOP - PS));
	r[11] = mo_supply(key, 20, 1, (const void *)(~0ul & ~(PS - 1)));
	r[12] = mo_supply(key, ~0ul, 2, (const void *)anon_page(2));
	r[13] = mo_supply(key, 24, ~0ul, (const void *)anon_page(2));
	/* Racing an invalidate: supplied, invalidated, supplied again. */
	r[14] = mo_supply(key, 24, 1, (const void *)anon_page(0x66));
	r[15] = mo_invalidate(key, 24, 1);
	r[16] = mo_supply(key, 24, 1, (const void *)anon_page(0x67));
	r[17] = mo_supply(key, 24, 1, (const void *)anon_page(0x68));	/* resident now */
	b->stage = 1;
	for (;;)
		sys_yield();
}

/* A second server: its key 1 is its own object, not the first's. */
static void other_server(void)
{
	struct mo_server s;
	uint64_t tok;

	if (mo_serve(0, &s) < 0 || (b->key2 = mo_create(NPAGES * PS, &tok)) <= 0)
		_exit(1);
	b->token2 = tok;
	b->r[20] = b->key2 == b->key;
	b->r[21] = mo_supply((uint32_t)b->key2, 5, 1, (const void *)anon_page(0xbad));
	b->r[22] = mo_invalidate((uint32_t)b->key2, 0, NPAGES);
	b->r[23] = mo_done((uint32_t)b->held, 0);	/* the first's fill: not ours */
	b->stage = 3;
	for (;;)
		sys_yield();
}

int supply(void)
{
	pid_t s = start(supply_server), c, o;
	int st;

	while (!b->srv_pid)
		sys_yield();
	c = fork();
	if (c == 0) {
		volatile uint32_t *m = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key,
								   b->token, NULL, NPAGES * PS,
								   PROT_READ, MAP_SHARED, 0);
		if ((int64_t)m < 0)
			_exit(1);
		_exit(m[0] == 0xf0 ? 0 : 2);
	}
	wait_stage(1);
	reap(c, &st);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(b->r[0], -ERR_FAULT);
	CHECK_EQ(b->r[1], -ERR_EXIST);
	CHECK_EQ(b->r[2], -ERR_FAULT);
	CHECK_EQ(b->r[3], -ERR_FAULT);
	CHECK_EQ(b->r[4], -ERR_FAULT);
	CHECK_EQ(b->r[5], -ERR_FAULT);
	CHECK_EQ(b->r[6], 1);	/* the fork's page was not taken */
	CHECK_EQ(b->r[7], 0);
	CHECK_EQ(b->r[8], -ERR_FAULT);
	CHECK_EQ(b->r[9], -ERR_FAULT);
	CHECK_EQ(b->r[10], -ERR_INVAL);
	CHECK_EQ(b->r[11], -ERR_INVAL);
	CHECK_EQ(b->r[12], -ERR_INVAL);
	CHECK_EQ(b->r[13], -ERR_INVAL);
	CHECK_EQ(b->r[14], 0);
	CHECK_EQ(b->r[15], 0);
	CHECK_EQ(b->r[16], 0);
	CHECK_EQ(b->r[17], -ERR_EXIST);
	for (int i = 25; i <= 29; i++)
		CHECK_EQ(b->r[i], 1);
	/* What the objects hold, seen by a mapper of each. */
	volatile uint32_t *m = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->token,
							   NULL, NPAGES * PS, PROT_READ,
							   MAP_SHARED, 0);
	CHECK((int64_t)m > 0);
	if ((int64_t)m > 0) {
		CHECK_EQ(m[24 * PS / 4], 0x67);
		CHECK_EQ(m[1 * PS / 4], 0xf1);
		CHECK_EQ(munmap((void *)m, NPAGES * PS), 0);
	}
	o = start(other_server);
	wait_stage(3);
	CHECK_EQ(b->r[20], 1);	/* the same number */
	CHECK_EQ(b->r[21], 0);
	CHECK_EQ(b->r[22], 0);
	CHECK_EQ(b->r[23], -ERR_INVAL);
	m = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL, NPAGES * PS,
					PROT_READ, MAP_SHARED, 0);
	CHECK((int64_t)m > 0);
	if ((int64_t)m > 0) {	/* the first's object is as it was */
		CHECK_EQ(m[24 * PS / 4], 0x67);
		CHECK_EQ(m[5 * PS / 4], 0xf5);
		CHECK_EQ(munmap((void *)m, NPAGES * PS), 0);
	}
	/* The second's token does not open the first's object, nor the
	 * first's the second's. */
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key, b->token2, NULL, PS, PROT_READ, MAP_SHARED, 0),
		 -ERR_NOENT);
	CHECK_EQ(mo_map(o, (uint32_t)b->key2, b->token, NULL, PS, PROT_READ, MAP_SHARED, 0),
		 -ERR_NOENT);
	kill(o, SIGKILL);
	reap(o, &st);
	kill(s, SIGKILL);
	reap(s, &st);
	after_attack("supply");
	return t_done("attack_mem_obj_supply");
}
