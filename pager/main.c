/*
 * The pager: the first task. It takes the RAM the kernel handed over,
 * starts init from the boot image (bootargs "init=NAME ARGS..."), and then
 * serves page faults and process requests forever.
 */
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "kquota.h"
#include "page.h"
#include "pager.h"
#include "proc.h"
#include "zeropool.h"

/* The last of the 2048 handles the kernel gives the pager (kernel/boot.c). */
#define PAGER_RECV_SLOT 2047

uint64_t pager_ep;
const struct boot_info *boot;
const void *initrd;

bool fault_handle(struct ipc_msg *m);
bool serve_request(struct ipc_msg *m);

/* One answer to a thread the pager holds the handle of, left for the
 * loop's next receive to carry (SYS_IPC_REPLY_TO_RECV): the answers to a
 * parked server and to a filled fault then cost a kernel entry less. Sent
 * before any other answer is left; dropped if its thread's handle goes.
 * It may carry a map (later_src != 0): a parked server's window pages,
 * mapped by the kernel in the same entry rather than by a SYS_MAP. */
static uint64_t later_thread, later_task, later_src, later_dst;
static struct ipc_msg later_msg;

struct ipc_msg *reply_later_map(uint64_t thread, uint64_t task, uint64_t src, uint64_t dst)
{
	if (later_thread)
		reply_later_flush();
	later_thread = thread;
	later_task = task;
	later_src = src;
	later_dst = dst;
	return &later_msg;
}

struct ipc_msg *reply_later_slot(void)
{
	if (later_thread)
		reply_later_flush();
	return &later_msg;
}

void reply_later(uint64_t thread, const struct ipc_msg *m)
{
	*reply_later_map(thread, 0, 0, 0) = *m;
}

void reply_later_flush(void)
{
	uint64_t h = later_thread, src = later_src, dst = later_dst;
	uint64_t low = PAGE_SIZE - 1, n = (src & low) + 1;

	if (!h)
		return;
	later_thread = later_src = 0;
	/* The map first; if it fails, the answer does not go either (the
	 * request meets its timeout, as one the server never saw). */
	if (src && (n == 1 ? sys_map(later_task, src & ~low, dst & ~low, dst & low) :
		     sys_map_run(later_task, src & ~low, dst & ~low, dst & low, n)) < 0)
		return;
	ipc_reply(h, &later_msg);
}

void reply_later_drop(uint64_t thread)
{
	if (later_thread == thread)
		later_thread = later_src = 0;
}

/* Wait for the next message, carrying a reply left for it. */
static void recv_next(struct ipc_msg *m)
{
	uint64_t h = later_thread, src = later_src;

	if (h) {
		later_thread = later_src = 0;
		if (ipc_reply_map_to_recv_from(pager_ep, h, &later_msg, m, src, later_dst) == 0)
			return;
	}
	ipc_recv(pager_ep, m);
}

/* The pager's malloc heap starts as a small reservation at the front of
 * the window and grows into the free frames after it (page_heap_grow), so
 * pager metadata is limited by free memory, not by a fixed share of it. */
static char *heap_base, *heap_brk, *heap_end;
/* The heap grew (or failed to) past 7/8 of its cap (page_heap_cap):
 * once the message at hand is dealt with, heap_relieve checks how much
 * of it is in use, and if that is most of the cap, ends the process with
 * the most metadata, so that metadata cannot starve everyone else's. */
static bool heap_pressure;

void *sbrk(ptrdiff_t incr)
{
	char *old = heap_brk;

	if (incr < 0)
		return (void *)-1;
	if (heap_end - heap_brk < incr) {
		uint64_t more = ((uint64_t)(incr - (heap_end - heap_brk)) + PAGE_SIZE - 1) >> PAGE_SHIFT;
		int err = page_heap_grow(more);
		heap_pressure = (uint64_t)(heap_end - heap_base) + (more << PAGE_SHIFT) >=
				page_heap_cap() / 8 * 7;
		if (err < 0)
			return (void *)-1;
		heap_end += more << PAGE_SHIFT;
	}
	heap_brk += incr;
	return old;
}

/*
 * Before a fault is served: if frames are short, end the biggest
 * unprotected process first (proc_oom_reclaim), so the fault does not fail
 * and the process that merely faults next is not the one to die. Every
 * RSS_CHECK_FAULTS faults, the faulting process is held to its resident
 * limit, and background write-back gets its look (backing_poll). Cold:
 * the common case is one comparison and one decrement.
 */
