/*
 * External pagers that fail (docs/external-pagers.md, "Failure rules"):
 * whatever a server does, the rest of the system runs and its clients end
 * with SIGBUS, never hang. Each mode (argv[1]):
 *   crash    the server dies of SIGSEGV while a client's fault waits on
 *            it: that client and one faulting later get SIGBUS, its
 *            object's name maps no more.
 *   hang     the server (a 300 ms timeout) never answers: a client's
 *            fault ends in SIGBUS within a second, and so does the next.
 *   garbage  the server answers with forged tokens, results out of range,
 *            ranges past its object, calls only the file server may make:
 *            each is refused with an error; it then fails the fill and
 *            the client gets SIGBUS.
 *   quota    an unprivileged process: the PAGER_MO_* calls of a server
 *            without serving (-ERR_PERM), serving twice, objects and
 *            pages past the quotas (-ERR_NOSPC), more servers than
 *            MO_SERVERS_MAX, another server answering a held fill or
 *            touching the first's object (refused), a wrong token; the
 *            client whose fill the server holds killed before the answer
 *            (the answer still fills the page for the next client).
 *   flood    a server that fetches nothing while a client stores to 256
 *            watched pages: the stores go on, at most MO_REQS_MAX requests
 *            wait (the notices past it are dropped), a fault needing one
 *            more fill is SIGBUS, the checker passes; once the server
 *            fetches again it gets exactly the notices that fit.
 *   parked   a client signalled (a handler) while its fault waits on a
 *            held fill still gets its page; the server killed while
 *            parked in mo_wait: resident pages stay, a missing one is
 *            SIGBUS, the name maps no more.
 * Every mode ends with after_attack: the checker passes, init works.
 */
#include <signal.h>
#include <unistd.h>
#include "extobj.h"

static struct box *b;

static pid_t client(int page, int wait_flag_first)
{
	pid_t c;

	fflush(stdout);
	if ((c = fork()) == 0) {
		volatile uint32_t *p = map_obj(b, MAP_SHARED);
		if (wait_flag_first)
			for (long n = 0; !b->flag[wait_flag_first] && n < 20000000; n++)
				sys_yield();
		(void)W(p, page, 0);
		_exit(W(p, page, 0) == PATTERN(page) ? 0 : 1);
	}
	CHECK(c > 0);
	return c;
}

static void crash(pid_t s)
{
	int st = -1;
	pid_t a, c;

	a = client(0, 0);
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_EXIT(st, 0));		/* the first fill is served */
	c = client(25, 1);		/* mapped now, faults after the crash */
	a = client(20, 0);		/* the server dies serving this one */
	CHECK_EQ(waitpid(s, &st, 0), s);
	CHECK(IS_SEGV(st));
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_BUS(st));
	b->flag[1] = 1;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(IS_BUS(st));
	CHECK_EQ(mo_map(s, (uint32_t)b->key, b->token, NULL, PS, PROT_READ, MAP_SHARED, 0),
		 -ERR_NOENT);
}

static void hang(pid_t s)
{
	int st = -1;

	for (int i = 0; i < 2; i++) {
		uint64_t t0 = sys_time();
		pid_t a = client(i * 20, 0);
		CHECK_EQ(waitpid(a, &st, 0), a);
		CHECK(IS_BUS(st));
		CHECK(sys_time() - t0 < 10000000ul);	/* within a second */
	}
	CHECK_EQ(kill(s, SIGKILL), 0);
	CHECK_EQ(waitpid(s, &st, 0), s);
}

static void garbage(pid_t s)
{
	int st = -1;
	pid_t a = client(3, 0);

	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_BUS(st));
	CHECK_EQ(b->refused, 16);
	/* It still serves: a fill it answers well after failing one. */
	b->mode = SRV_GOOD;
	a = client(3, 0);
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(kill(s, SIGKILL), 0);
	CHECK_EQ(waitpid(s, &st, 0), s);
}

/* A second server: tries the first's held fill and object. */
static void intruder(void)
{
	struct mo_server ms;
	uint64_t tok = 0, mask;

	CHECK_EQ(mo_serve(0, &ms), 0);
	CHECK_EQ(mo_done((uint32_t)b->held_token, 0), -ERR_INVAL);
	CHECK_EQ(mo_invalidate((uint32_t)b->key, 0, 1), -ERR_NOENT);
	CHECK_EQ(mo_dirty((uint32_t)b->key, 0, 1, &mask), -ERR_NOENT);
	CHECK_EQ(mo_close((uint32_t)b->key), -ERR_NOENT);
	/* Its own objects: the quotas. */
	CHECK_EQ(mo_create(0, &tok), -ERR_INVAL);
	CHECK_EQ(mo_create((uint64_t)MO_PAGES_MAX * PS + 1, &tok), -ERR_INVAL);
	int64_t keys[MO_OBJS_MAX];
	for (int i = 0; i < MO_OBJS_MAX; i++)
		CHECK((keys[i] = mo_create(PS, &tok)) > 0);
	CHECK_EQ(mo_create(PS, &tok), -ERR_NOSPC);
	for (int i = 0; i < MO_OBJS_MAX; i++)
		CHECK_EQ(mo_close((uint32_t)keys[i]), 0);
	int64_t big = mo_create((uint64_t)(MO_PAGES_MAX - 1) * PS, &tok);
	CHECK(big > 0);
	CHECK_EQ(mo_create(2 * PS, &tok), -ERR_NOSPC);
	CHECK(mo_create(PS, &tok) > 0);
	CHECK_EQ(mo_set_size((uint32_t)big, (uint64_t)MO_PAGES_MAX * PS), -ERR_NOSPC);
	CHECK_EQ(mo_serve(0, &ms), -ERR_EXIST);
}

