/*
 * The fill-record attacks' harness (fillrec.h): the server the test
 * drives through the mailbox, its clients, and how they ended.
 */
#include "fillrec.h"

struct box *b;
uint64_t map_off, map_len;

static uint64_t obj_pages(void)
{
	return b->pages ? b->pages : OBJ_PAGES;
}

/* Fetch until the fills fetched reach want (or a while passes): how many
 * new ones. Other requests (notices) need no answer. */
static int64_t srv_fetch(uint64_t want)
{
	struct pager_backing_req q[PAGER_OBJ_FETCH_MAX];
	uint64_t before = b->nreq;
	long rounds = 0;

	do {
		int64_t r = mo_fetch(q);
		for (int64_t i = 0; i < r; i++)
			if (q[i].op == BACKING_FILL && b->nreq < NREQ) {
				b->req[b->nreq].index = q[i].index;
				b->req[b->nreq].count = q[i].count;
				b->req[b->nreq].token = q[i].token;
				b->req[b->nreq].window = q[i].window;
				b->nreq++;
			}
		if (b->nreq < want)
			sys_yield();
	} while (b->nreq < want && ++rounds < 200000);
	return (int64_t)(b->nreq - before);
}

static int64_t srv_supply(uint64_t first, uint64_t n)
{
	volatile uint32_t *buf = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);

	if (buf == MAP_FAILED)
		return -ERR_NOMEM;
	for (uint64_t k = 0; k < n; k++)
		buf[k * PS / 4] = SUPPLIED(first + k);
	return mo_supply((uint32_t)b->key, first, n, (const void *)buf);
}

static void server(void)
{
	struct mo_server s;
	uint64_t t;

	if (mo_serve(MO_TIMEOUT_MAX_MS, &s) < 0 || (b->key = mo_create(obj_pages() * PS, &t)) <= 0)
		_exit(1);
	b->tok = t;
	b->nreq = b->gen = 0;
	b->done = b->seq;
	b->srv_pid = getpid();
	for (;;) {
		while (b->done == b->seq)
			sys_yield();
		volatile typeof(b->req[0]) *r = &b->req[b->a < NREQ ? b->a : 0];
		switch (b->cmd) {
		case C_FETCH:
			b->res = srv_fetch(b->a);
			break;
		case C_ANSWER:
			for (uint64_t k = 0; k < r->count; k++)
				*(volatile uint32_t *)(r->window + k * PS) = MARK(b->gen, r->index + k);
			b->gen++;
			b->res = mo_done((uint32_t)r->token, 0);
			break;
		case C_FAIL:
			b->res = mo_done((uint32_t)r->token, -ERR_IO);
			break;
		case C_INVAL:
			b->res = mo_invalidate((uint32_t)b->key, b->a, b->n);
			break;
		case C_SIZE:
			b->res = mo_set_size((uint32_t)b->key, b->a * PS);
			break;
		case C_SUPPLY:
			b->res = srv_supply(b->a, b->n);
			break;
		case C_CLOSE:
			b->res = mo_close((uint32_t)b->key);
			break;
		case C_TOUCH: {	/* our own object, mapped: a word of page a */
			int64_t m = mo_map(getpid(), (uint32_t)b->key, b->tok, NULL, obj_pages() * PS,
					   PROT_READ, MAP_SHARED, 0);
			b->res = m > 0 ? (int64_t)((volatile uint32_t *)m)[b->a * PS / 4] : m;
			break;
		}
		}
		b->done = b->seq;
	}
}

/* Have the server run cmd: its result. */
int64_t srv(uint64_t cmd, uint64_t a, uint64_t n)
{
	b->cmd = cmd;
	b->a = a;
	b->n = n;
	b->seq++;
	WAIT_UNTIL(b->done == b->seq);
	CHECK_EQ(b->done, b->seq);
	return b->res;
}

/* Let a client that is about to fault reach the pager and wait there. */
void settle(void)
{
	for (int i = 0; i < 3000; i++)
		sys_yield();
}

/* A client in slot: maps the object as how says and reads (or, for
 * WRITE_PRIV, writes word 1 of, then reads) each of pages in turn. */
pid_t client(int slot, int how, const uint64_t *pages, int n)
{
	pid_t c;

	b->ready[slot] = b->progress[slot] = 0;
	fflush(stdout);
	if ((c = fork()) == 0) {
		int prot = how == READ_SHARED ? PROT_READ : PROT_READ | PROT_WRITE;
		int64_t r = mo_map(b->srv_pid, (uint32_t)b->key, b->tok, NULL,
				   (map_len ? map_len : obj_pages()) * PS, prot,
				   how == READ_SHARED || how == WRITE_SHARED ? MAP_SHARED : MAP_PRIVATE, map_off * PS);
		if (r <= 0)
			_exit(3);
		volatile uint32_t *d = (volatile uint32_t *)r;
		b->ready[slot] = 1;
		for (int j = 0; j < n; j++) {
			if (how == WRITE_PRIV || how == WRITE_SHARED)
				d[pages[j] * PS / 4 + 1] = 0x77u;
			b->got[slot][j] = d[pages[j] * PS / 4];
			b->progress[slot] = (uint64_t)j + 1;
		}
		_exit(0);
	}
	WAIT_UNTIL(b->ready[slot]);
	CHECK_EQ(b->ready[slot], 1);
	return c;
}

/* A client that will be answered: started, settled in its wait. */
pid_t waiting(int slot, int how, uint64_t page)
{
	uint64_t p[1] = { page };
	pid_t c = client(slot, how, p, 1);

	settle();
	CHECK_EQ(b->progress[slot], 0);	/* still waiting */
	return c;
}

static int status_of(pid_t c)
{
	int st = -1;

	CHECK_EQ(waitpid(c, &st, 0), c);
	return st;
}

void killed(pid_t c)
{
	kill(c, SIGKILL);
	int st = status_of(c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

void exited(pid_t c)
{
	int st = status_of(c);
	CHECK(IS_EXIT(st, 0));
}

void bused(pid_t c)
{
	int st = status_of(c);
	CHECK(IS_BUS(st));
}

pid_t server_start(void)
{
	b->seq = b->done = 0;
	return ext_server_start(server, &b->srv_pid);
}

void server_end(pid_t s)
{
	kill(s, SIGKILL);
	status_of(s);
}

/* The free frames came back to (about) what they were: a fill's 16 lost
 * would show. */
void frames_back(int64_t before, const char *what)
{
	int64_t after = pager_free_frames();

	printf("%s: free frames %ld before, %ld after\n", what, (long)before, (long)after);
	CHECK(after >= before - 4);
}

