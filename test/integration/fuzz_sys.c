/*
 * The fuzzer's random syscalls (FZ_SYSCALL). Each operation is one call
 * with arguments from the pools in fuzz_values.c. The calls that could
 * block this single thread forever (IPC on our own endpoints, a wait with
 * no bit pending) get only handles on which they cannot; everything else
 * is fair game; thread control leaves the fault class's guests to that
 * class, and a reply handle saved here for a guest's fault goes to it.
 * Every result must be >= 0 or a negated ERR_* code (check_result, also
 * for fuzz_pager.c's requests). Also here: FZ_EXHAUST's pool-emptying calls.
 */
#include <stdio.h>
#include <string.h>
#include "abi/fault.h"
#include "fuzz.h"

#define OBJECT_CAP	48	/* objects a child keeps without FZ_EXHAUST */
#define GROWTH_CAP	256	/* page-table-growing calls between task purges */

static uint64_t growth;		/* SYS_MAP / SYS_THREAD_CREATE since the last purge */

static const int64_t known_errors[] = {
	ERR_PERM, ERR_NOENT, ERR_SRCH, ERR_INTR, ERR_IO, ERR_NOEXEC, ERR_BADF, ERR_CHILD, ERR_AGAIN,
	ERR_NOMEM, ERR_ACCES, ERR_FAULT, ERR_BUSY, ERR_EXIST, ERR_NODEV, ERR_INVAL,
	ERR_NOSPC, ERR_NOSYS, ERR_NOTSUP,
};

/* A result is a success or one of the documented error codes. */
void check_result(struct fz *f, const char *what, uint64_t nr, int64_t r)
{
	if (r >= 0)
		return;
	f->refused++;
	for (unsigned i = 0; i < sizeof(known_errors) / sizeof(known_errors[0]); i++)
		if (r == -known_errors[i])
			return;
	f->failed++;
	printf("FAIL: fuzz: op %llu: %s %llu returned %lld\n", (unsigned long long)f->ops,
	       what, (unsigned long long)nr, (long long)r);
	fflush(stdout);
}

void trace(struct fz *f, const char *what, uint64_t nr, const uint64_t *a, int n)
{
	if (!(f->classes & FZ_TRACE))
		return;
	printf("fuzz: op %llu %s %llu", (unsigned long long)f->ops, what, (unsigned long long)nr);
	for (int i = 0; i < n; i++)
		printf(" %#llx", (unsigned long long)a[i]);
	printf("\n");
	fflush(stdout);
}

/* Make room for a new object: without FZ_EXHAUST a child holds a bounded
 * number, so it cannot empty the kernel pool (issue 6, A.5). */
static void make_room(struct fz *f)
{
	if (f->classes & FZ_EXHAUST)
		return;
	while (f->nobjects >= OBJECT_CAP) {
		uint64_t h = 1 + fz_below(f, FZ_HANDLES - 1);
		if (f->kind[h] == HK_EP || f->kind[h] == HK_NOTIF || f->kind[h] == HK_TASK ||
		    f->kind[h] == HK_THREAD || f->kind[h] == HK_OTHER || f->kind[h] == HK_REPLY)
			fz_close(f, h);
		else if (f->kind[h] >= HK_GUEST_TASK && fz_chance(f, 4))
			fz_close(f, h);	/* the fault class rebuilds */
	}
}

/* Sparse maps and new threads grow page tables, mapping records and
 * thread objects in our tasks: every GROWTH_CAP of them (a run of n pages
 * counts 1 + n / 8), destroy our tasks (not the fault class's), unless
 * FZ_EXHAUST. */
static void count_growth(struct fz *f, uint64_t n)
{
	if ((f->classes & FZ_EXHAUST) || (growth += n) < GROWTH_CAP)
		return;
	growth = 0;
	for (uint64_t h = 1; h < FZ_HANDLES; h++)
		if (f->kind[h] == HK_TASK || f->kind[h] == HK_THREAD)
			fz_close(f, h);
}

/* A source page and rights for a mapping into a task whose threads may
 * run it: executable only from pages that fault at once or run the guest
 * loop, and never writable pages that another task could then fill. */
