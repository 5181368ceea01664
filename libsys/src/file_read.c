/*
 * read() of a regular file through the page cache, not through 4 KiB IPC
 * copies: a descriptor that reads in large pieces gets a window, a
 * read-only MAP_SHARED mapping of WIN_SPAN bytes of the file (the pager's
 * file object: the same frames every mapping and the server's read() and
 * write() use, so what write(), ftruncate and stores through mappings do is
 * seen at once). The offset stays the server's, shared by dup and fork:
 * FS_READ_CLAIM takes the next bytes and moves the offset past them in one
 * request, then we copy them out of the window.
 *
 * Resources: at most WIN_MAX windows a process (the least recently used
 * goes), each unmapped when its descriptor closes or is replaced by dup2,
 * and with the process. A window pins nothing: its clean pages are the
 * pager's to reclaim. A window that cannot be made (no memory, the
 * server's limit on mapped files) costs nothing but the old path: the
 * claimed bytes are read with pread.
 *
 * A truncate by another process between our claim and our copy leaves
 * the copy reading past the new end of the file, SIGBUS for any other
 * mapping. A window is marked PADV_EOF_RESUME: such a fault resumes at
 * win_eof_entry instead, which leaves the copy (longjmp) and read()
 * returns the bytes before the page that went, no more than the new size
 * (as Linux's read() racing a truncate: a short count, or 0). Costs the
 * hot path a setjmp a read().
 *
 * A signal handler runs between any two instructions of read() and may
 * close the descriptor, dup2 onto it or read() through windows of its
 * own, each of which may unmap or reuse a window. So a window is pinned
 * (w->pins) before read() uses its address, and looked at again after
 * the pin: what the look-up found may have gone meanwhile. A pinned
 * window is never unmapped, evicted or reused; close only takes it from
 * its descriptor, and the last unpin unmaps it. The hart is ours alone
 * (the handler runs to its end before the code it interrupted goes on),
 * so a compiler fence orders the pin against the look-ups.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"

#define WIN_SPAN	(16ul << 20)	/* bytes a window maps, aligned to its size */
#define WIN_MAX		8		/* windows a process keeps */

struct window {
	char *addr;		/* NULL: free */
	int fd;
	uint32_t ino;		/* the claim says which file the descriptor names now */
	uint64_t base;		/* file offset of addr */
	uint64_t used;		/* LRU clock */
	uint32_t pins;		/* copies reading it and win_make making it (signal handlers' read()s nest) */
};

static struct window wins[WIN_MAX];
static uint64_t win_clock;

/*
 * The copy in progress, for win_eof_entry: where to go back to, the
 * window it reads, its first byte's offset and the fault's address. On
 * read()'s stack, innermost first: a signal handler that calls read()
 * during a copy has its own, and the interrupted copy's is current again
 * when the handler's read() returns (one static state was overwritten,
 * and the outer copy's later fault past the end was SIGBUS).
 */
struct win_copy {
	jmp_buf jmp;
	struct window *volatile w;	/* NULL: between copies */
	volatile uint64_t pos, fault;
	struct win_copy *outer;
};
static struct win_copy *volatile win_cur;

/* The pager resumes a fault past the end of the file in a window here,
 * a0 the address, on the faulting code's stack (the copy's). */
__attribute__((cold, noreturn)) static void win_eof_entry(uint64_t addr)
{
	struct win_copy *c = win_cur;

	if (!c || !c->w) {	/* not our copy: what the fault would have been */
		kill(getpid(), SIGBUS);
		_exit(128 + SIGBUS);
	}
	c->fault = addr;
	longjmp(c->jmp, 1);
}

/* Orders pins against the look-ups around them for a signal handler on
 * this thread: a compiler fence, no instruction. */
#define win_fence()	__atomic_signal_fence(__ATOMIC_SEQ_CST)

static struct window *win_of(int fd)
{
	for (int i = 0; i < WIN_MAX; i++)
		if (wins[i].addr && wins[i].fd == fd)
			return &wins[i];
	return NULL;
}

