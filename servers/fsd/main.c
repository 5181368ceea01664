/*
 * The file server: setup (the blk driver's pool, the mount, registration
 * with the pager), then one receive loop. Every request's reply right is
 * saved at once (SYS_REPLY_SAVE), so any request can be answered later:
 * one that needs an uncached block is parked while the disk reads it and
 * the loop serves others from the cache; one that arrives while the
 * engine waits for the disk is queued. The server never waits on a
 * client: replies go through reply handles, which never block.
 *
 * argv: fsd, with the blk driver's endpoint granted (init started the
 * driver: it holds the device capabilities). docs/fs-protocol.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libsys.h"
#include "abi/fault.h"
#include "fsd.h"

#define SLOTS	24		/* requests held at once (queued + parked + running) */
#define SLOTS_PER_CLIENT 6	/* of them, one client's at most */

struct ext2_fs fs;
uint8_t *pool;
uint64_t pool_pa, pool_len = BLK_POOL_MAX;
uint64_t cache_bytes = BLK_POOL_MAX - 4096;
uint64_t fs_ep;

static struct req reqs[SLOTS];
static struct req *queue[SLOTS];	/* received while the engine waited, FIFO */
static unsigned nqueue;
static struct req *parked[SLOTS];	/* waiting for a disk read */
static unsigned nparked;
static uint8_t out[IPC_BUF_SIZE] __attribute__((aligned(8)));	/* word copies */
uint64_t stat_parked, stat_answered_during_read;

/* The clock: the RTC's reading at our start (argv[1], from init, which
 * holds the RTC) plus the time counter since (QEMU virt: 10 MHz). */
#define TIMEBASE_HZ	10000000ul
static uint64_t boot_seconds, boot_ticks;