#define RSS_CHECK_FAULTS 256
static unsigned rss_countdown = RSS_CHECK_FAULTS;

static __attribute__((noinline, cold)) void memory_pressure(const struct ipc_msg *m)
{
	struct proc *p = proc_get(PAGER_BADGE_PID(m->badge));

	if (!rss_countdown) {
		rss_countdown = RSS_CHECK_FAULTS;
		backing_poll();	/* background write-back, for faults alone too */
		if (p && m->badge == PAGER_FAULT_BADGE(p->pid) && proc_rss_enforce(p))
			return;
	}
	if (page_free_count() < OOM_RESERVE_FRAMES)
		proc_oom_reclaim(OOM_RESERVE_FRAMES);
}

/* After a message that left the heap past its mark: if 3/4 of the cap is
 * in use (not merely free chunks of a heap that grew once), end the
 * process with the most VMAs (not init or a protected server). True if
 * that was the sender, which must then get no reply. */
static __attribute__((noinline, cold)) bool heap_relieve(const struct ipc_msg *m)
{
	int64_t victim;

	heap_pressure = false;
	if (mallinfo().uordblks < page_heap_cap() / 4 * 3)
		return false;
	victim = proc_oom_reclaim_meta();
	return victim > 0 && (uint64_t)victim == PAGER_BADGE_PID(m->badge);
}

static void start_init(void)
{
	static char args[BOOT_ARGS_MAX];
	const char *init = strstr(boot->bootargs, "init=");
	uint64_t len = 0;
	int64_t r;

	/* "init=NAME A B" -> "NAME\0A\0B\0"; the default is "init". */
	for (const char *s = init ? init + 5 : "init"; *s && len < sizeof(args) - 1; s++) {
		if (*s != ' ')
			args[len++] = *s;
		else if (len && args[len - 1])
			args[len++] = '\0';
	}
	if (len && args[len - 1])
		args[len++] = '\0';
	r = proc_spawn(NULL, args, len, 0);
	if (r < 0) {
		pager_log("cannot start init \"%s\": error %ld\n", args, (long)r);
		fflush(stdout);
		sys_shutdown(H_DEVCTL, 1);
	}
}

_Noreturn void libsys_start(const struct boot_info *bi)
{
	struct ipc_msg m;
	uint64_t heap_bytes = bi->ram_size / 256;	/* grows on demand */
	int64_t r;
	void *heap;

	boot = bi;
	initrd = (const void *)PAGER_INITRD_VA;
	page_init(bi, heap_bytes, &heap);
	heap_base = heap_brk = heap;
	heap_end = heap_base + heap_bytes;
	r = page_alloc_zeroed();
	libsys_start_info.ipcbuf = (uint64_t)page_va((uint64_t)r);
	if (r < 0 || sys_ipcbuf_set(libsys_start_info.ipcbuf) < 0 ||
	    (r = sys_endpoint_create()) < 0) {
		printf("pager: cannot set up\n");
		sys_shutdown(H_DEVCTL, 1);
	}
	pager_ep = (uint64_t)r;
	/* A handle granted in a request (PAGER_SPAWN's) lands in our last
	 * slot: handles are allocated lowest-first, so nothing else reaches
	 * it, and serve_request closes it before the next request. */
	if (sys_ipc_recv_slot(PAGER_RECV_SLOT) < 0) {
		printf("pager: cannot set up\n");
		sys_shutdown(H_DEVCTL, 1);
	}
	pager_log("%lu pages free for programs\n", (unsigned long)page_free_count());
	proc_init();
	kquota_init();
	start_init();
	zeropool_arm();

	ipc_recv(pager_ep, &m);
	for (;;) {
		bool reply;
		if (__builtin_expect(m.info == PAGER_IDLE_INFO, 0)) {
			zeropool_idle();	/* the hart is idle: nobody waits */
			reply = false;
		} else if (m.info & IPC_KERNEL) {
			if (__builtin_expect(page_nfree < OOM_RESERVE_FRAMES || !--rss_countdown, 0))
				memory_pressure(&m);
			reply = fault_handle(&m);
		} else {
			reply = serve_request(&m);
		}
		if (__builtin_expect(heap_pressure, 0) && heap_relieve(&m))
			reply = false;
		if (reply) {
			reply_later_flush();
			ipc_reply_recv(pager_ep, &m);
		} else {
			recv_next(&m);
		}
	}
}