/* w pinned: it leaves the table before its mapping goes, so that a
 * handler between the two cannot find it and copy from a hole. */
__attribute__((cold)) static void win_unmap(struct window *w)
{
	char *a = w->addr;

	w->addr = NULL;
	win_fence();
	munmap(a, WIN_SPAN);
}

/* Drops a pin. The last pin of a window its descriptor left (close)
 * unmaps it, still pinned: a handler meanwhile leaves the slot alone. */
static void win_unpin(struct window *w)
{
	win_fence();
	if (w->pins == 1 && w->fd < 0 && w->addr)
		win_unmap(w);
	w->pins--;
	win_fence();
}

/* close(fd), or dup2 onto fd: its windows go (each slot that names fd,
 * mapped or being made by win_make), or, while a copy reads one (a signal
 * handler closed the descriptor of the read() it interrupted), it leaves
 * fd and goes at its last unpin: the mapping outlives the descriptor, and
 * the copy must find it. Pinned here too, so that a handler cannot reuse
 * the slot under the munmap. */
void file_window_drop(int fd)
{
	for (int i = 0; i < WIN_MAX; i++) {
		struct window *w = &wins[i];

		if (w->fd != fd || (!w->addr && !w->pins))
			continue;
		w->pins++;
		win_fence();
		if (w->fd == fd)	/* still: a handler may have made it another's */
			w->fd = -1;
		win_unpin(w);
	}
}

/* A window for fd over [base, base + WIN_SPAN) of file ino, made and
 * pinned; NULL if not (fd's window pinned at another offset, every slot
 * pinned, no memory, the server's limit): then the old way. Cold: once a
 * window, and small beside the copies; libsys's text counts in every
 * program's start. */
__attribute__((cold, noinline, optimize("Os"))) static struct window *win_make(int fd, uint32_t ino, uint64_t base)
{
	struct window *w = win_of(fd);

	if (!w) {	/* a free slot, else the least recently used */
		w = &wins[0];
		for (int i = 0; i < WIN_MAX; i++) {
			if (wins[i].pins)
				continue;
			if (!wins[i].addr) {
				w = &wins[i];
				break;
			}
			if (w->pins || wins[i].used < w->used)
				w = &wins[i];
		}
	}
	if (w->pins)	/* an interrupted copy reads it: it stays */
		return NULL;
	w->pins++;
	win_fence();
	/* Ours now; a handler since the look-up may have put a window of its
	 * own here, which goes as the least recently used. */
	if (w->addr)
		win_unmap(w);
	w->fd = fd;	/* before the mapping: a close meanwhile finds the slot */
	w->ino = ino;
	w->base = base;
	w->used = 0;
	int saved = errno;
	void *a = mmap(NULL, WIN_SPAN, PROT_READ, MAP_SHARED, fd, (off_t)base);
	errno = saved;
	if (a != MAP_FAILED) {
		struct ipc_msg m = { .info = ipc_info(PAGER_MADVISE, 0, 0),
				    .w = { (uint64_t)a, WIN_SPAN, PADV_EOF_RESUME, (uint64_t)win_eof_entry } };
		if (pager_call(&m) < 0) {	/* a copy could be killed: not a window */
			munmap(a, WIN_SPAN);
			a = MAP_FAILED;
		}
	}
	if (a == MAP_FAILED) {
		win_unpin(w);
		return NULL;
	}
	win_fence();
	w->addr = a;	/* last: found by win_of once whole */
	return w;
}

/* fd's window over [base, base + WIN_SPAN) of file ino, pinned (made if
 * need be), or NULL. The look-up is unpinned: a signal handler between it
 * and the pin may close fd (and the window with it: read() then sees
 * EBADF) or put another window in the slot, so the window is looked at
 * again once pinned. The copy read address 0 when a close came there. */
static struct window *win_pin(int fd, uint32_t ino, uint64_t base)
{
	for (;;) {
		struct window *w = win_of(fd);

		if (!w || w->ino != ino || w->base != base)
			return win_make(fd, ino, base);
		w->pins++;
		win_fence();
		if (w->addr && w->fd == fd && w->ino == ino && w->base == base)
			return w;
		win_unpin(w);
	}
}