static uint64_t ticks(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

uint64_t fsd_ticks(void)
{
	return ticks();
}

/* FS_CLOCK: CLOCK_REALTIME when the counter read 0, for libsys's clocks
 * (the RTC has seconds; the counter the rest). */
int64_t fsd_clock(struct ipc_msg *reply)
{
	if (!boot_seconds)
		return -ERR_NODEV;
	reply->w[1] = boot_seconds * 1000000000ul - boot_ticks * (1000000000ul / TIMEBASE_HZ);
	reply->w[2] = boot_seconds;
	return 0;
}

static uint32_t now(void *ctx)
{
	(void)ctx;
	return boot_seconds ? (uint32_t)(boot_seconds + (ticks() - boot_ticks) / TIMEBASE_HZ) : 0;
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("fsd: %s\n", line);
}

/*
 * The fast path: a request answered without waiting goes out with the
 * next receive (SYS_IPC_REPLY_RECV), through the kernel's link to the
 * caller, with no reply handle. The link lasts until our next receive, so
 * before any other receive (a wait for the disk) or any other work that
 * could touch the IPC buffer, fsd_unlink_caller turns it into a reply
 * handle (and sends an answer already made). Calls we make (to blk, to
 * the pager) keep the link.
 */
static struct req *linked_req;		/* received on the link, not answered */
static bool reply_pending;		/* an answer waits for the next receive */
static struct ipc_msg pending_reply;	/* its words; its payload is in the IPC buffer */

void fsd_unlink_caller(void)
{
	int64_t h;

	if (linked_req) {
		h = sys_reply_save();
		linked_req->reply = h > 0 ? (uint64_t)h : 0;
		linked_req = NULL;
	}
	if (reply_pending) {
		reply_pending = false;
		if ((h = sys_reply_save()) > 0) {
			ipc_reply((uint64_t)h, &pending_reply);
			sys_handle_close((uint64_t)h);
		}
	}
}

void fsd_answer(struct req *r, struct ipc_msg *reply, const void *data, uint32_t len)
{
	if (len)
		memcpy(ipcbuf(), data, len);
	reply->info = ipc_info(ipc_label(reply->info), len, 0);
	if (r == linked_req) {
		pending_reply = *reply;
		reply_pending = true;
		linked_req = NULL;
	} else if (r->reply) {
		ipc_reply(r->reply, reply);	/* -ERR_SRCH if the caller died: fine */
		sys_handle_close(r->reply);
	}
	r->in_use = false;
}

static void refuse_busy(uint64_t h)
{
	struct ipc_msg m = { .info = ipc_info(FS_REPLY_BUSY, 0, 0), .w = { (uint64_t)-ERR_AGAIN } };

	ipc_reply(h, &m);
	sys_handle_close(h);
}

/* A client message just received: into a slot, or refused (the client
 * asks again) if every slot is busy. linked: keep the caller on the
 * kernel's link (the main loop's fast path); else save its reply handle
 * now. */
static struct req *take(struct ipc_msg *m, bool linked)
{
	int64_t h = 0;
	unsigned mine = 0;

	if (!linked && (h = sys_reply_save()) < 0)
		return NULL;	/* a send, not a call: nobody to answer */
	/* One client (many threads calling at once) holds at most
	 * SLOTS_PER_CLIENT slots, so the others always find one. */
	for (int i = 0; i < SLOTS; i++)
		mine += reqs[i].in_use && FS_BADGE_PID(reqs[i].m.badge) == FS_BADGE_PID(m->badge);
	for (int i = 0; i < SLOTS && mine < SLOTS_PER_CLIENT; i++) {
		struct req *r = &reqs[i];
		if (r->in_use)
			continue;
		r->in_use = true;
		r->m = *m;
		r->reply = (uint64_t)h;
		r->len = (uint32_t)ipc_len(m->info);
		r->stamp = ticks();
		memcpy(r->data, ipcbuf(), r->len);
		if (linked)
			linked_req = r;
		return r;
	}
	if (linked && (h = sys_reply_save()) < 0)
		return NULL;
	refuse_busy((uint64_t)h);
	return NULL;
}

void fsd_accept(struct ipc_msg *m)
{
	struct req *r = take(m, false);

	if (r)
		queue[nqueue++] = r;
}

/* Run r: answer it, or park it. Nowait mode (the engine's read-only calls
 * never touch the disk) while there is room to park. */
static void run(struct req *r)
{
	struct ipc_msg reply = { 0 };
	uint32_t outlen = 0;
	int64_t res;

	if (r->m.info & IPC_KERNEL) {	/* a fault: a client made us a thread's pager */
		reply.info = ipc_info(FAULT_REPLY_KILL, 0, 0);
		fsd_answer(r, &reply, NULL, 0);
		return;
	}
	ext2_set_nowait(&fs, nparked < SLOTS);
	res = fsd_handle(r, &reply, out, &outlen);
	ext2_set_nowait(&fs, false);
	if (res == FSD_PARK_DISK && disk_start_async() < 0) {
		outlen = 0;	/* cannot read asynchronously: wait here */
		memset(&reply, 0, sizeof(reply));
		res = fsd_handle(r, &reply, out, &outlen);
	}
	if (res == FSD_PARK_DISK) {
		if (r == linked_req)
			fsd_unlink_caller();	/* answered later, through a handle */
		parked[nparked++] = r;
		stat_parked++;
		return;
	}
	if (res == FSD_PARK_PIPE) {
		if (r == linked_req)
			fsd_unlink_caller();
		if (pipe_park(r))
			return;
		reply.info = ipc_info(FS_REPLY_BUSY, 0, 0);	/* no room to wait: ask again */
		res = -ERR_AGAIN;
		outlen = 0;
	}
	if (fs.in_flight_count)		/* a disk read is on: others still served */
		stat_answered_during_read++;
	reply.w[0] = (uint64_t)res;
	fsd_answer(r, &reply, out, outlen);
}

void fsd_retry_parked(void)
{
	unsigned n = nparked;
	struct req *again[SLOTS];

	memcpy(again, parked, n * sizeof(again[0]));
	nparked = 0;
	for (unsigned i = 0; i < n; i++)
		run(again[i]);
	backing_retry();
}

void fsd_drop_pid(int64_t pid)
{
	for (unsigned k = 0; k < nparked; k++) {
		if ((int64_t)FS_BADGE_PID(parked[k]->m.badge) != pid)
			continue;
		sys_handle_close(parked[k]->reply);
		parked[k]->in_use = false;
		parked[k--] = parked[--nparked];
	}
	/* Queued ones too: run later they would open files for a client
	 * nobody will ever report dead again. */
	for (unsigned k = 0; k < nqueue; k++) {
		if ((int64_t)FS_BADGE_PID(queue[k]->m.badge) != pid)
			continue;
		sys_handle_close(queue[k]->reply);
		queue[k]->in_use = false;
		memmove(&queue[k], &queue[k + 1], (nqueue - k - 1) * sizeof(queue[0]));
		nqueue--;
		k--;
	}
	pipe_drop_pid(pid);
	fsd_client_died(pid);
}

/* The pager says clients ended, exec'd or were signalled: fetch its
 * notes (it loses none: docs/fs-protocol.md) and act on them. */
void fsd_reap_deaths(void)
{
	for (;;) {
		struct ipc_msg m = { .info = ipc_info(PAGER_FS_DEAD, 0, 0) };
		int64_t n = pager_call(&m);
		if (n <= 0)
			return;
		for (int64_t i = 0; i < n && i < 5; i++) {
			if ((m.w[1 + i] & FS_NOTE_INTR) && (m.w[1 + i] & FS_NOTE_EXEC))
				fsd_exec_noted(m.w[1 + i]);	/* an exec, not an end */
			else if ((m.w[1 + i] & FS_NOTE_INTR) && (m.w[1 + i] & FS_NOTE_FORK))
				fsd_fork_noted(m.w[1 + i]);	/* a fork its parent left unbound */
			else if (m.w[1 + i] & FS_NOTE_INTR)
				pipe_interrupt(m.w[1 + i]);	/* a signal, not an end */
			else
				fsd_drop_pid((int64_t)m.w[1 + i]);
		}
	}
}

/*
 * Mount first, then register: until the pager hands out our endpoint no
 * client can call, so a disk that does not mount ends us before anyone
 * waits on us (a call queued on the endpoint of a server that died would
 * wait forever: fs_start's first request, test fs.notext2). The engine's
 * device reads wait for completions on an endpoint of our own meanwhile;
 * then that relay is replaced by one to the registered endpoint.
 */
static int setup(uint64_t blk_ep)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_FS_REGISTER, 0, 0) };
	int64_t va, r, mount_ep, relay;

	if ((va = dma_alloc(pool_len, &pool_pa)) < 0)
		return (int)va;
	pool = (uint8_t *)va;
	if ((r = disk_init(blk_ep)) < 0)
		return (int)r;
	struct ext2_env env = {
		.dev = &fsd_blockdev, .dev_bytes = disk_bytes(),
		.cache_mem = pool, .cache_bytes = cache_bytes,
		.log = log_line, .is_open = fsd_is_open, .now = now,
	};
	if ((mount_ep = sys_endpoint_create()) < 0)
		return (int)mount_ep;
	fs_ep = (uint64_t)mount_ep;
	if ((relay = blk_relay_start(blk_notif, fs_ep, FS_RELAY_BLK, FS_RELAY_LABEL)) < 0)
		return (int)relay;
	if ((r = ext2_mount(&fs, &env, 0)) < 0)
		return (int)r;
	sys_task_destroy((uint64_t)relay);	/* no read is in flight: nothing lost */
	sys_handle_close((uint64_t)relay);
	sys_handle_close((uint64_t)mount_ep);
	/* init names us to the pager right after spawning us: until it has,
	 * registering is refused, so wait for it a while. */
	for (int tries = 0; (r = pager_call(&m)) == -ERR_PERM && tries < 10000; tries++) {
		sys_yield();
		m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_REGISTER, 0, 0) };
	}
	if (r < 0)
		return (int)r;
	fs_ep = m.w[1];
	uint64_t death_notif = m.w[2];
	backing_init(m.w[3]);
	if ((r = blk_relay_start(blk_notif, fs_ep, FS_RELAY_BLK, FS_RELAY_LABEL)) < 0 ||
	    (r = blk_relay_start(death_notif, fs_ep, FS_RELAY_DEATH, FS_RELAY_LABEL)) < 0)
		return (int)r;
	printf("fsd: mounted ext2, %u-byte blocks, %u groups%s\n", fs.bsize, fs.groups,
	       fs.read_only ? ", read-only" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct ipc_msg m = { 0 };
	int r;

	boot_ticks = ticks();
	if (argc > 1)
		boot_seconds = strtoul(argv[1], NULL, 10);
	if (argc > 2 && !strncmp(argv[2], "files=", 6))
		fsd_files_max = (unsigned)strtoul(argv[2] + 6, NULL, 10);
	if (argc > 2 && !strncmp(argv[2], "pipewaits=", 10))
		pipe_waiters_max = (unsigned)strtoul(argv[2] + 10, NULL, 10);
	if (!libsys_start_info.granted) {
		printf("fsd: no block driver endpoint\n");
		return 1;
	}
	if ((r = setup(libsys_start_info.granted)) < 0) {
		printf("fsd: cannot start: error %d\n", r);
		return 1;
	}
	for (;;) {
		if (reply_pending && (nqueue || disk_async_ready() || deaths_pending ||
				      backing_wants_fetch() || pipe_pending()))
			fsd_unlink_caller();	/* the other work may use the IPC buffer */
		while (nqueue) {
			struct req *r0 = queue[0];
			memmove(queue, queue + 1, --nqueue * sizeof(queue[0]));
			run(r0);
		}
		if (disk_finish_async())
			fsd_retry_parked();
		/* The pager's one notification: deaths and backing requests.
		 * FETCH says whether there are deaths to ask for: a wake for
		 * a fill costs one call, not two. A wake that comes while
		 * these run (a disk wait receives) sets the flag again. */
		if (deaths_pending) {
			deaths_pending = false;
			if (backing_fetch())
				fsd_reap_deaths();
		} else if (backing_wants_fetch()) {
			backing_fetch();
		}
		if (pipe_pending()) {	/* pipes changed, signals came */
			if (reply_pending)
				fsd_unlink_caller();
			pipe_run_woken();
		}
		/* A read that finished while the fetch or the pipes waited on
		 * the disk (their collect took its relayed wake): its parked
		 * requests run now, or nothing would ever wake them. */
		if (nqueue || deaths_pending || disk_async_ready())
			continue;
		if (reply_pending) {
			reply_pending = false;
			m = pending_reply;
			if (ipc_reply_recv(fs_ep, &m) < 0)
				continue;
		} else if (ipc_recv(fs_ep, &m) < 0) {
			continue;
		}
		if (m.badge == FS_RELAY_BLK) {
			disk_completions();
		} else if (m.badge == FS_RELAY_DEATH) {
			deaths_pending = true;
		} else {
			struct req *rq = take(&m, true);
			if (rq)
				run(rq);
		}
	}
}
