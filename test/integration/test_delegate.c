/*
 * Per-region pagers (PAGER_DELEGATE, pager/delegate.c). A forked child
 * of ours, the delegate, serves the faults of a region of our own space
 * or of another child's through PAGER_DELEGATE_FETCH and the bounded
 * reply rights it is given; the pager serves everything else. Shown here:
 * the delegate's pages appear in the region and writes go to them; the
 * client's fork is delegated too; the delegate taking its page back makes
 * the next access fault again; replies outside the region, with too many
 * rights or of a page the delegate does not have end the client and map
 * nothing; a silent delegate and a dead one leave their clients with
 * SIGBUS (a handler runs if there is one); clients killed while their fault is at the delegate; twelve
 * clients held by a silent delegate while another delegate serves its
 * client; bad requests. PAGER_CHECK after each part.
 */
#include <signal.h>
#include <stdbool.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "mm.h"
#include "t.h"

#define REGION	0x50000000ul
#define NPAGES	4
#define IS_BUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)

enum mode { GOOD, OUTSIDE, RIGHTS, NOT_MINE, SILENT, DIE, SLOW };

struct ctl {
	volatile int mode;
	volatile int mode2;		/* the second delegate's (serve(1)) */
	volatile int go;
	volatile int cmd;		/* 1: take page 0 back and refill it */
	volatile int64_t served;	/* replies sent */
	volatile int64_t last_reply;	/* ipc_reply's result */
	volatile int64_t last_client;
	volatile int64_t fetch_errors;
	volatile int block;		/* fetch waiting, not polling */
};

static char pages[NPAGES][PS] __attribute__((aligned(4096)));
static struct ctl *c;

static int64_t delegate(uint64_t pid, uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags,
			uint64_t dpid)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_DELEGATE, 0, 0),
			     .w = { pid, addr, len, prot, flags, dpid } };
	return pager_call(&m);
}

/* Pages mapped in our page tables (PAGER_PROC_STATS w2). */
static int64_t mapped_pages(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_PROC_STATS, 0, 0), .w = { 0 } };

	return pager_call(&m) < 0 ? -1 : (int64_t)m.w[2];
}

static int64_t check(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_CHECK, 0, 0) };
	return pager_call(&m);
}

static void refill(int i, char v)
{
	memset(pages[i], v, PS);
}

/* The delegate: serve what is fetched as c->mode says. */
static _Noreturn void serve(int second)
{
	for (int i = 0; i < NPAGES; i++)
		refill(i, (char)(0x10 + i));
	for (;;) {
		struct ipc_msg m = { .info = ipc_info(PAGER_DELEGATE_FETCH, 0, 0),
				     .w = { c->block ? 0 : PDELEGATE_NOWAIT } };
		int64_t h = pager_call(&m);
		if (h == -ERR_AGAIN || h == -ERR_SRCH) {	/* nothing queued, or no region yet */
			if (c->cmd == 1) {	/* revoke page 0, then give it new data */
				munmap(pages[0], PS);
				mmap(pages[0], PS, RW, ANON_PRIV | MAP_FIXED, -1, 0);
				refill(0, 0x55);
				c->cmd = 0;
			}
			sys_yield();
			continue;
		}
		if (h < 0) {
			c->fetch_errors++;
			continue;
		}
		uint64_t va = m.w[1] & ~(PS - 1), lo = m.w[5];
		struct ipc_msg r = { .info = ipc_info(FAULT_REPLY_MAP, 0, 0),
				     .w = { (uint64_t)pages[((va - lo) / PS) % NPAGES], va,
					    m.w[2] == FAULT_WRITE ? MAP_R | MAP_W : MAP_R } };
		c->last_client = (int64_t)m.w[4];
		switch (second ? c->mode2 : c->mode) {
		case OUTSIDE: r.w[1] = lo - PS; break;
		case RIGHTS: r.w[2] = MAP_R | MAP_W | MAP_X; break;
		case NOT_MINE: r.w[0] = 0x7000000000ul; break;
		case SILENT: c->served++; continue;	/* the handle is kept, never used */
		case DIE: _exit(3);
		case SLOW: for (int i = 0; i < 50; i++) sys_yield(); break;
		}
		c->last_reply = ipc_reply((uint64_t)h, &r);
		sys_handle_close((uint64_t)h);
		c->served++;
	}
}

static pid_t server_start(int second)
{
	pid_t s = fork();

	if (s == 0)
		serve(second);
	return s;
}

/* A child that waits for c->go, then runs fn; exits with fn's code. */
static pid_t client_start(int (*fn)(void))
{
	pid_t p = fork();

	if (p == 0) {
		while (!c->go)
			sys_yield();
		_exit(fn());
	}
	return p;
}

