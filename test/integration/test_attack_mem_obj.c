/*
 * Attacks on external memory objects (PAGER_MO_*, pager/extobj.c,
 * bserver.c; docs/external-pagers.md) from unprivileged processes, one
 * part per mode (`test_attack_mem_obj supply|sizes|quota|answers`):
 *
 *   supply   MO_SUPPLY of pages that are not the server's to give: its
 *            window (a fill's frames), its IPC buffer, its program's
 *            text and data, a page shared with its fork (COW), a page of
 *            its own object (shared and private), a source range that
 *            wraps; supply racing an invalidate; a second server's
 *            same-numbered key names its own object only
 *   sizes    sizes, offsets and lengths near 2^64, zero, past the quota;
 *            keys past 32 bits; names after close
 *   quota    objects, pages and servers taken to their quotas and given
 *            back, twice: the counts return, and so do the frames
 *            (PAGER_MEMINFO) and the kernel's pool
 *   answers  a write-back and a fill answered twice, a late answer after
 *            the timeout, a server that dies holding a fill
 */
#include <signal.h>
#include "abi/pager.h"
#include "attack.h"
#include "libsys_memobj.h"
#include "pool.h"

#define IS_BUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)
#define NPAGES		32	/* a fill from page 0 takes 16: the targets are past them */

struct box {
	volatile int64_t srv_pid, key, key2;
	volatile uint64_t token, token2;
	volatile int64_t r[48];
	volatile int stage, done;
	volatile uint64_t held;		/* a fill's token */
};

static struct box *b;
static uint8_t data_page[PS] __attribute__((aligned(4096)));

static int64_t raw(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { w0, w1, w2, w3 } };

	return pager_call(&m);
}

static void wait_stage(int s)
{
	for (long n = 0; b->stage < s && n < 20000000; n++)
		sys_yield();
}

static int64_t pager_free_pages(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };

	return pager_call(&m) < 0 ? -1 : (int64_t)m.w[1];
}

static pid_t start(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();

	if (p == 0) {
		fn();
		_exit(0);
	}
	return p;
}

static void reap(pid_t p, int *st)
{
	CHECK_EQ(waitpid(p, st, 0), p);
}

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

static int supply(void)
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

/* ---- sizes ---- */

static void sizes_server(void)
{
	struct mo_server s;
	uint64_t tok, t2;
	volatile int64_t *r = b->r;
	int64_t k, k2;

	if (mo_serve(0, &s) < 0)
		_exit(1);
	r[0] = mo_create(0, &tok);
	r[1] = mo_create(~0ul, &tok);
	r[2] = mo_create(~0ul - PS + 2, &tok);	/* rounds up past 2^64 */
	r[3] = mo_create(((uint64_t)MO_PAGES_MAX << PAGE_SHIFT) + 1, &tok);
	k = mo_create(1, &tok);	/* one byte: one page */
	k2 = mo_create(PS, &t2);
	r[4] = k > 0 && k2 > 0;
	r[5] = mo_set_size((uint32_t)k, ~0ul);
	r[6] = mo_set_size((uint32_t)k, ~0ul - PS + 2);
	r[7] = raw(PAGER_OBJ_SIZE, (1ul << 32) | (uint64_t)k, PS, 0, 0);
	r[8] = raw(PAGER_MO_INVALIDATE, (1ul << 32) | (uint64_t)k, 0, 1, 0);
	r[9] = raw(PAGER_MO_SUPPLY, (1ul << 32) | (uint64_t)k, 0, 1, 0x10000000);
	r[10] = mo_invalidate((uint32_t)k, 1, ~0ul);
	r[11] = mo_invalidate((uint32_t)k, ~0ul, 2);
	r[12] = mo_protect((uint32_t)k, 0, 0);
	uint64_t mask;
	r[13] = mo_dirty((uint32_t)k, ~0ul - 1, 2, &mask);
	r[14] = raw(PAGER_MO_INVALIDATE, (uint64_t)k, 0, 1, 2);	/* an unknown flag */
	r[15] = mo_set_size((uint32_t)k, 0);	/* empty: every page past EOF */
	b->key = k;
	b->token = tok;
	b->key2 = k2;
	b->token2 = t2;
	b->srv_pid = getpid();
	wait_stage(1);
	r[16] = mo_close((uint32_t)k2);
	r[17] = mo_close((uint32_t)k2);
	r[18] = mo_create(PS, &tok);	/* a fresh key: never k2 again */
	b->stage = 2;
	for (;;)
		sys_yield();
}

