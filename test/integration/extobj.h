/*
 * Shared by the external-pager tests (test_extobj.c, test_extobj_fail.c):
 * a mailbox page shared by init, the server and the clients; the test
 * server (serve: an object of OBJ_PAGES pages kept in its memory, whose
 * page i starts with PATTERN(i), and a control object whose fills run the
 * command in the mailbox, so a client can have the server invalidate,
 * protect or query between two of its own accesses).
 */
#ifndef TEST_EXTOBJ_H
#define TEST_EXTOBJ_H

#include <string.h>
#include <sys/mman.h>
#include "attack.h"
#include "libsys_file.h"
#include "libsys_memobj.h"

#define OBJ_PAGES	32
#define CTRL_PAGES	256
#define PATTERN(i)	(0x5eed0000u + (uint32_t)(i))

enum { CMD_NOOP, CMD_INVAL, CMD_PROTECT, CMD_DIRTY, CMD_CLOSE, CMD_SUPPLY, CMD_SUPPLY_BAD, CMD_STALL };
enum { SRV_GOOD, SRV_CRASH, SRV_HANG, SRV_GARBAGE, SRV_HOLD, SRV_BENCH };

struct box {
	volatile int64_t srv_pid;
	volatile uint64_t key, ctrl_key, token, ctrl_token;
	volatile int mode;			/* SRV_* */
	volatile uint64_t obj_pages;		/* the object's size (0: OBJ_PAGES) */
	volatile uint64_t fills, fill_pages, syncs, releases, written;
	volatile uint64_t written_idx[16];
	volatile uint64_t nwb;
	volatile struct { uint64_t index, count; } wb[32];
	volatile uint64_t cmd, cmd_a, cmd_n, cmd_mask, ctrl_seq;
	volatile int64_t cmd_r;
	volatile uint64_t held_token;		/* SRV_HOLD: the fill it holds */
	volatile uint64_t refused;		/* SRV_GARBAGE: refusals seen */
	volatile uint64_t flag[8];
};

static uint8_t store[OBJ_PAGES * PAGE_SIZE];
static volatile uintptr_t crash_at = 8;	/* not mapped */

static UNUSED struct box *box_new(void)
{
	struct box *b = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);

	if (b == MAP_FAILED) {
		printf("FAIL: mailbox\n");
		exit(1);
	}
	memset(b, 0, sizeof(*b));
	return b;
}

static void run_cmd(struct box *b)
{
	uint64_t mask = 0;

	switch (b->cmd) {
	case CMD_INVAL:
		b->cmd_r = mo_invalidate((uint32_t)b->key, b->cmd_a, b->cmd_n);
		break;
	case CMD_PROTECT:
		b->cmd_r = mo_protect((uint32_t)b->key, b->cmd_a, b->cmd_n);
		break;
	case CMD_DIRTY:
		b->cmd_r = mo_dirty((uint32_t)b->key, b->cmd_a, b->cmd_n, &mask);
		b->cmd_mask = mask;
		break;
	case CMD_CLOSE:
		b->cmd_r = mo_close((uint32_t)b->key);
		break;
	case CMD_SUPPLY: {	/* our own pages, written here, moved in */
		volatile uint32_t *buf = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
		if (buf == MAP_FAILED) {
			b->cmd_r = -ERR_NOMEM;
			break;
		}
		for (uint64_t k = 0; k < 2; k++) {
			buf[k * PS / 4] = 0xabc0u + (uint32_t)k;
			buf[k * PS / 4 + 1000] = 7;
		}
		b->cmd_r = mo_supply((uint32_t)b->key, b->cmd_a, 2, (const void *)buf);
		b->cmd_mask = buf[0] | buf[PS / 4 + 1000];	/* moved: zeros now */
		break;
	}
	case CMD_SUPPLY_BAD: {
		volatile uint32_t *sh = mmap(NULL, PS, RW, ANON_SHARED, -1, 0), *pr = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
		uint64_t n = 0;
		sh[0] = 1;
		pr[0] = 1;	/* page 1 of pr never touched */
		n += mo_supply((uint32_t)b->key, b->cmd_a, 1, (const void *)sh) == -ERR_FAULT;
		n += mo_supply((uint32_t)b->key, b->cmd_a, 2, (const void *)pr) == -ERR_FAULT;
		n += mo_supply((uint32_t)b->key, b->cmd_a, 1, (const void *)(pr + 1)) == -ERR_INVAL;
		n += mo_supply((uint32_t)b->key, b->cmd_a, 1, (const void *)0x10000000ul) == -ERR_FAULT;
		n += mo_supply((uint32_t)b->key, OBJ_PAGES, 1, (const void *)pr) == -ERR_INVAL;
		n += mo_supply((uint32_t)b->key, 0, 17, (const void *)pr) == -ERR_INVAL;
		n += mo_supply((uint32_t)b->key, 0, 1, (const void *)pr) == -ERR_EXIST;	/* resident */
		n += pr[0] == 1;	/* nothing moved */
		b->cmd_r = (int64_t)n;
		break;
	}
	case CMD_STALL:	/* fetch nothing until told: requests pile up */
		b->flag[5] = 1;
		for (long n = 0; !b->flag[6] && n < 100000000; n++)
			sys_yield();
		b->cmd_r = 0;
		break;
	default:
		b->cmd_r = 0;
	}
}