static int touch_region(void)
{
	volatile char *r = (volatile char *)REGION;
	char *anon = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	int st;

	if (r[0] != 0x10 || r[PS] != 0x11)
		return 1;
	r[PS + 8] = 0x77;		/* the delegate's page, written */
	if (r[PS + 8] != 0x77)
		return 2;
	anon[0] = 5;			/* the default pager's, as ever */
	if (anon[0] != 5)
		return 3;
	pid_t g = fork();		/* the fork's region is delegated too */
	if (g == 0)
		_exit(r[2 * PS] == 0x12 && r[PS + 8] == 0x77 ? 0 : 1);
	if (waitpid(g, &st, 0) != g || !IS_EXIT(st, 0))
		return 4;
	/* We may not delegate in our parent's space. */
	if (delegate(getppid(), 0, PS, MAP_R, 0, (uint64_t)getpid()) != -ERR_PERM)
		return 5;
	return 0;
}

static int touch_once(void)
{
	return *(volatile char *)REGION == 0x10 ? 0 : 1;
}

static void on_bus(int sig)
{
	_exit(sig == SIGBUS ? 42 : 43);
}

/* With a SIGBUS handler: a fault the delegate never answers runs it. */
static int touch_handled(void)
{
	struct sigaction sa = { .sa_handler = on_bus };

	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return 2;
	return touch_once();
}

/* Run fn in a client whose region the server serves; its wait status. */
/* PAGER_DELEGATE w4's timeout for run_client's regions (0: the default). */
static uint64_t timeout_ms;

static int run_client(pid_t server, int mode, int (*fn)(void), bool kill_it)
{
	pid_t p = client_start(fn);
	int st = -1;

	c->mode = mode;
	CHECK_EQ(delegate((uint64_t)p, REGION, NPAGES * PS, MAP_R | MAP_W,
			  PMAP_FIXED_NOREPLACE | timeout_ms << 32, (uint64_t)server), REGION);
	c->go = 1;
	if (kill_it) {
		int64_t before = c->served;
		while (c->last_client != p)	/* its fault is at the delegate */
			sys_yield();
		kill(p, SIGKILL);
		CHECK_EQ(waitpid(p, &st, 0), p);
		while (c->served == before)	/* its late answer went nowhere */
			sys_yield();
		CHECK(c->last_reply == -ERR_SRCH || c->last_reply == -ERR_INVAL);
	} else {
		CHECK_EQ(waitpid(p, &st, 0), p);
	}
	c->go = 0;
	CHECK_EQ(check(), 0);
	return st;
}


/* test_delegate cost (under -icount): what a delegated fault costs, the
 * delegate waiting in FETCH; a read of each page of a region of ours
 * (instructions every task retired meanwhile; the median of 64). */
