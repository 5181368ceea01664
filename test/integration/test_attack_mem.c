/*
 * Attacks on per-region pagers (PAGER_DELEGATE, pager/delegate.c) and the
 * bounded replies they answer through (SYS_REPLY_BOUND), from
 * unprivileged processes: a client that widens through mprotect the
 * rights its delegate gave a page; a delegate that tries to widen its
 * bound; a delegate whose page leaves it (madvise, mo_supply) while a
 * client maps it; regions in another's space, over the IPC buffer, over
 * each other; madvise with policy values out of range. One part per
 * mode: `test_attack_mem widen|bound|revoke|regions`.
 */
#include <signal.h>
#include <stdbool.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "attack.h"
#include "libsys_file.h"
#include "libsys_memobj.h"

#define REGION	0x50000000ul
#define IS_BUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)

enum mode { RONLY, WIDEN, SECOND };

struct ctl {
	volatile int mode;
	volatile int go;
	volatile int cmd;		/* revoke: 1 madvise, 2 mo_supply (then 0) */
	volatile int64_t cmd_r;
	volatile int64_t served;
	volatile int64_t last_reply;
	volatile int64_t bound_r;	/* WIDEN: sys_reply_bound's result */
	volatile uint64_t page0;	/* the delegate's page's first byte */
	volatile int64_t key;
	volatile uint64_t token;
	volatile int64_t dpid;
	volatile int64_t child_r[8];
};

static char *page;	/* the delegate's: private anonymous, mmap'd */
static struct ctl *c;

static int64_t delegate(uint64_t pid, uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags,
			uint64_t dpid)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_DELEGATE, 0, 0),
			     .w = { pid, addr, len, prot, flags, dpid } };
	return pager_call(&m);
}

static void run_cmd(void)
{
	switch (c->cmd) {
	case 1:	/* the page leaves us: madvise(DONTNEED) */
		c->cmd_r = madvise(page, PS, MADV_DONTNEED);
		break;
	case 2:	/* the page moves into our object */
		c->cmd_r = mo_supply((uint32_t)c->key, 0, 1, page);
		break;
	}
	memset(page, 0x20 + c->cmd, PS);	/* a fresh frame, new data */
	c->page0 = (uint8_t)page[0];
	c->cmd = 0;
}

/* The delegate: one page, given read-only to reads; a write fault is
 * refused (FAULT_REPLY_KILL). WIDEN: first try to widen the bound. */
static _Noreturn void serve(int mode)
{
	page = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	memset(page, 0x10, PS);
	c->page0 = 0x10;
	for (;;) {
		struct ipc_msg m = { .info = ipc_info(PAGER_DELEGATE_FETCH, 0, 0),
				     .w = { PDELEGATE_NOWAIT } };
		int64_t h = pager_call(&m);
		if (h == -ERR_AGAIN || h == -ERR_SRCH) {
			if (c->cmd)
				run_cmd();
			c->page0 = (uint8_t)page[0];
			sys_yield();
			continue;
		}
		if (h < 0)
			continue;
		uint64_t va = m.w[1] & ~(PS - 1), lo = m.w[5];
		struct ipc_msg r = { .info = ipc_info(FAULT_REPLY_MAP, 0, 0),
				     .w = { (uint64_t)page, va, MAP_R } };
		if (m.w[2] == FAULT_WRITE)
			r.info = ipc_info(FAULT_REPLY_KILL, 0, 0);
		if (mode == SECOND)
			memset(page, 0x30, PS);
		if (mode == WIDEN) {
			c->bound_r = sys_reply_bound((uint64_t)h, 0, USER_TOP,
						     MAP_R | MAP_W | MAP_X);
			r.info = ipc_info(FAULT_REPLY_MAP, 0, 0);
			r.w[1] = lo - PS;	/* below the region */
		}
		c->last_reply = ipc_reply((uint64_t)h, &r);
		sys_handle_close((uint64_t)h);
		c->served++;
		c->page0 = (uint8_t)page[0];
	}
}