/* SRV_GARBAGE: everything malformed is refused. */
static void garbage_answers(struct box *b, const struct pager_backing_req *q)
{
	struct ipc_msg m;
	uint64_t mask, n = 0;

#define REFUSED(call, e) do { if ((call) == (e)) n++; else printf("FAIL: %s\n", #call); } while (0)
	REFUSED(mo_done(q->token ^ 1, 0), -ERR_INVAL);
	REFUSED(mo_done(q->token + (1u << 11), 0), -ERR_INVAL);
	REFUSED(mo_done(q->token, 5), -ERR_INVAL);
	REFUSED(mo_done(q->token, -5000), -ERR_INVAL);
	REFUSED(mo_done(0xffffffffu, 0), -ERR_INVAL);
	REFUSED(mo_invalidate((uint32_t)b->key, OBJ_PAGES - 1, 2), -ERR_INVAL);
	REFUSED(mo_invalidate((uint32_t)b->key, ~0ul, 1), -ERR_INVAL);
	REFUSED(mo_invalidate((uint32_t)b->key, 0, 0), -ERR_INVAL);
	REFUSED(mo_protect((uint32_t)b->key, 1, ~0ul), -ERR_INVAL);
	REFUSED(mo_dirty((uint32_t)b->key, 0, 65, &mask), -ERR_INVAL);
	REFUSED(mo_protect(999, 0, 1), -ERR_NOENT);
	REFUSED(mo_set_size((uint32_t)b->key, (uint64_t)MO_PAGES_MAX * PS * 2), -ERR_NOSPC);
	m = (struct ipc_msg){ .info = ipc_info(PAGER_OBJ_PEEK, 0, 0), .w = { b->key, 0, 1, 0 } };
	REFUSED(pager_call(&m), -ERR_PERM);
	m = (struct ipc_msg){ .info = ipc_info(PAGER_OBJ_MAP, 0, 0) };
	REFUSED(pager_call(&m), -ERR_PERM);
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_DEAD, 0, 0) };
	REFUSED(pager_call(&m), -ERR_PERM);
	REFUSED(mo_map(b->srv_pid, (uint32_t)b->key, b->token + 1, NULL, PS, PROT_READ,
		       MAP_SHARED, 0), -ERR_NOENT);
	b->refused = n;
#undef REFUSED
}