static int cost(void)
{
	volatile char *own = (volatile char *)REGION;
	uint64_t v[64];
	pid_t server;
	int st;

	c = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	c->block = 1;
	server = server_start(0);
	CHECK_EQ(delegate(0, REGION, 64 * PS, MAP_R, PMAP_FIXED_NOREPLACE, (uint64_t)server), REGION);
	(void)own[0];	/* the first, not counted: the delegate may still be starting */
	for (int i = 1; i < 64; i++) {
		uint64_t t0 = rdinstret();
		(void)own[(uint64_t)i * PS];
		v[i] = rdinstret() - t0;
	}
	for (int i = 2; i < 64; i++)
		for (int j = i; j > 1 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	printf("bench: delegated_fault %lu instructions (median of 63)\n", (unsigned long)v[32]);
	CHECK_EQ(munmap((void *)REGION, 64 * PS), 0);
	kill(server, SIGKILL);
	CHECK_EQ(waitpid(server, &st, 0), server);
	return t_done("delegate_cost");
}
int main(int argc, char **argv)
{
	volatile char *own = (volatile char *)REGION;
	pid_t server, p;
	int st;

	if (argc > 1 && strcmp(argv[1], "cost") == 0)
		return cost();
	c = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(c != MAP_FAILED);
	server = server_start(0);

	/* Bad requests. */
	CHECK_EQ(delegate(0, REGION, PS, MAP_R, 0, (uint64_t)getpid()), -ERR_INVAL);
	CHECK_EQ(delegate(0, REGION, PS, MAP_R, 0, 99999), -ERR_SRCH);
	CHECK_EQ(delegate(99999, REGION, PS, MAP_R, 0, (uint64_t)server), -ERR_SRCH);
	CHECK_EQ(delegate(0, REGION, PS, 0x10, 0, (uint64_t)server), -ERR_INVAL);
	CHECK_EQ(delegate(0, REGION, 0, MAP_R, 0, (uint64_t)server), -ERR_INVAL);
	CHECK_EQ(delegate(0, REGION, PS, MAP_R, PMAP_POPULATE, (uint64_t)server), -ERR_INVAL);

	/* Our own space: the region is the delegate's, the rest ours. */
	CHECK_EQ(delegate(0, REGION, NPAGES * PS, MAP_R | MAP_W, PMAP_FIXED_NOREPLACE,
			  (uint64_t)server), REGION);
	CHECK_EQ(delegate(0, REGION, PS, MAP_R, PMAP_FIXED_NOREPLACE, (uint64_t)server),
		 -ERR_EXIST);
	CHECK_EQ(own[0], 0x10);
	CHECK_EQ(own[3 * PS + 5], 0x13);
	CHECK_EQ(c->served, 2);
	CHECK_EQ(c->last_client, getpid());
	/* The delegate takes its page back: ours goes, the next read
	 * faults again and finds the new data. */
	c->cmd = 1;
	while (c->cmd)
		sys_yield();
	CHECK_EQ(own[0], 0x55);
	CHECK_EQ(c->served, 3);
	CHECK_EQ(own[3 * PS + 5], 0x13);	/* still mapped: no fault */
	CHECK_EQ(c->served, 3);
	int64_t before = mapped_pages();
	CHECK_EQ(munmap((void *)REGION, NPAGES * PS), 0);
	CHECK_EQ(mapped_pages(), before - 2);	/* pages 0 and 3 left our tables */
	CHECK_EQ(check(), 0);

	/* A child's region, served; its fork's too; the rest as ever. A
	 * new delegate: the first one's page 0 has other data now. */
	kill(server, SIGKILL);
	CHECK_EQ(waitpid(server, &st, 0), server);
	server = server_start(0);
	c->served = 0;
	st = run_client(server, GOOD, touch_region, false);
	CHECK(IS_EXIT(st, 0));
	if (!IS_EXIT(st, 0))
		printf("good client: status %#x\n", st);
	CHECK_EQ(c->served, 5);	/* 0 and 1 read, 1 written; the fork's 2 and 1 */

	/* Malformed answers end the client and map nothing. */
	st = run_client(server, OUTSIDE, touch_once, false);
	CHECK(IS_KILL(st));
	st = run_client(server, RIGHTS, touch_once, false);
	CHECK(IS_KILL(st));
	st = run_client(server, NOT_MINE, touch_once, false);
	CHECK(IS_KILL(st));

	/* Clients killed while the delegate holds their fault. */
	for (int i = 0; i < 8; i++)
		st = run_client(server, SLOW, touch_once, true);
	CHECK(IS_KILL(st));

	/* A delegate that never answers: SIGBUS after DELEGATE_TIMEOUT (1 s),
	 * or the region's own (100 ms here; more than a minute: EINVAL). */
	uint64_t t0 = sys_time();
	st = run_client(server, SILENT, touch_once, false);
	CHECK(IS_BUS(st));
	CHECK(sys_time() - t0 >= 10000000);
	timeout_ms = 100;
	t0 = sys_time();
	st = run_client(server, SILENT, touch_once, false);
	CHECK(IS_BUS(st));
	CHECK(sys_time() - t0 < 9000000);	/* well under the default */
	timeout_ms = 0;
	CHECK_EQ(delegate(0, REGION, PS, MAP_R, (uint64_t)60001 << 32, (uint64_t)server),
		 -ERR_INVAL);
	st = run_client(server, SILENT, touch_handled, false);
	CHECK(IS_EXIT(st, 42));
	/* One that dies with the fault: SIGBUS at once; later faults too. */
	st = run_client(server, DIE, touch_once, false);
	CHECK(IS_BUS(st));
	CHECK_EQ(waitpid(server, &st, 0), server);
	CHECK(IS_EXIT(st, 3));
	c->mode = GOOD;
	p = client_start(touch_once);
	CHECK_EQ(delegate((uint64_t)p, REGION, PS, MAP_R, PMAP_FIXED_NOREPLACE, (uint64_t)server),
		 -ERR_SRCH);
	c->go = 1;
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(IS_SEGV(st));	/* no region was made */
	c->go = 0;

	/* A new delegate serves as well as the first. */
	server = server_start(0);
	st = run_client(server, GOOD, touch_once, false);
	CHECK(IS_EXIT(st, 0));

	/* Clients held by a silent delegate take no room from another's. */
	pid_t quiet = server_start(1), held[12];
	c->mode2 = SILENT;
	for (int i = 0; i < 12; i++) {
		held[i] = client_start(touch_once);
		CHECK_EQ(delegate((uint64_t)held[i], REGION, PS, MAP_R, PMAP_FIXED_NOREPLACE,
				  (uint64_t)quiet), REGION);
	}
	st = run_client(server, GOOD, touch_once, false);
	CHECK(IS_EXIT(st, 0));
	c->go = 1;
	for (int i = 0; i < 12; i++) {
		CHECK_EQ(waitpid(held[i], &st, 0), held[i]);
		CHECK(IS_BUS(st));
	}
	c->go = 0;
	kill(quiet, SIGKILL);
	CHECK_EQ(waitpid(quiet, &st, 0), quiet);
	CHECK_EQ(c->fetch_errors, 0);
	kill(server, SIGKILL);
	CHECK_EQ(waitpid(server, &st, 0), server);
	CHECK_EQ(check(), 0);
	return t_done("delegate");
}