void fz_map_args(struct fz *f, uint64_t *src, uint64_t *rights)
{
	*src = fz_src_page(f);
	*rights = fz_rights(f);
	if (*rights & MAP_X) {
		static const char *const safe[] = { fz_zero_page, fz_ones_page, NULL };
		uint64_t k = fz_below(f, 3);
		*src = safe[k] ? (uint64_t)safe[k] : fz_guest_page();
		if (fz_chance(f, 16))
			*src += 1;	/* misaligned */
	}
	if ((*src & ~(PAGE_SIZE - 1)) == (uint64_t)fz_zero_page ||
	    (*src & ~(PAGE_SIZE - 1)) == (uint64_t)fz_ones_page ||
	    (*src & ~(PAGE_SIZE - 1)) == (uint64_t)fz_text)
		*rights &= ~(uint64_t)MAP_W;
}

static int64_t ipc_any(uint64_t nr, uint64_t h, struct ipc_msg *m)
{
	switch (nr) {
	case SYS_IPC_CALL: return ipc_call(h, m);
	case SYS_IPC_SEND: return ipc_send(h, m);
	case SYS_IPC_RECV: return ipc_recv(h, m);
	case SYS_IPC_REPLY_RECV: return ipc_reply_recv(h, m);
	default: return ipc_reply(h, m);
	}
}

/* FZ_EXHAUST: what empties a kernel pool without quotas (issue 6, A.5):
 * tasks, and sparse maps, each wanting new page-table pages. */
static void grow(struct fz *f)
{
	uint64_t a[4] = { fz_handle_of(f, HK_TASK), (uint64_t)fz_scratch, 0, MAP_R };
	int64_t r;

	if (fz_chance(f, 8)) {
		trace(f, "grow", SYS_TASK_CREATE, a, 0);
		r = sys_task_create();
		check_result(f, "sys", SYS_TASK_CREATE, r);
		fz_track(f, r, HK_TASK);
		return;
	}
	a[2] = (fz_below(f, USER_TOP >> 30) << 30) | (fz_below(f, 512) << 21);
	trace(f, "grow", SYS_MAP, a, 4);
	check_result(f, "sys", SYS_MAP, sys_map(a[0], a[1], a[2], a[3]));
}