/* The test server: answers forever (init kills it). */
static UNUSED void serve(struct box *b)
{
	struct pager_backing_req q;
	struct mo_server s;
	uint64_t tok = 0;
	int64_t res = 0, r;
	uint64_t t1, t2;

	for (int i = 0; i < OBJ_PAGES; i++)
		*(uint32_t *)(store + (uint64_t)i * PS) = PATTERN(i);
	if (mo_serve(b->mode == SRV_HANG ? 300 : 0, &s) < 0 ||
	    (int64_t)(b->key = (uint64_t)mo_create((b->obj_pages ? b->obj_pages : OBJ_PAGES) * PS, &t1)) <= 0 ||
	    (int64_t)(b->ctrl_key = (uint64_t)mo_create(CTRL_PAGES * PS, &t2)) <= 0) {
		printf("FAIL: server set-up\n");
		_exit(1);
	}
	b->token = t1;
	b->ctrl_token = t2;
	b->srv_pid = getpid();
	for (;;) {
		if ((r = mo_wait((uint32_t)tok, res, &q)) <= 0) {
			printf("FAIL: mo_wait %ld\n", (long)r);
			_exit(1);
		}
		tok = res = 0;
		switch (q.op) {
		case BACKING_FILL:
			tok = q.token;
			if (q.key == b->ctrl_key) {
				run_cmd(b);
				break;
			}
			if (b->mode == SRV_CRASH && b->fills)
				*(volatile int *)crash_at = 1;	/* a bug: it dies of SIGSEGV */
			if (b->mode == SRV_HANG)
				for (;;)
					sys_wait(s.notif);	/* never answers */
			if (b->mode == SRV_GARBAGE) {
				garbage_answers(b, &q);
				res = -ERR_IO;
			}
			if (b->mode == SRV_HOLD && !b->held_token) {
				b->held_token = q.token;
				for (long n = 0; !b->flag[7] && n < 20000000; n++)
					sys_yield();	/* another server tries to answer it */
			}
			if (b->mode == SRV_BENCH) {	/* one word a page: the frame comes zeroed */
				for (uint32_t k = 0; k < q.count; k++)
					*(volatile uint64_t *)(q.window + (uint64_t)k * PS) = q.index + k;
				b->fills++;
				b->fill_pages += q.count;
				break;
			}
			for (uint32_t k = 0; k < q.count; k++)
				file_copy((void *)(q.window + (uint64_t)k * PS),
					  store + ((q.index + k) % OBJ_PAGES) * PS, PS);
			b->fills++;
			b->fill_pages += q.count;
			break;
		case BACKING_WRITEBACK:
			tok = q.token;
			if (b->nwb < 32) {
				b->wb[b->nwb].index = q.index;
				b->wb[b->nwb].count = q.count;
			}
			b->nwb++;
			if (q.key == b->key && q.index < OBJ_PAGES && q.bytes <= (OBJ_PAGES - q.index) * PS)
				memcpy(store + q.index * PS, (void *)q.window, q.bytes);
			break;
		case BACKING_SYNC:
			tok = q.token;
			b->syncs++;
			break;
		case BACKING_WRITTEN:
			b->written_idx[b->written++ % 16] = q.index;
			break;
		case BACKING_RELEASE:
			b->releases++;
			break;
		}
	}
}

/* Fork the server (init keeps the mailbox); its pid once it is ready. */
static UNUSED pid_t server_start(struct box *b, int mode)
{
	pid_t s;

	b->mode = mode;
	fflush(stdout);
	if ((s = fork()) == 0) {
		serve(b);
		_exit(0);
	}
	for (long n = 0; !b->srv_pid && n < 20000000; n++)
		sys_yield();
	CHECK(b->srv_pid == s);
	return s;
}

/* Have the server run a command between two accesses: a fill of a fresh
 * page of the control object (mapped MADV_RANDOM: one page a fill). */
static UNUSED int64_t ctl(struct box *b, volatile char *ctrl, uint64_t cmd, uint64_t a, uint64_t n)
{
	b->cmd = cmd;
	b->cmd_a = a;
	b->cmd_n = n;
	(void)ctrl[b->ctrl_seq++ * PS];
	return b->cmd_r;
}

static UNUSED volatile char *map_ctrl(struct box *b)
{
	int64_t r = mo_map(b->srv_pid, (uint32_t)b->ctrl_key, b->ctrl_token, NULL, CTRL_PAGES * PS,
			   PROT_READ, MAP_SHARED, 0);

	if (r < 0 || madvise((void *)r, CTRL_PAGES * PS, MADV_RANDOM) < 0) {
		printf("FAIL: control map %ld\n", (long)r);
		_exit(1);
	}
	return (volatile char *)r;
}

static UNUSED volatile uint32_t *map_obj(struct box *b, int flags)
{
	int64_t r = mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL, OBJ_PAGES * PS, RW, flags, 0);

	if (r < 0) {
		printf("FAIL: map %ld\n", (long)r);
		_exit(1);
	}
	return (volatile uint32_t *)r;
}

#define W(p, page, word)	((p)[(page) * (PS / 4) + (word)])
#define IS_BUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)

#endif