static void not_a_server(void)
{
	struct pager_backing_req q;
	uint64_t tok, mask;
	struct mo_server ms;

	CHECK_EQ(mo_create(PS, &tok), -ERR_PERM);
	CHECK_EQ(mo_wait(0, 0, &q), -ERR_PERM);
	CHECK_EQ(mo_fetch(&q), -ERR_PERM);
	CHECK_EQ(mo_invalidate(1, 0, 1), -ERR_PERM);
	CHECK_EQ(mo_protect(1, 0, 1), -ERR_PERM);
	CHECK_EQ(mo_dirty(1, 0, 1, &mask), -ERR_PERM);
	CHECK_EQ(mo_close(1), -ERR_PERM);
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key, b->token ^ 1, NULL, PS, PROT_READ,
			MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key + 1, b->token, NULL, PS, PROT_READ,
			MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(getpid(), 1, b->token, NULL, PS, PROT_READ, MAP_SHARED, 0), -ERR_NOENT);
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL, PS, PROT_READ,
			MAP_SHARED | MAP_ANONYMOUS, 0), -ERR_INVAL);
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL, PS, PROT_READ, MAP_SHARED, 1),
		 -ERR_INVAL);
	CHECK_EQ(mo_serve(MO_TIMEOUT_MAX_MS + 1, &ms), -ERR_INVAL);
}

/* flood: one client's stores to 256 watched pages while the server
 * fetches nothing. */
static void flood_writer(void)
{
	volatile uint32_t *p = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL,
							  256 * PS, RW, MAP_SHARED, 0);
	volatile char *ctrl = map_ctrl(b);

	CHECK((int64_t)p > 0);
	for (int i = 0; i < 256; i++)
		CHECK_EQ(W(p, i, 0), PATTERN(i % OBJ_PAGES));
	CHECK_EQ(ctl(b, ctrl, CMD_PROTECT, 0, 256), 0);
	b->flag[0] = 1;
	for (long n = 0; !b->flag[1] && n < 20000000; n++)
		sys_yield();
	for (int i = 0; i < 256; i++)
		W(p, i, 1) = 1;	/* a notice each, as far as the quota goes */
}

static void flood_staller(void)
{
	ctl(b, map_ctrl(b), CMD_STALL, 0, 0);
}

static void flood_faulter(void)
{
	(void)map_ctrl(b)[250 * PS];	/* a fill past the quota: SIGBUS */
}

static void flood(pid_t s)
{
	int st = -1;
	pid_t w, a, c;

	fflush(stdout);
	if ((w = fork()) == 0) {
		flood_writer();
		_exit(t_failures ? 1 : 0);
	}
	for (long n = 0; !b->flag[0] && n < 20000000; n++)
		sys_yield();
	if ((a = fork()) == 0) {
		flood_staller();
		_exit(0);
	}
	for (long n = 0; !b->flag[5] && n < 20000000; n++)
		sys_yield();
	b->flag[1] = 1;
	CHECK_EQ(waitpid(w, &st, 0), w);
	CHECK(IS_EXIT(st, 0));	/* stores never wait for the server */
	if ((c = fork()) == 0) {
		flood_faulter();
		_exit(0);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(IS_BUS(st));
	CHECK_EQ(pager_check(), 0);
	b->flag[6] = 1;
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_EXIT(st, 0));
	ctl(b, map_ctrl(b), CMD_NOOP, 0, 0);	/* after every notice queued */
	CHECK_EQ(b->written, MO_REQS_MAX - 1);	/* the stalled fill had one slot */
	CHECK_EQ(kill(s, SIGKILL), 0);
	CHECK_EQ(waitpid(s, &st, 0), s);
}

