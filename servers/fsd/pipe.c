/*
 * Pipes (docs/fs-protocol.md "Pipes"): a ring of FS_PIPE_SIZE bytes in
 * the server, named by two open file descriptions (ops.c), the read end
 * and the write end, which dup and fork share as they share files.
 *
 * The server never waits on a client. A read of an empty pipe, or a write
 * that does not fit, becomes a waiter here: the request leaves its request
 * slot (blocked readers must not take the slots their writer needs) with
 * its reply handle and, for a write, its bytes. A waiter is answered when
 * its pipe changes, when an end closes (EOF, EPIPE), when the pager says a
 * caught signal was delivered to its process after it came (-ERR_INTR, or
 * FS_REPLY_RESTART under SA_RESTART), or dropped when its process ends.
 * Bounded: pipes per creator and in all, waiters per client and in all;
 * past the waiters' bound a request is refused busy (the client asks
 * again), never lost.
 */
#include <string.h>
#include "libsys.h"
#include "fsd.h"

#define PIPES_MAX		64
#define PIPES_PER_CLIENT	8	/* made by one process, while they last */
#define WAITERS_MAX		64
#define WAITERS_PER_CLIENT	4	/* threads of one process blocked at once */
/* The latest signal note per process, kept until its end for requests
 * that came before it but park after, at recent[pid % RECENT_NOTES]: the
 * pager runs a process in slot pid % 256 and gives no new process a slot
 * whose end we have not fetched, so the processes we may hear of differ
 * there, and a flood of signals to others cannot push a note out. */
#define RECENT_NOTES		256
#define ERR_MFILE		24
#define ERR_NFILE		23

struct pipe {
	bool used;
	bool read_open, write_open;	/* its descriptions still named */
	bool kicked;			/* changed: its waiters look again */
	int64_t creator;		/* 0 once it ended */
	uint32_t waiting;		/* waiters on it */
	uint32_t head, len;		/* the bytes: buf[head .. head+len) mod size */
	uint8_t buf[FS_PIPE_SIZE];
};

struct waiter {
	bool used;
	bool writing;
	bool intr, restart;		/* a signal cut it short */
	int pipe;
	int64_t pid;
	uint64_t reply;			/* the reply handle */
	uint64_t stamp;			/* when the request came */
	uint32_t count;
	uint8_t data[FS_PIPE_ATOMIC] __attribute__((aligned(8)));
};

struct note {
	int64_t pid;
	uint64_t time;
	bool restart;
};

static struct pipe pipes[PIPES_MAX];
static struct waiter waiters[WAITERS_MAX];
static struct waiter *order[WAITERS_MAX];	/* arrival order */
static unsigned nwait;
static struct note recent[RECENT_NOTES];
unsigned pipe_waiters_max = WAITERS_MAX;
static bool work;				/* pipe_run_woken has something */
static uint64_t stat_interrupted;

int pipe_new(int64_t pid)
{
	int mine = 0, idx = -1;

	for (int i = 0; i < PIPES_MAX; i++) {
		if (!pipes[i].used)
			idx = idx < 0 ? i : idx;
		else if (pipes[i].creator == pid)
			mine++;
	}
	if (mine >= PIPES_PER_CLIENT)
		return -ERR_MFILE;
	if (idx < 0)
		return -ERR_NFILE;
	struct pipe *p = &pipes[idx];
	p->used = p->read_open = p->write_open = true;
	p->kicked = false;
	p->creator = pid;
	p->waiting = p->head = p->len = 0;
	return idx;
}

static void maybe_free(struct pipe *p)
{
	if (!p->read_open && !p->write_open && !p->waiting)
		p->used = false;
}

static void kick(struct pipe *p)
{
	p->kicked = true;
	work = true;
}

void pipe_end_closed(int idx, bool write_end)
{
	struct pipe *p = &pipes[idx];

	if (write_end)
		p->write_open = false;
	else
		p->read_open = false;
	kick(p);	/* readers see EOF, writers EPIPE */
	maybe_free(p);
}

/* Up to count bytes out of p; 0 at EOF; FSD_PARK_PIPE if it must wait. */
static int64_t do_read(struct pipe *p, uint8_t *out, uint64_t count, bool nonblock)
{
	if (!p->read_open)
		return -ERR_BADF;	/* another thread closed the end we waited on */
	if (count == 0)
		return 0;
	if (p->len == 0) {
		if (!p->write_open)
			return 0;
		return nonblock ? -ERR_AGAIN : FSD_PARK_PIPE;
	}
	uint32_t n = count < p->len ? (uint32_t)count : p->len;
	uint32_t first = FS_PIPE_SIZE - p->head < n ? FS_PIPE_SIZE - p->head : n;
	memcpy(out, p->buf + p->head, first);
	memcpy(out + first, p->buf, n - first);
	p->head = (p->head + n) % FS_PIPE_SIZE;
	p->len -= n;
	if (p->len == 0)
		p->head = 0;
	kick(p);	/* room for writers */
	return n;
}