static pid_t delegate_start(int mode)
{
	fflush(stdout);
	pid_t d = fork();

	if (d == 0) {
		if (mode != SECOND) {	/* an object too, for mo_supply */
			struct mo_server s;
			uint64_t tok = 0;
			c->key = mo_serve(0, &s) == 0 ? mo_create(4 * PS, &tok) : -1;
			c->token = tok;
		}
		c->dpid = getpid();
		serve(mode);
	}
	while (c->dpid != d)
		sys_yield();
	return d;
}

static void stop(pid_t d)
{
	int st;

	kill(d, SIGKILL);
	CHECK_EQ(waitpid(d, &st, 0), d);
	c->dpid = 0;
}

/* A client forked before its region is made: waits for c->go. */
static pid_t client_start(int (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();

	if (p == 0) {
		while (!c->go)
			sys_yield();
		_exit(fn());
	}
	return p;
}

static int run_client(pid_t d, int (*fn)(void), uint64_t prot)
{
	pid_t p = client_start(fn);
	int st = -1;

	CHECK_EQ(delegate((uint64_t)p, REGION, PS, prot, PMAP_FIXED_NOREPLACE, (uint64_t)d),
		 REGION);
	c->go = 1;
	CHECK_EQ(waitpid(p, &st, 0), p);
	c->go = 0;
	return st;
}

/* The delegate gave the page read-only: mprotect(PROT_READ | PROT_WRITE)
 * of the region (it is a read-write region) must not make the delegate's
 * page writable here. The store faults to the delegate, which refuses. */
static int widen_client(void)
{
	volatile char *r = (volatile char *)REGION;

	if (r[0] != 0x10)
		return 1;
	if (mprotect((void *)REGION, PS, PROT_READ) != 0 ||
	    mprotect((void *)REGION, PS, PROT_READ | PROT_WRITE) != 0)
		return 2;
	r[0] = 0x66;	/* into the delegate's page, were W given back */
	return 3;
}

static int widen(void)
{
	pid_t d = delegate_start(RONLY);
	int st = run_client(d, widen_client, MAP_R | MAP_W);

	CHECK(!WIFEXITED(st));
	if (WIFEXITED(st))
		printf("FAIL: the client exited %d: it wrote through a read-only grant\n",
		       WEXITSTATUS(st));
	for (long n = 0; c->served < 2 && n < 1000000; n++)
		sys_yield();	/* it counts after its reply */
	for (int i = 0; i < 100; i++)
		sys_yield();
	CHECK_EQ(c->served, 2);	/* the read, then the refused write */
	CHECK_EQ(c->page0, 0x10);	/* the delegate's page is as it was */
	stop(d);
	after_attack("widen");
	return t_done("attack_mem_widen");
}

/* A delegate widens its bound to everything, then maps below the region:
 * the bound is an intersection, the reply is refused, nothing lands. */
static int bound_client(void)
{
	char *below = mmap((void *)(REGION - PS), PS, RW, ANON_PRIV | MAP_FIXED, -1, 0);

	if (below == MAP_FAILED)
		return 1;
	below[0] = 0x44;
	c->child_r[0] = (uint64_t)(uint8_t)*(volatile char *)REGION;
	return 2;
}

static int bound(void)
{
	pid_t d = delegate_start(WIDEN);
	int st = run_client(d, bound_client, MAP_R | MAP_W);

	CHECK(!WIFEXITED(st));	/* ended by the refused reply */
	CHECK_EQ(c->bound_r, 0);	/* allowed: it narrows nothing */
	/* the kernel takes the reply and ends the client for it */
	CHECK_EQ(c->child_r[0], 0);
	stop(d);
	after_attack("bound");
	return t_done("attack_mem_bound");
}

/* The delegate's page leaves it while a client maps it: the client's
 * copy goes with it (the mapping database), and the next read faults to
 * the delegate again and finds the new page. */
static int revoke_client(void)
{
	volatile char *r = (volatile char *)REGION;

	if (r[0] != 0x10)
		return 1;
	for (int cmd = 1; cmd <= 2; cmd++) {
		c->cmd = cmd;
		while (c->cmd)
			sys_yield();
		if (c->cmd_r != 0)
			return 10 + cmd;
		if (r[0] != 0x20 + cmd)	/* the old frame would still say 0x10 */
			return 20 + cmd;
	}
	/* The supplied frame is the object's page 0 now: its data is the
	 * delegate's of before the supply (0x21). */
	int64_t a = mo_map(c->dpid, (uint32_t)c->key, c->token, NULL, PS, PROT_READ, MAP_SHARED, 0);
	if (a < 0)
		return 40;
	if (*(volatile char *)a != 0x21)
		return 41;
	return 0;
}

static int revoke_part(void)
{
	pid_t d = delegate_start(RONLY);
	int st;

	CHECK(c->key > 0);
	st = run_client(d, revoke_client, MAP_R);
	CHECK(IS_EXIT(st, 0));
	if (!IS_EXIT(st, 0))
		printf("revoke client: status %#x\n", st);
	stop(d);
	after_attack("revoke");
	return t_done("attack_mem_revoke");
}

/* A client of init's that tries to delegate in a sibling's space and in
 * the spaces of processes above it. */
static int foreign_client(void)
{
	int64_t sib = c->child_r[1];

	c->child_r[2] = delegate((uint64_t)sib, REGION, PS, MAP_R, 0, (uint64_t)c->dpid);
	c->child_r[3] = delegate((uint64_t)getppid(), REGION, PS, MAP_R, 0, (uint64_t)c->dpid);
	c->child_r[4] = delegate(1, REGION, PS, MAP_R, 0, (uint64_t)c->dpid);
	return 0;
}

static int sleeper(void)
{
	while (c->go != 2)
		sys_yield();
	return 0;
}

static int regions(void)
{
	pid_t d = delegate_start(RONLY), d2 = delegate_start(SECOND), sib, p;
	volatile char *r = (volatile char *)REGION;
	int st;

	/* Another's space: a sibling's, the parent's, the pager's. */
	sib = client_start(sleeper);
	c->child_r[1] = sib;
	p = client_start(foreign_client);
	c->go = 1;
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(c->child_r[2], -ERR_PERM);
	CHECK_EQ(c->child_r[3], -ERR_PERM);
	CHECK(c->child_r[4] == -ERR_PERM || c->child_r[4] == -ERR_SRCH);
	c->go = 2;
	CHECK_EQ(waitpid(sib, &st, 0), sib);
	CHECK(IS_EXIT(st, 0));
	c->go = 0;

	/* Over our IPC buffer: refused, IPC still works. */
	uint64_t ib = (uint64_t)ipcbuf();
	CHECK(delegate(0, ib, PS, MAP_R, PMAP_FIXED, (uint64_t)d) < 0);
	CHECK(delegate(0, ib - PS, 2 * PS, MAP_R, PMAP_FIXED, (uint64_t)d) < 0);
	CHECK_EQ(call(PAGER_POLICY, 0, 0, 0, 0, 0, 0) > 0, 1);	/* its name in the buffer */
	CHECK(((char *)ipcbuf())[0] != 0);
	CHECK_EQ(pager_check(), 0);

	/* Overlapping regions: the later (MAP_FIXED) takes its part; the
	 * first keeps the rest; NOREPLACE refuses. */
	CHECK_EQ(delegate(0, REGION, 4 * PS, MAP_R, PMAP_FIXED_NOREPLACE, (uint64_t)d), REGION);
	CHECK_EQ(delegate(0, REGION + PS, PS, MAP_R, PMAP_FIXED_NOREPLACE, (uint64_t)d2),
		 -ERR_EXIST);
	CHECK_EQ(delegate(0, REGION + PS, PS, MAP_R, PMAP_FIXED, (uint64_t)d2), REGION + PS);
	CHECK_EQ(r[0], 0x10);
	CHECK_EQ(r[PS], 0x30);
	CHECK_EQ(r[2 * PS], 0x10);
	/* Delegated twice over itself, many times: no region leaks. */
	for (int i = 0; i < 64; i++)
		CHECK_EQ(delegate(0, REGION, 4 * PS, MAP_R, PMAP_FIXED, (uint64_t)(i & 1 ? d : d2)),
			 REGION);
	CHECK_EQ(r[3 * PS], 0x10);
	CHECK_EQ(munmap((void *)REGION, 4 * PS), 0);

	/* madvise: policy values out of range; in range, on a region. */
	CHECK_EQ(delegate(0, REGION, 4 * PS, MAP_R, PMAP_FIXED_NOREPLACE, (uint64_t)d), REGION);
	const uint64_t bad[] = { PADV_DONTNEED + 1, PADV_POLICY_DEFAULT - 1, PADV_POLICY_NONE + 1,
				 (1ul << 32) | PADV_POLICY_FIXED, (1ul << 63) | PADV_POLICY_NONE,
				 ~0ul, (uint64_t)-PADV_POLICY_FIXED };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(call(PAGER_MADVISE, 0, REGION, PS, bad[i], 0, 0), -ERR_INVAL);
	for (uint64_t a = PADV_POLICY_DEFAULT; a <= PADV_POLICY_NONE; a++)
		CHECK_EQ(call(PAGER_MADVISE, 0, REGION, 4 * PS, a, 0, 0), 0);
	CHECK_EQ(r[PS], 0x10);
	CHECK_EQ(munmap((void *)REGION, 4 * PS), 0);
	stop(d);
	stop(d2);
	after_attack("regions");
	return t_done("attack_mem_regions");
}

/* A delegate that execs while it holds a fault (the new program is no
 * delegate of that fault: its handle went with the old image): the
 * client gets SIGBUS then, not when the region's minute is up. */
static int touch_once(void)
{
	return *(volatile char *)REGION == 0x10 ? 0 : 1;
}

static int exec_part(void)
{
	int st;
	pid_t p, d;

	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	fflush(stdout);
	if ((d = fork()) == 0) {
		struct ipc_msg m = { .info = ipc_info(PAGER_DELEGATE_FETCH, 0, 0) };
		c->dpid = getpid();
		int64_t h;
		while ((h = pager_call(&m)) < 0) {
			m = (struct ipc_msg){ .info = ipc_info(PAGER_DELEGATE_FETCH, 0, 0) };
			sys_yield();
		}
		c->served++;
		printf("delegate: fault at %#lx, exec\n", (unsigned long)m.w[1]);
		fflush(stdout);
		execl("/bin/xprobe", "xprobe", "hold", (char *)NULL);
		_exit(99);
	}
	while (c->dpid != d)
		sys_yield();
	p = client_start(touch_once);
	CHECK_EQ(delegate((uint64_t)p, REGION, PS, MAP_R, PMAP_FIXED_NOREPLACE | 60000ul << 32,
			  (uint64_t)d), REGION);
	uint64_t t0 = sys_time();
	c->go = 1;
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(IS_BUS(st));
	CHECK_EQ(c->served, 1);
	CHECK(sys_time() - t0 < 50000000);	/* 5 s, not 60 */
	printf("client ended after %lu ms\n", (unsigned long)((sys_time() - t0) / 10000));
	c->go = 0;
	CHECK_EQ(waitpid(d, &st, WNOHANG), 0);	/* the new program runs on */
	stop(d);
	after_attack("exec");
	return t_done("attack_mem_exec");
}

int main(int argc, char **argv)
{
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	c = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	if (shared == MAP_FAILED || c == MAP_FAILED || argc < 2) {
		printf("FAIL: set-up\n");
		return 1;
	}
	if (!strcmp(argv[1], "widen"))
		return widen();
	if (!strcmp(argv[1], "bound"))
		return bound();
	if (!strcmp(argv[1], "revoke"))
		return revoke_part();
	if (!strcmp(argv[1], "exec"))
		return exec_part();
	if (!strcmp(argv[1], "regions"))
		return regions();
	printf("FAIL: no part %s\n", argv[1]);
	return 1;
}