/*
 * File data out of the window (and between the IPC buffer and the
 * caller's buffer, file.c): 8 bytes a step, 64 to an iteration, when
 * both are aligned alike (else bytes: a misaligned access traps to the
 * firmware). Kept from becoming a memcpy call: picolibc's copies bytes.
 */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void file_copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = *s++;
	if (n >= 8 && !((uintptr_t)s & 7)) {
		uint64_t *dw = (uint64_t *)d;
		const uint64_t *sw = (const uint64_t *)s;
		for (; n >= 64; n -= 64, dw += 8, sw += 8) {
#pragma GCC unroll 8
			for (int i = 0; i < 8; i++)
				dw[i] = sw[i];
		}
		for (; n >= 8; n -= 8)
			*dw++ = *sw++;
		d = (uint8_t *)dw;
		s = (const uint8_t *)sw;
	}
	while (n--)
		*d++ = *s++;
}

/* A truncate took the page at c->fault while we copied the bytes
 * [off, off + n) claimed: what read() returns, the offset put back after
 * it. */
__attribute__((cold, noinline)) static ssize_t win_truncated(int fd, uint64_t off, struct win_copy *c)
{
	uint64_t pos = c->pos;
	struct window *w = c->w;
	uint64_t end = w->base + ((c->fault & ~(uint64_t)(PAGE_SIZE - 1)) - (uint64_t)w->addr);
	struct stat st;

	win_unpin(w);
	win_cur = c->outer;
	if (end < pos)	/* the copy's first page: nothing of it copied */
		end = pos;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size < end)	/* the tail past the new end */
		end = (uint64_t)st.st_size > off ? (uint64_t)st.st_size : off;
	lseek(fd, (off_t)end, SEEK_SET);
	return (ssize_t)(end - off);
}

/* read(fd) through its window: the bytes read, or -1 with errno, or
 * FILE_READ_IPC for a small read on a descriptor without a window (a
 * mapping costs more than a few IPC copies) or a file not to map (a
 * directory). */
__attribute__((optimize("Os"))) ssize_t file_read_mapped(int fd, void *buf, size_t count)
{
	struct fs_io_req q = { .fd = fd - FD_BASE, .count = count };
	struct ipc_msg m = { 0 };
	int64_t r;

	if (count < FILE_WINDOW_MIN && !win_of(fd))
		return FILE_READ_IPC;
	memcpy(m.w, &q, sizeof(q));
	if ((r = fs_call(FS_READ_CLAIM, &m, 0)) < 0) {
		if (r == -ERR_NOSYS)
			return FILE_READ_IPC;
		errno = (int)-r;
		return -1;
	}
	uint64_t n = (uint64_t)r, off = m.w[1], done = 0;
	uint32_t ino = (uint32_t)m.w[2];
	struct win_copy c;	/* fields set one by one: an initializer would clear the jmp_buf byte by byte */
	c.w = NULL;
	c.outer = win_cur;
	win_cur = &c;
	if (setjmp(c.jmp))
		return win_truncated(fd, off, &c);
	while (done < n) {
		uint64_t pos = off + done, base = pos & ~(WIN_SPAN - 1);
		struct window *w = win_pin(fd, ino, base);
		if (!w) {	/* no window: the claimed bytes the old way */
			win_cur = c.outer;
			ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)pos);
			return k < 0 ? (done ? (ssize_t)done : -1) : (ssize_t)(done + (uint64_t)k);
		}
		uint64_t k = base + WIN_SPAN - pos < n - done ? base + WIN_SPAN - pos : n - done;
		w->used = ++win_clock;
		c.pos = pos;
		c.w = w;
		file_copy((char *)buf + done, w->addr + (pos - base), k);
		c.w = NULL;
		win_unpin(w);
		done += k;
	}
	win_cur = c.outer;
	return (ssize_t)n;
}