/* count bytes into p, whole (count <= FS_PIPE_ATOMIC: never split), or
 * under O_NONBLOCK what fits of a larger write; FSD_PARK_PIPE to wait. */
static int64_t do_write(struct pipe *p, const uint8_t *data, uint64_t count, bool nonblock)
{
	uint32_t room = FS_PIPE_SIZE - p->len;

	if (!p->write_open)
		return -ERR_BADF;
	if (!p->read_open)
		return -ERR_PIPE;
	if (count == 0)
		return 0;
	if (count > room) {
		if (!nonblock)
			return FSD_PARK_PIPE;
		if (count <= FS_PIPE_ATOMIC || room == 0)
			return -ERR_AGAIN;
		count = room;
	}
	uint32_t tail = (p->head + p->len) % FS_PIPE_SIZE;
	uint32_t first = FS_PIPE_SIZE - tail < count ? FS_PIPE_SIZE - tail : (uint32_t)count;
	memcpy(p->buf + tail, data, first);
	memcpy(p->buf, data + first, count - first);
	p->len += (uint32_t)count;
	kick(p);	/* data for readers */
	return (int64_t)count;
}

static void fill_stat(struct pipe *p, uint8_t *out, uint32_t *outlen)
{
	struct fs_stat *s = (struct fs_stat *)out;

	memset(s, 0, sizeof(*s));
	s->mode = 0010000 | 0600;	/* S_IFIFO */
	s->nlink = 1;
	s->size = p->len;
	s->blksize = FS_PIPE_ATOMIC;
	*outlen = sizeof(*s);
}

int64_t pipe_request(int idx, uint32_t flags, struct req *r, uint64_t label,
		     struct ipc_msg *reply, uint8_t *out, uint32_t *outlen)
{
	struct pipe *p = &pipes[idx];
	struct fs_io_req q;
	int acc = (int)(flags & FS_O_ACCMODE);
	bool nonblock = flags & FS_O_NONBLOCK;
	int64_t n;

	memcpy(&q, r->m.w, sizeof(q));
	switch (label) {
	case FS_READ:
	case FS_WRITE:
		if (label == FS_READ ? acc == FS_O_WRONLY : acc == FS_O_RDONLY)
			return -ERR_BADF;
		if (q.count > FS_IO_MAX || (label == FS_WRITE && q.count != r->len))
			return -ERR_INVAL;
		reply->w[1] = FS_IO_STREAM;
		n = label == FS_READ ? do_read(p, out, q.count, nonblock)
				     : do_write(p, r->data, q.count, nonblock);
		if (n == FSD_PARK_PIPE)
			r->pipe = idx;
		else if (n > 0 && label == FS_READ)
			*outlen = (uint32_t)n;
		return n;
	case FS_PREAD:
	case FS_PWRITE:
	case FS_LSEEK:
		return -ERR_SPIPE;
	case FS_FSTAT:
		fill_stat(p, out, outlen);
		return 0;
	case FS_READDIR:
		return -ERR_NOTDIR;
	case FS_MMAP:
		return -ERR_NODEV;
	case FS_FTRUNCATE:
	case FS_FSYNC:
		return -ERR_INVAL;
	}
	return -ERR_NOSYS;	/* another way to the data (a read through a mapping): not a pipe's */
}

/* A signal notice that covers a request that came at stamp. */
static bool noticed(int64_t pid, uint64_t stamp, bool *restart)
{
	const struct note *n = &recent[pid % RECENT_NOTES];

	if (n->pid != pid || n->time < stamp)
		return false;
	*restart = n->restart;
	return true;
}

bool pipe_park(struct req *r)
{
	int64_t pid = (int64_t)FS_BADGE_PID(r->m.badge);
	struct waiter *w = NULL;
	unsigned mine = 0;

	for (unsigned i = 0; i < nwait; i++)
		mine += order[i]->pid == pid;
	for (unsigned i = 0; i < WAITERS_MAX && i < pipe_waiters_max && !w &&
			    mine < WAITERS_PER_CLIENT; i++)
		if (!waiters[i].used)
			w = &waiters[i];
	if (!w)
		return false;
	w->used = true;
	w->writing = ipc_label(r->m.info) == FS_WRITE;
	w->pipe = r->pipe;
	w->pid = pid;
	w->reply = r->reply;
	w->stamp = r->stamp;
	w->count = (uint32_t)r->m.w[1];
	w->intr = noticed(pid, r->stamp, &w->restart);
	if (w->writing)
		memcpy(w->data, r->data, w->count);
	order[nwait++] = w;
	pipes[w->pipe].waiting++;
	if (w->intr)
		work = true;
	r->in_use = false;	/* the slot is free for others */
	return true;
}