static int run_child(void (*fn)(void))
{
	pid_t c;
	int st = -1;

	fflush(stdout);
	if ((c = fork()) == 0) {
		fn();
		_exit(t_failures ? 1 : 0);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	return st;
}

static void quota(pid_t s)
{
	pid_t a, srv[MO_SERVERS_MAX + 1];
	int st = -1, n = 0;

	st = run_child(not_a_server);
	CHECK(IS_EXIT(st, 0));
	a = client(3, 0);		/* the server holds its fill */
	for (long i = 0; !b->held_token && i < 20000000; i++)
		sys_yield();
	CHECK(b->held_token != 0);
	st = run_child(intruder);
	CHECK(IS_EXIT(st, 0));
	/* A race with exit: the faulting client dies, then the answer comes. */
	CHECK_EQ(kill(a, SIGKILL), 0);
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_KILL(st));
	b->flag[7] = 1;
	a = client(3, 0);	/* the page the dead one waited for is there */
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(b->fills, 1);
	/* Servers past MO_SERVERS_MAX (the test's is one). */
	b->flag[2] = 0;
	for (; n <= MO_SERVERS_MAX; n++) {
		b->flag[3] = 0;
		fflush(stdout);
		if ((srv[n] = fork()) == 0) {
			struct mo_server ms;
			b->flag[4] = (uint64_t)(mo_serve(0, &ms) + 1000);
			b->flag[3] = 1;
			for (long i = 0; !b->flag[2] && i < 40000000; i++)
				sys_yield();
			_exit(0);
		}
		for (long i = 0; !b->flag[3] && i < 20000000; i++)
			sys_yield();
		if (b->flag[4] != 1000) {
			CHECK_EQ((int64_t)b->flag[4] - 1000, -ERR_NOSPC);
			n++;
			break;
		}
	}
	CHECK_EQ(n, MO_SERVERS_MAX);	/* the test's server and n - 1 more */
	b->flag[2] = 1;
	for (int i = 0; i < n; i++)
		CHECK_EQ(waitpid(srv[i], &st, 0), srv[i]);
	CHECK_EQ(kill(s, SIGKILL), 0);
	CHECK_EQ(waitpid(s, &st, 0), s);
}


/* parked: fault waits and a parked mo_wait are deferred calls answered
 * through the thread handles (docs/external-pagers.md, Lifecycle 4). */
static volatile int got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void parked(pid_t s)
{
	int st = -1;
	pid_t c, d;

	/* A signal with a handler while c's fault waits on the held fill:
	 * the handler runs and the fault still gets its page. */
	fflush(stdout);
	if ((c = fork()) == 0) {
		volatile uint32_t *p = map_obj(b, MAP_SHARED);
		uint32_t w;
		signal(SIGUSR1, on_usr1);
		w = W(p, 5, 0);
		for (long n = 0; !got_usr1 && n < 20000000; n++)
			sys_yield();
		_exit(w == PATTERN(5) && got_usr1 ? 0 : 1);
	}
	for (long n = 0; !b->held_token && n < 20000000; n++)
		sys_yield();
	CHECK(b->held_token != 0);
	CHECK_EQ(kill(c, SIGUSR1), 0);
	for (int n = 0; n < 1000; n++)
		sys_yield();
	b->flag[7] = 1;	/* the server answers */
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(IS_EXIT(st, 0));
	/* The server killed while parked in mo_wait: a resident page stays
	 * readable, a missing one is SIGBUS, the name maps no more. */
	fflush(stdout);
	if ((d = fork()) == 0) {
		volatile uint32_t *p = map_obj(b, MAP_SHARED);
		b->flag[3] = W(p, 5, 0) == PATTERN(5);
		for (long n = 0; !b->flag[4] && n < 20000000; n++)
			sys_yield();
		b->flag[3] += W(p, 5, 0) == PATTERN(5);
		(void)W(p, 30, 0);
		_exit(0);
	}
	for (long n = 0; !b->flag[3] && n < 20000000; n++)
		sys_yield();
	CHECK_EQ(kill(s, SIGKILL), 0);
	CHECK_EQ(waitpid(s, &st, 0), s);
	b->flag[4] = 1;
	CHECK_EQ(waitpid(d, &st, 0), d);
	CHECK(IS_BUS(st));
	CHECK_EQ(b->flag[3], 2);
	CHECK_EQ(mo_map(s, (uint32_t)b->key, b->token, NULL, PS, PROT_READ, MAP_SHARED, 0),
		 -ERR_NOENT);
}
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char name[64];

	b = box_new();
	if (!strcmp(mode, "crash"))
		crash(server_start(b, SRV_CRASH));
	else if (!strcmp(mode, "hang"))
		hang(server_start(b, SRV_HANG));
	else if (!strcmp(mode, "garbage"))
		garbage(server_start(b, SRV_GARBAGE));
	else if (!strcmp(mode, "quota"))
		quota(server_start(b, SRV_HOLD));
	else if (!strcmp(mode, "parked"))
		parked(server_start(b, SRV_HOLD));
	else if (!strcmp(mode, "flood")) {
		b->obj_pages = 256;
		flood(server_start(b, SRV_GOOD));
	}
	else
		CHECK(!"a known mode");
	after_attack(mode);
	snprintf(name, sizeof(name), "extobj_%s", mode);
	return t_done(name);
}