void fz_syscall_op(struct fz *f)
{
	uint64_t nr = fz_chance(f, 32) ? fz_word(f) : fz_below(f, SYS_COUNT + 2);
	uint64_t a[6] = { 0 };
	struct ipc_msg m;
	int64_t r;

	if ((f->classes & FZ_EXHAUST) && fz_chance(f, 2)) {
		grow(f);
		return;
	}
	switch (nr) {
	case SYS_DEBUG_WRITE:
		a[0] = fz_rptr(f);
		a[1] = fz_chance(f, 2) ? fz_below(f, 4) : fz_len(f);
		if (a[0] >= (uint64_t)fz_text && a[0] < (uint64_t)fz_text + PAGE_SIZE &&
		    a[1] <= PAGE_SIZE && !fz_chance(f, 64))
			a[1] %= 4;	/* keep the console readable */
		break;
	case SYS_SHUTDOWN:
		a[0] = fz_handle(f);	/* we hold no device-control handle */
		a[1] = fz_word(f);
		break;
	case SYS_IPC_CALL: case SYS_IPC_SEND: case SYS_IPC_RECV: case SYS_IPC_REPLY_RECV:
	case SYS_IPC_REPLY:
		a[0] = nr != SYS_IPC_REPLY ? fz_nonblocking_handle(f) :
		       fz_handle_of(f, fz_chance(f, 2) ? HK_REPLY : HK_THREAD);
		m.info = fz_info(f, 1);
		for (int i = 0; i < IPC_WORDS; i++)
			m.w[i] = fz_word(f);
		a[1] = m.info;
		trace(f, "ipc", nr, a, 2);
		r = ipc_any(nr, a[0], &m);
		check_result(f, "ipc", nr, r);
		return;
	case SYS_IPCBUF_SET:
		a[0] = fz_page(f);
		trace(f, "sys", nr, a, 1);
		check_result(f, "sys", nr, sys_ipcbuf_set(a[0]));
		sys_ipcbuf_set(PROC_IPCBUF_VA);	/* the pager calls need it back */
		return;
	case SYS_ENDPOINT_CREATE: case SYS_NOTIF_CREATE: case SYS_TASK_CREATE:
		make_room(f);
		trace(f, "sys", nr, a, 0);
		r = syscall0(nr);
		check_result(f, "sys", nr, r);
		fz_track(f, r, nr == SYS_ENDPOINT_CREATE ? HK_EP :
			       nr == SYS_NOTIF_CREATE ? HK_NOTIF : HK_TASK);
		return;
	case SYS_NOTIFY:
		a[0] = fz_chance(f, 2) ? fz_handle_of(f, HK_NOTIF) : fz_handle(f);
		break;
	case SYS_WAIT:
		/* Only on a handle with a bit just set, or one that is no
		 * notification at all. */
		a[0] = fz_chance(f, 2) ? fz_handle_of(f, HK_NOTIF) : fz_nonblocking_handle(f);
		if (a[0] < FZ_HANDLES && f->kind[a[0]] == HK_NOTIF && sys_notify(a[0]) != 0)
			return;
		break;
	case SYS_TASK_DESTROY:
		a[0] = fz_chance(f, 4) ? fz_handle(f) : fz_handle_of(f, HK_TASK);
		break;
	case SYS_TASK_INFO:
		a[0] = fz_handle(f);
		a[1] = fz_wptr(f);
		break;
	case SYS_THREAD_CREATE:
		make_room(f);
		count_growth(f, 1);
		a[0] = fz_handle_of(f, HK_TASK);
		a[1] = fz_page(f) + (fz_chance(f, 8) ? 2 : 0);
		a[2] = fz_word(f);
		a[3] = fz_word(f);
		a[4] = fz_chance(f, 2) ? 0 : fz_handle(f);	/* may be our pager's */
		a[5] = fz_rand(f);
		trace(f, "sys", nr, a, 6);
		r = syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		check_result(f, "sys", nr, r);
		fz_track(f, r, HK_THREAD);
		return;
	case SYS_THREAD_EXIT:
		if (!(f->classes & FZ_THREAD_EXIT) || !fz_chance(f, 256))
			return;
		trace(f, "sys", nr, a, 0);
		sys_thread_exit();	/* the pager hears of it (A.6) and ends us */
		return;
	case SYS_HANDLE_CLOSE:
		a[0] = fz_chance(f, 2) ? fz_handle_of(f, HK_NONE) : fz_handle(f);
		if (a[0] < FZ_HANDLES && (f->kind[a[0]] == HK_PAGER || f->kind[a[0]] == HK_INHERITED))
			return;	/* without the pager handle we could not even exit */
		trace(f, "sys", nr, a, 1);
		r = sys_handle_close(a[0]);
		check_result(f, "sys", nr, r);
		if (r == 0)
			fz_forget(f, a[0]);
		return;
	case SYS_HANDLE_GRANT:
		make_room(f);
		a[0] = fz_chance(f, 2) ? 0 : fz_handle_of(f, HK_TASK);
		a[1] = fz_handle(f);
		a[2] = fz_chance(f, 2) ? 0 : fz_rand(f);
		a[3] = fz_chance(f, 8) ? fz_rand(f) : fz_below(f, 16);
		trace(f, "sys", nr, a, 4);
		r = sys_handle_grant(a[0], a[1], a[2], a[3]);
		check_result(f, "sys", nr, r);
		if (a[0] == 0)
			fz_track(f, r, HK_OTHER);
		return;
	case SYS_MAP:
		count_growth(f, 1);
		a[0] = fz_handle_of(f, HK_TASK);
		fz_map_args(f, &a[1], &a[3]);
		a[2] = fz_page(f);
		break;
	case SYS_UNMAP: case SYS_PROTECT:
		a[0] = fz_handle_of(f, HK_TASK);
		a[1] = fz_page(f);
		a[2] = fz_chance(f, 2) ? fz_below(f, 16) : fz_len(f);
		a[3] = fz_rights(f);
		break;
	case SYS_MAP_DEVICE:
		a[0] = fz_handle(f);
		a[1] = fz_handle(f);
		a[2] = fz_chance(f, 2) ? 0x10000000ul + PAGE_SIZE * fz_below(f, 16) : fz_page(f);
		a[3] = fz_page(f);
		a[4] = fz_rights(f);
		break;
	case SYS_IRQ_BIND: case SYS_IRQ_ACK:
		a[0] = fz_handle(f);
		a[1] = fz_chance(f, 2) ? fz_below(f, 130) : fz_word(f);
		a[2] = fz_handle(f);
		break;
	case SYS_KERNEL_INFO:
		a[0] = fz_wptr(f);
		break;
	case SYS_DEVICE_INFO:	/* we hold no device handle: always refused */
		a[0] = fz_handle(f);
		a[1] = fz_wptr(f);
		break;
	case SYS_IPC_RECV_SLOT:
		/* Only the fault class receives, and only faults and death
		 * messages, which grant nothing; fz_fault_op tracks a grant
		 * that lands all the same. */
		a[0] = fz_chance(f, 4) ? 0 : fz_chance(f, 2) ? fz_free_slot(f) : fz_handle(f);
		break;
	case SYS_REPLY_SAVE:
		/* Takes the fault class's pending caller if it has one: the
		 * guest's reply handle goes to that class. */
		make_room(f);
		trace(f, "sys", nr, a, 0);
		r = syscall0(nr);
		check_result(f, "sys", nr, r);
		fz_fault_reply_saved(f, r);
		return;
	case SYS_THREAD_REGS_READ: case SYS_THREAD_REGS_WRITE: case SYS_THREAD_SUSPEND:
	case SYS_THREAD_RESUME: case SYS_THREAD_SET_PAGER:
		/* Our threads (the fault class controls its guests itself),
		 * other objects, free slots. */
		a[0] = fz_chance(f, 4) ? fz_handle(f) : fz_handle_of(f, HK_THREAD);
		if (a[0] < FZ_HANDLES && f->kind[a[0]] >= HK_GUEST_TASK)
			a[0] = fz_handle_of(f, HK_THREAD);
		if (a[0] < FZ_HANDLES && f->kind[a[0]] >= HK_GUEST_TASK)
			a[0] = 0;
		a[1] = nr == SYS_THREAD_REGS_READ ? fz_wptr_n(f, sizeof(struct user_regs)) :
		       nr == SYS_THREAD_REGS_WRITE ? fz_regs(f) :
		       fz_chance(f, 2) ? 0 : fz_handle(f);	/* a pager: may be ours */
		a[2] = fz_rand(f);
		break;
	case SYS_MAP_RUN: {
		static const uint64_t counts[] = { 0, 1, 2, 3, 8, 16, 511, MAP_RUN_MAX,
						   MAP_RUN_MAX + 1, ~0ul };
		a[4] = fz_chance(f, 2) ? 1 + fz_below(f, 8) : counts[fz_below(f, 10)];
		count_growth(f, 1 + (a[4] > MAP_RUN_MAX ? 0 : a[4] / 8));
		a[0] = fz_handle_of(f, HK_TASK);
		fz_map_args(f, &a[1], &a[3]);
		a[2] = fz_page(f);
		if (a[4] > 1)	/* a run from a safe page goes on into our code */
			a[3] &= ~(uint64_t)MAP_X;
		break;
	}
	case SYS_TIMER_SET: {
		/* Cancel, past, soon (fires during the run), far, the top. */
		uint64_t now = sys_time();
		uint64_t when[] = { 0, 1, now, now + fz_below(f, 200000), now + fz_rand(f),
				    ~0ul, fz_word(f) };
		a[0] = fz_chance(f, 4) ? fz_handle(f) : fz_handle_of(f, HK_NOTIF);
		a[1] = when[fz_below(f, sizeof(when) / sizeof(when[0]))];
		break;
	}
	default:
		if (nr < SYS_COUNT)	/* SYS_YIELD, and calls newer than this file: no arguments */
			break;
		for (int i = 0; i < 6; i++)
			a[i] = fz_word(f);
		break;
	}
	trace(f, "sys", nr, a, 6);
	r = syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	check_result(f, "sys", nr, r);
}
