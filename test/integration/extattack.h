/*
 * Helpers for the attacks on external pagers that run their own small
 * server (test_extfast_attack.c, test_extfill_attack.c,
 * test_timeout_map.c, test_attack_mem_obj.c): the flags page and the
 * test's mailbox, starting the server and waiting for it to publish its
 * object, mapping that object, the token a server's next wait answers,
 * and a process that holds fresh pages full of a secret (what a server
 * must never see through a stale window slot). Each test keeps its own
 * mailbox layout; these take the fields they need.
 */
#ifndef TEST_EXTATTACK_H
#define TEST_EXTATTACK_H

#include <signal.h>
#include "abi/pager.h"
#include "attack.h"
#include "libsys_memobj.h"

#ifndef IS_BUS
#define IS_BUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)
#endif

/* Yield until cond holds, or give up after as many rounds as wait_flag. */
#define WAIT_UNTIL(cond)						\
	for (long wait_n_ = 0; !(cond) && wait_n_ < 20000000; wait_n_++)	\
		sys_yield()

/* attack.h's flags page and a zeroed mailbox page of size bytes shared
 * with every child; NULL ("FAIL: set-up" said) if either cannot be had. */
static UNUSED void *attack_pages(size_t size)
{
	void *box;

	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	box = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	if (shared == MAP_FAILED || box == MAP_FAILED) {
		printf("FAIL: set-up\n");
		return NULL;
	}
	memset(box, 0, size);
	return box;
}

/* In the server: serve requests (timeout_ms: 0 for none), create an
 * object of pages pages and put its key and token in the mailbox; it
 * exits 1 if it cannot. The caller publishes its pid last. */
static UNUSED void ext_serve_object(uint64_t timeout_ms, uint64_t pages, volatile int64_t *key,
				    volatile uint64_t *tok)
{
	struct mo_server s;
	uint64_t t;

	if (mo_serve(timeout_ms, &s) < 0 || (*key = mo_create(pages * PS, &t)) <= 0)
		_exit(1);
	*tok = t;
}

/* The token the server's next mo_wait answers for request q: the
 * requests that wait for an answer, answered at once. */
static UNUSED uint64_t ext_answer_of(const struct pager_backing_req *q)
{
	return q->op == BACKING_FILL || q->op == BACKING_WRITEBACK || q->op == BACKING_SYNC ?
	       q->token : 0;
}

/* Fork a server running fn; wait until it has put its pid in *srv_pid. */
static UNUSED pid_t ext_server_start(void (*fn)(void), volatile int64_t *srv_pid)
{
	pid_t s;

	*srv_pid = 0;
	fflush(stdout);
	if ((s = fork()) == 0) {
		fn();
		_exit(0);
	}
	WAIT_UNTIL(*srv_pid);
	CHECK_EQ(*srv_pid, s);
	return s;
}

/* The server's object, pages pages of it, mapped shared and read-only. */
static UNUSED volatile uint32_t *ext_map_read(int64_t srv_pid, int64_t key, uint64_t tok,
					      uint64_t pages)
{
	int64_t r = mo_map(srv_pid, (uint32_t)key, tok, NULL, pages * PS, PROT_READ, MAP_SHARED, 0);

	CHECK(r > 0);
	return r > 0 ? (volatile uint32_t *)r : NULL;
}

/* Free frames as the pager counts them (PAGER_MEMINFO); -1 if it fails. */
static UNUSED int64_t pager_free_frames(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };

	return pager_call(&m) < 0 ? -1 : (int64_t)m.w[1];
}

/* A process that holds pages fresh pages with secret in every eighth word
 * until told to go (shared[0]); shared[1] once they are written. */
static UNUSED pid_t churn(uint32_t secret, uint64_t pages)
{
	pid_t c;

	shared[0] = shared[1] = 0;
	fflush(stdout);
	if ((c = fork()) == 0) {
		volatile uint32_t *m = mmap(NULL, pages * PS, RW, ANON_PRIV, -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		for (uint64_t i = 0; i < pages * PS / 4; i += 8)
			m[i] = secret;
		shared[1] = 1;
		wait_flag(0);
		_exit(0);
	}
	wait_flag(1);
	return c;
}

/* A part of a test with several (argv[1] names one). */
struct attack_part {
	const char *name;
	int (*run)(void);
};

/* Run the part argv[1] names, of the n in parts; main's exit status. */
static UNUSED int run_part(int argc, char **argv, const struct attack_part *parts, int n)
{
	if (argc < 2) {
		printf("FAIL: set-up\n");
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (!strcmp(argv[1], parts[i].name))
			return parts[i].run();
	printf("FAIL: no part %s\n", argv[1]);
	return 1;
}

#endif
