/*
 * An external pager keeps a frame past its request (attack, branch
 * attack2): pager/bserver.c hands a parked server a request with the
 * window map left to the answer (SYS_IPC_REPLY_TO_RECV's map item, sent
 * at the pager's next receive). If the request is withdrawn in the same
 * message (its timeout, backing_timeouts), the answer must not map
 * frames the request no longer holds.
 *
 * The chain, all within the pager's one timer message: the server holds a
 * fill past its timeout; the fill fails, its client dies of SIGBUS; the
 * client's end queues the write-back of a page it dirtied, which goes to
 * the parked server with the map left to the answer; the write-back,
 * queued after the timer's "now", read as long overdue (an unsigned
 * difference that wrapped) and was withdrawn too; the answer then mapped
 * the page's frame into the server's window with no reference held for
 * it. The server closes the object (the frame is freed), another process
 * fills memory with SECRET, and the server reads its old slot: it must
 * see the page it was given (the request still holds it) or nothing
 * (SIGSEGV), never another process's memory.
 */
#include "extattack.h"

#define OBJ_PAGES	8
#define HOLD_IDX	5		/* the fill held past its timeout */
#define TIMEOUT_MS	300
#define MARK(i)		(0x7a4e0000u + (uint32_t)(i))
#define STORE1		0x57a1e001u
#define STORE2		0x57a1e002u
#define SECRET		0x5ec2e7u
#define CHURN_PAGES	4096

struct box {
	volatile int64_t srv_pid, key;
	volatile uint64_t tok;
	volatile uint64_t wb_seen, wb_window, got_w;
	volatile uint64_t probe_go, probed;
	volatile int64_t res;
};

static struct box *b;

static void server(void)
{
	struct pager_backing_req q;
	uint64_t ans = 0, w0 = 0;

	ext_serve_object(TIMEOUT_MS, OBJ_PAGES, &b->key, &b->tok);
	b->srv_pid = getpid();
	for (;;) {
		if (mo_wait((uint32_t)ans, 0, &q) != 1)
			_exit(2);
		ans = 0;
		if (q.op == BACKING_FILL && q.index == HOLD_IDX) {
			ans = w0;	/* answer the first write-back, hold this fill */
			continue;
		}
		if (q.op == BACKING_FILL) {
			for (uint32_t k = 0; k < q.count; k++)
				*(volatile uint32_t *)(q.window + k * PS) = MARK(q.index + k);
			ans = q.token;
			continue;
		}
		if (q.op != BACKING_WRITEBACK)
			continue;
		if (!b->wb_seen++) {	/* the msync's: held for now */
			w0 = q.token;
			continue;
		}
		/* The client's end's write-back. */
		b->wb_window = q.window;
		b->got_w = 1;
		mo_close((uint32_t)b->key);
		WAIT_UNTIL(b->probe_go);
		b->res = *(volatile uint32_t *)q.window;
		b->probed = 1;
		_exit(0);
	}
}

static void client(void)
{
	int64_t r = mo_map(b->srv_pid, (uint32_t)b->key, b->tok, NULL, OBJ_PAGES * PS,
			   PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	volatile uint32_t *d = (volatile uint32_t *)r;

	if (r <= 0 || madvise((void *)r, OBJ_PAGES * PS, MADV_RANDOM) != 0)
		_exit(1);
	d[0] = STORE1;				/* filled, then dirty */
	if (msync((void *)d, PS, MS_ASYNC) != 0)	/* a write-back the server holds */
		_exit(2);
	d[0] = STORE2;				/* dirty again */
	(void)d[HOLD_IDX * PS / 4];		/* held past the timeout: SIGBUS */
	_exit(3);
}

int main(void)
{
	pid_t s, c, k;
	int st;

	if (!(b = attack_pages(sizeof(*b))))
		return 1;
	s = ext_server_start(server, &b->srv_pid);
	if ((c = fork()) == 0)
		client();
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(IS_BUS(st));
	for (long n = 0; !b->got_w && n < 20000000; n++) {
		if (waitpid(s, &st, WNOHANG) == s)
			break;
		sys_yield();
	}
	CHECK_EQ(b->got_w, 1);
	k = churn(SECRET, CHURN_PAGES);
	b->probe_go = 1;
	CHECK_EQ(waitpid(s, &st, 0), s);
	shared[0] = 1;
	CHECK_EQ(waitpid(k, &st, 0), k);
	/* Nothing in the slot any more, or the page the request holds. */
	if (b->probed) {
		printf("server read %#lx from its old slot\n", (unsigned long)b->res);
		CHECK_EQ(b->res, STORE2);
	}
	after_attack("timeout_map");
	return t_done("timeout_map");
}
