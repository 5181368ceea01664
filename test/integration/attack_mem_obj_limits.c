/*
 * test_attack_mem_obj's limits: sizes (sizes, offsets and lengths near
 * 2^64, zero, past the quota; keys past 32 bits; names after close) and
 * quota (objects, pages and servers to their quotas and back, twice).
 */
#include "attack_mem_obj.h"

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

int sizes(void)
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

int quota(void)
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