static int sizes(void)
{
	pid_t s = start(sizes_server), c;
	volatile int64_t *r = b->r;
	uint64_t pid;
	int st;

	while (!b->srv_pid)
		sys_yield();
	pid = (uint64_t)b->srv_pid;
	CHECK_EQ(r[0], -ERR_INVAL);
	CHECK_EQ(r[1], -ERR_INVAL);
	CHECK_EQ(r[2], -ERR_INVAL);
	CHECK_EQ(r[3], -ERR_INVAL);
	CHECK_EQ(r[4], 1);
	CHECK_EQ(r[5], -ERR_INVAL);
	CHECK_EQ(r[6], -ERR_INVAL);
	CHECK_EQ(r[7], -ERR_INVAL);
	CHECK_EQ(r[8], -ERR_NOENT);
	CHECK_EQ(r[9], -ERR_NOENT);
	CHECK_EQ(r[10], -ERR_INVAL);
	CHECK_EQ(r[11], -ERR_INVAL);
	CHECK_EQ(r[12], -ERR_INVAL);
	CHECK_EQ(r[13], -ERR_INVAL);
	CHECK_EQ(r[14], -ERR_INVAL);
	CHECK_EQ(r[15], 0);
	/* Mappings whose offsets or lengths wrap, or are empty. */
	uint32_t k = (uint32_t)b->key, k2 = (uint32_t)b->key2;
	uint64_t t = b->token, t2 = b->token2;
	CHECK_EQ(mo_map(pid, k, t, NULL, 0, PROT_READ, MAP_SHARED, 0), -ERR_INVAL);
	CHECK(mo_map(pid, k, t, NULL, ~0ul, PROT_READ, MAP_SHARED, 0) < 0);
	CHECK(mo_map(pid, k, t, NULL, ~0ul - PS + 2, PROT_READ, MAP_SHARED, 0) < 0);
	CHECK_EQ(mo_map(pid, k, t, NULL, PS, PROT_READ, MAP_SHARED, ~0ul & ~(PS - 1)), -ERR_INVAL);
	CHECK_EQ(mo_map(pid, k, t, NULL, 2 * PS, PROT_READ, MAP_SHARED, 1ul << 63), -ERR_INVAL);
	CHECK_EQ(mo_map(pid, k, t, NULL, PS, PROT_READ, MAP_SHARED, 1), -ERR_INVAL);
	CHECK(mo_map(pid, k, t, (void *)(USER_TOP - PS), 2 * PS, PROT_READ, MAP_SHARED | MAP_FIXED,
		     0) < 0);
	CHECK_EQ(mo_map(pid, k, t, NULL, PS, 0x100, MAP_SHARED, 0), -ERR_INVAL);
	CHECK_EQ(mo_map(pid, k, t, NULL, PS, PROT_READ, MAP_SHARED | MAP_PRIVATE, 0), -ERR_INVAL);
	CHECK_EQ(mo_map(pid | 1ul << 31, k, t, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(0, k, t, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(pid, 0, t, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(pid, k, 0, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(pid, k, t2, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	/* The emptied object maps, and a touch is SIGBUS (past its end). */
	c = fork();
	if (c == 0) {
		int64_t a = mo_map(pid, k, t, NULL, PS, PROT_READ, MAP_SHARED, 0);
		if (a < 0)
			_exit(1);
		_exit(*(volatile char *)a);
	}
	reap(c, &st);
	CHECK(IS_BUS(st));
	/* The last offset a page map holds, under the adaptive policy read
	 * sequentially: past the object's end, SIGBUS; one further, refused. */
	const uint64_t last = ((1ul << 27) - 1) * PS;
	CHECK_EQ(mo_map(pid, k2, t2, NULL, PS, PROT_READ, MAP_SHARED, last + PS), -ERR_INVAL);
	c = fork();
	if (c == 0) {
		int64_t a = mo_map(pid, k2, t2, NULL, PS, PROT_READ, MAP_SHARED, last);
		if (a < 0 || call(PAGER_MADVISE, 0, (uint64_t)a, PS, PADV_POLICY_ADAPTIVE, 0, 0) < 0 ||
		    madvise((void *)a, PS, MADV_SEQUENTIAL) < 0)
			_exit(1);
		_exit(*(volatile char *)a);
	}
	reap(c, &st);
	CHECK(IS_BUS(st));
	/* Closed twice, then named: nothing. */
	b->stage = 1;
	wait_stage(2);
	CHECK_EQ(r[16], 0);
	CHECK_EQ(r[17], -ERR_NOENT);
	CHECK(r[18] > 0 && r[18] != k2);
	CHECK_EQ(mo_map(pid, k2, t2, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	kill(s, SIGKILL);
	reap(s, &st);
	/* The dead server's names map no more. */
	CHECK_EQ(mo_map(pid, k, t, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	after_attack("sizes");
	return t_done("attack_mem_obj_sizes");
}

/* ---- quota ---- */

/* One server's round: every quota reached, given back, reached again. */
static void quota_server(void)
{
	struct mo_server s;
	uint64_t tok, keys[MO_OBJS_MAX];
	volatile int64_t *r = b->r;
	int n = 0;

	if (mo_serve(0, &s) < 0)
		_exit(1);
	for (int round = 0; round < 2; round++) {
		/* Objects: MO_OBJS_MAX of them, pages: MO_PAGES_MAX in all. */
		for (n = 0; n < MO_OBJS_MAX - 1; n++)
			if ((int64_t)(keys[n] = (uint64_t)mo_create(PS, &tok)) <= 0)
				break;
		r[0] += n == MO_OBJS_MAX - 1;
		keys[n] = (uint64_t)mo_create((uint64_t)(MO_PAGES_MAX - n) * PS, &tok);
		r[1] += (int64_t)keys[n] > 0;
		r[2] += mo_create(PS, &tok) == -ERR_NOSPC;
		r[3] += mo_set_size((uint32_t)keys[0], 2 * PS) == -ERR_NOSPC;
		/* Resident pages in them: moved in, then gone with them. */
		volatile uint32_t *a = mmap(NULL, 16 * PS, RW, ANON_PRIV, -1, 0);
		for (int i = 0; i < 16; i++)
			a[i * PS / 4] = (uint32_t)i;
		r[4] += mo_supply((uint32_t)keys[n], 0, 16, (const void *)a) == 0;
		munmap((void *)a, 16 * PS);
		/* Shrink one, the page quota comes back: then grow another. */
		r[5] += mo_set_size((uint32_t)keys[n], (uint64_t)(MO_PAGES_MAX - n - 1) * PS) == 0;
		r[6] += mo_set_size((uint32_t)keys[0], 2 * PS) == 0;
		r[7] += mo_set_size((uint32_t)keys[1], 2 * PS) == -ERR_NOSPC;
		for (int i = 0; i <= n; i++)
			r[8] += mo_close((uint32_t)keys[i]) == 0;
	}
	b->srv_pid = getpid();
	for (;;)
		sys_yield();
}

static void idle_server(void)
{
	struct mo_server s;

	b->r[30 + b->stage] = mo_serve(0, &s);
	b->done++;
	for (;;)
		sys_yield();
}

static void quota_round(void)
{
	pid_t s, idle[MO_SERVERS_MAX];
	int st;

	memset((void *)b->r, 0, sizeof(b->r));
	s = start(quota_server);
	while (!b->srv_pid)
		sys_yield();
	CHECK_EQ(b->r[0], 2);
	CHECK_EQ(b->r[1], 2);
	CHECK_EQ(b->r[2], 2);
	CHECK_EQ(b->r[3], 2);
	CHECK_EQ(b->r[4], 2);
	CHECK_EQ(b->r[5], 2);
	CHECK_EQ(b->r[6], 2);
	CHECK_EQ(b->r[7], 2);
	CHECK_EQ(b->r[8], 2 * MO_OBJS_MAX);
	/* Servers: the quota server and MO_SERVERS_MAX - 1 more; one past
	 * is refused; one gone, its place is free again. */
	b->done = 0;
	for (int i = 0; i < MO_SERVERS_MAX; i++) {
		b->stage = i;
		idle[i] = start(idle_server);
		while (b->done != i + 1)
			sys_yield();
	}
	for (int i = 0; i < MO_SERVERS_MAX - 1; i++)
		CHECK_EQ(b->r[30 + i], 0);
	CHECK_EQ(b->r[30 + MO_SERVERS_MAX - 1], -ERR_NOSPC);
	kill(s, SIGKILL);
	reap(s, &st);
	b->stage = 10;	/* its result in r[40] */
	pid_t extra = start(idle_server);
	while (b->done != MO_SERVERS_MAX + 1)
		sys_yield();
	CHECK_EQ(b->r[40], 0);
	for (int i = 0; i < MO_SERVERS_MAX; i++) {
		kill(idle[i], SIGKILL);
		reap(idle[i], &st);
	}
	kill(extra, SIGKILL);
	reap(extra, &st);
	b->srv_pid = 0;
	b->stage = 0;
}

static int quota(void)
{
	struct kernel_info k0;
	int64_t f0, f1;

	quota_round();	/* the first: whatever the pager's heap takes for good */
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(sys_kernel_info(&k0), 0);
	f0 = pager_free_pages();
	quota_round();
	CHECK_EQ(pager_check(), 0);
	f1 = pager_free_pages();
	printf("free pages %ld before the second round, %ld after\n", (long)f0, (long)f1);
	CHECK(f1 >= f0);
	pool_back("quota", &k0);
	after_attack("quota");
	return t_done("attack_mem_obj_quota");
}

/* ---- answers ---- */

static void answers_server(void)
{
	struct mo_server s;
	struct pager_backing_req q;
	volatile int64_t *r = b->r;
	uint64_t tok;
	uint32_t key;

	if (mo_serve(300, &s) < 0 || (b->key = mo_create(NPAGES * PS, &tok)) <= 0)
		_exit(1);
	key = (uint32_t)b->key;
	b->token = tok;
	b->srv_pid = getpid();
	for (;;) {
		if (mo_wait(0, 0, &q) != 1)
			_exit(2);
		if (q.op == BACKING_FILL && q.index == 20 && !b->held) {
			/* Not answered in time: its client gets SIGBUS; the
			 * late answer names nothing. */
			b->held = q.token;
			wait_stage(2);
			r[3] = mo_done(q.token, 0);
			b->stage = 3;
			continue;
		}
		if (q.op == BACKING_FILL)
			for (uint32_t k = 0; k < q.count; k++)
				*(volatile uint32_t *)(q.window + k * PS) = 0xf0 + q.index + k;
		if (q.op == BACKING_WRITEBACK) {	/* answered twice, then as a failure */
			r[0] = mo_done(q.token, 0);
			r[1] = mo_done(q.token, 0);
			r[2] = mo_done(q.token, -ERR_IO);
			b->stage = 1;
			continue;
		}
		if (q.token)
			mo_done(q.token, 0);
		(void)key;
	}
}

static int answers(void)
{
	pid_t s = start(answers_server), c;
	int st;

	while (!b->srv_pid)
		sys_yield();
	volatile uint32_t *m = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->token,
							   NULL, NPAGES * PS, RW, MAP_SHARED, 0);
	CHECK((int64_t)m > 0);
	if ((int64_t)m < 0)
		return t_done("attack_mem_obj_answers");
	CHECK_EQ(m[0], 0xf0);
	m[1] = 0x1234;	/* dirty */
	CHECK_EQ(msync((void *)m, PS, MS_SYNC), 0);
	wait_stage(1);
	CHECK_EQ(b->r[0], 0);
	CHECK_EQ(b->r[1], -ERR_INVAL);
	CHECK_EQ(b->r[2], -ERR_INVAL);
	c = fork();
	if (c == 0)
		_exit((int)m[20 * PS / 4]);
	uint64_t t0 = sys_time();
	reap(c, &st);
	CHECK(IS_BUS(st));
	CHECK(sys_time() - t0 >= 3000000);	/* the 300 ms timeout */
	b->stage = 2;
	wait_stage(3);
	CHECK_EQ(b->r[3], -ERR_INVAL);
	CHECK_EQ(m[20 * PS / 4], 0xf0 + 20);	/* a new fill, answered */
	CHECK_EQ(m[1], 0x1234);
	CHECK_EQ(munmap((void *)m, NPAGES * PS), 0);
	CHECK_EQ(pager_check(), 0);
	kill(s, SIGKILL);
	reap(s, &st);
	after_attack("answers");
	return t_done("attack_mem_obj_answers");
}

int main(int argc, char **argv)
{
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	b = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	if (shared == MAP_FAILED || b == MAP_FAILED || argc < 2) {
		printf("FAIL: set-up\n");
		return 1;
	}
	memset((void *)b, 0, sizeof(*b));
	if (!strcmp(argv[1], "supply"))
		return supply();
	if (!strcmp(argv[1], "sizes"))
		return sizes();
	if (!strcmp(argv[1], "answers"))
		return answers();
	if (!strcmp(argv[1], "quota"))
		return quota();
	printf("FAIL: no part %s\n", argv[1]);
	return 1;
}