static void unwait(unsigned i)
{
	struct waiter *w = order[i];
	struct pipe *p = &pipes[w->pipe];

	w->used = false;
	memmove(&order[i], &order[i + 1], (nwait - i - 1) * sizeof(order[0]));
	nwait--;
	p->waiting--;
	maybe_free(p);
}

void pipe_drop_pid(int64_t pid)
{
	for (int i = 0; i < PIPES_MAX; i++)
		if (pipes[i].used && pipes[i].creator == pid)
			pipes[i].creator = 0;
	for (unsigned i = 0; i < nwait; i++) {
		if (order[i]->pid != pid)
			continue;
		sys_handle_close(order[i]->reply);
		unwait(i--);
	}
	if (recent[pid % RECENT_NOTES].pid == pid)
		recent[pid % RECENT_NOTES].pid = 0;
}

void pipe_interrupt(uint64_t note)
{
	/* The note's time is T >> UNIT modulo 2^31: the latest such time
	 * not after ours (the pager wrote it before we read it). */
	uint64_t now = fsd_ticks() >> FS_NOTE_TIME_UNIT;
	uint64_t low = (note >> FS_NOTE_TIME_SHIFT) & FS_NOTE_TIME_MASK;
	uint64_t t = (now & ~FS_NOTE_TIME_MASK) | low;
	struct note *n = &recent[FS_NOTE_PID(note) % RECENT_NOTES];

	if (t > now)
		t -= FS_NOTE_TIME_MASK + 1;
	/* Rounded up: a wait that came in the same step is cut short (a
	 * wait wrongly kept would hold its handler back; one wrongly cut
	 * says EINTR, which a program with a handler must expect). */
	*n = (struct note){ .pid = (int64_t)FS_NOTE_PID(note),
			    .time = ((t + 1) << FS_NOTE_TIME_UNIT) - 1,
			    .restart = note & FS_NOTE_RESTART };
	for (unsigned i = 0; i < nwait; i++) {
		struct waiter *w = order[i];
		if (w->pid == n->pid && w->stamp <= n->time && !w->intr) {
			w->intr = true;
			w->restart = n->restart;
			work = true;
		}
	}
}

bool pipe_pending(void)
{
	return work;
}

static void answer(struct waiter *w, int64_t res, uint64_t label, uint32_t len)
{
	struct ipc_msg m = { .info = ipc_info(label, len, 0),
			     .w = { (uint64_t)res, FS_IO_STREAM } };

	ipc_reply(w->reply, &m);	/* -ERR_SRCH if the caller died: fine */
	sys_handle_close(w->reply);
}

/*
 * Answer every waiter that can be answered, in the order they came: cut
 * short by a signal, or its pipe changed and its read or write now goes
 * through. Passes repeat while one changes a pipe (a read makes room for
 * a writer); each answer removes a waiter, so they end. The caller is off
 * the kernel's link: reads land in the IPC buffer.
 */
void pipe_run_woken(void)
{
	bool look[PIPES_MAX];

	while (work) {
		work = false;
		for (int i = 0; i < PIPES_MAX; i++) {
			look[i] = pipes[i].kicked;
			pipes[i].kicked = false;
		}
		for (unsigned i = 0; i < nwait; i++) {
			struct waiter *w = order[i];
			struct pipe *p = &pipes[w->pipe];
			uint64_t label = 0;
			uint32_t len = 0;
			int64_t res;
			if (w->intr) {
				res = -ERR_INTR;
				label = w->restart ? FS_REPLY_RESTART : 0;
				stat_interrupted++;
			} else if (!look[w->pipe]) {
				continue;
			} else if (w->writing) {
				res = do_write(p, w->data, w->count, false);
			} else {
				res = do_read(p, ipcbuf(), w->count, false);
				len = res > 0 ? (uint32_t)res : 0;
			}
			if (res == FSD_PARK_PIPE)
				continue;
			answer(w, res, label, len);
			unwait(i--);
		}
	}
}

int64_t pipe_stats(struct ipc_msg *reply)
{
	reply->w[1] = 0;
	for (int i = 0; i < PIPES_MAX; i++)
		reply->w[1] += pipes[i].used;
	reply->w[2] = nwait;
	reply->w[3] = stat_interrupted;
	return 0;
}
