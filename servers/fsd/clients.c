/*
 * The file server's clients (by the pid in their badge), each with a
 * descriptor table of indexes into the open-file descriptions (inode,
 * access mode, offset; shared by dup and fork; or a pipe's end), and the
 * snapshots of a table made for a fork or a spawn: their lifecycle, and
 * what the pager's notes (ends, execs, forks left unbound) do to them.
 * The requests that use them are ops.c's.
 */
#include <string.h>
#include "libsys.h"
#include "fsd.h"
#include "clients.h"

struct file files[MAX_FILES];
unsigned fsd_files_max = MAX_FILES;	/* a smaller table: fsd's "files=N" (tests) */
/* Every description in use is below files_hi: open takes the lowest free
 * one, so the walks below (one per last close) stay short. */
int files_hi;
static struct client clients[MAX_CLIENTS];
struct snapshot snaps[MAX_SNAPS];
static uint64_t snap_seq;

bool fsd_is_open(void *ctx, uint32_t ino)
{
	(void)ctx;
	if (backing_holds(ino))	/* mapped: the pager's object holds it */
		return true;
	for (int i = 0; i < files_hi; i++)
		if (files[i].refs && files[i].ino == ino)
			return true;
	return false;
}

struct client *client_find(int64_t pid)
{
	static struct client *last;	/* the same client asks again, mostly */

	if (last && last->state != CLIENT_FREE && last->pid == pid)
		return last;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].state != CLIENT_FREE && clients[i].pid == pid)
			return last = &clients[i];
	return NULL;
}

struct client *client_new(int64_t pid, int64_t ppid, int state)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->state != CLIENT_FREE)
			continue;
		c->state = state;
		c->pid = pid;
		c->ppid = ppid;
		c->cloexec = c->hidden_mask = 0;
		for (int k = 0; k < FS_FD_MAX; k++)
			c->fd[k] = -1;
		return c;
	}
	return NULL;
}

static void file_put(int idx)
{
	struct file *f = &files[idx];

	if (--f->refs)
		return;
	while (files_hi > 0 && !files[files_hi - 1].refs)
		files_hi--;
	if (f->pipe) {
		pipe_end_closed((int)f->pipe - 1, (f->flags & FS_O_ACCMODE) == FS_O_WRONLY);
		return;
	}
	if (!fsd_is_open(NULL, f->ino))
		ext2_inode_release(&fs, f->ino);	/* frees it if unlinked */
	else if (f->claimed)
		keep_closed(f->ino);	/* its page cache stays for the next open */
}

void fd_close(struct client *c, int fd)
{
	int idx = c->fd[fd];

	c->fd[fd] = -1;
	c->cloexec &= ~(1u << fd);
	if (idx >= 0)
		file_put(idx);
}

void snap_drop(struct snapshot *s)
{
	for (int k = 0; k < FS_FD_MAX; k++)
		if (s->fd[k] >= 0)
			file_put(s->fd[k]);
	s->used = false;
}

/* The descriptors hidden for an exec, closed (or, restore, put back where
 * they were, if still free). How many came back. */
int hidden_end(struct client *c, bool restore)
{
	int back = 0;

	for (int k = 0; k < FS_FD_MAX; k++) {
		if (!(c->hidden_mask & (1u << k)))
			continue;
		if (restore && c->fd[k] < 0) {
			c->fd[k] = c->hidden[k];
			c->cloexec |= 1u << k;
			back++;
		} else {
			file_put(c->hidden[k]);
		}
	}
	c->hidden_mask = 0;
	return back;
}

static void client_drop(struct client *c)
{
	hidden_end(c, false);
	for (int k = 0; k < FS_FD_MAX; k++)
		fd_close(c, k);
	c->state = CLIENT_FREE;
}

static bool pager_says_gone(int64_t pid)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_FS_ALIVE, 0, 0), .w = { (uint64_t)pid } };

	return pid > 0 && pager_call(&m) == 0;
}

/* The pager's FS_NOTE_FORK, kept for the end it comes before. */
static uint64_t fork_note;
static void fork_note_apply(int64_t pid);

void fsd_client_died(int64_t pid)
{
	struct client *c = client_find(pid);

	if (fork_note)
		fork_note_apply(pid);
	if (c)
		client_drop(c);
	backing_maker_ended(pid);
	for (int i = 0; i < MAX_SNAPS; i++) {
		struct snapshot *s = &snaps[i];
		if (!s->used)
			continue;
		if (s->child == pid || (s->owner == pid && (!s->child || pager_says_gone(s->child))))
			snap_drop(s);
		else if (s->owner == pid)
			s->owner = 0;	/* bound: kept for the child, no longer its owner's */
	}
}

/* The pager's FS_NOTE_EXEC: pid exec'd at the note's time (T >> UNIT
 * modulo 2^31: the latest such time not after ours). What it hid for
 * that exec closes; a set hidden after it (the new program execs in
 * turn) stays. */
void fsd_exec_noted(uint64_t note)
{
	uint64_t now = fsd_ticks() >> FS_NOTE_TIME_UNIT;
	uint64_t t = (now & ~FS_NOTE_TIME_MASK) | ((note >> FS_NOTE_TIME_SHIFT) & FS_NOTE_TIME_MASK);
	struct client *c = client_find((int64_t)(note & (FS_NOTE_EXEC - 1)));

	if (t > now)
		t -= FS_NOTE_TIME_MASK + 1;
	if (c && c->hidden_mask && c->hidden_at >> FS_NOTE_TIME_UNIT <= t)
		hidden_end(c, false);
}

/* The file behind descriptor fd of c, or NULL. */
struct file *fd_file(struct client *c, int64_t fd)
{
	if (fd < 0 || fd >= FS_FD_MAX || c->fd[fd] < 0)
		return NULL;
	return &files[c->fd[fd]];
}

int fd_lowest(struct client *c)
{
	for (int k = 0; k < FS_FD_MAX; k++)
		if (c->fd[k] < 0)
			return k;
	return -ERR_MFILE;
}

/* fork, step 1 (the parent): a copy of its table, holding its files. */
int64_t snap_prepare(struct client *c, bool exec)
{
	struct snapshot *free_one = NULL;
	int mine = 0;

	for (int i = 0; i < MAX_SNAPS; i++) {
		if (!snaps[i].used)
			free_one = free_one ? free_one : &snaps[i];
		else if (snaps[i].owner == c->pid)
			mine++;
	}
	if (mine >= FS_SNAP_MAX || !free_one)
		return -ERR_AGAIN;	/* fork fails with EAGAIN */
	*free_one = (struct snapshot){ .used = true, .owner = c->pid, .seq = ++snap_seq };
	/* For a new program (posix_spawn without a fork): as exec would,
	 * close-on-exec descriptors left out. */
	free_one->cloexec = exec ? 0 : c->cloexec;
	for (int k = 0; k < FS_FD_MAX; k++) {
		bool out = exec && (c->cloexec & (1u << k));
		if ((free_one->fd[k] = out ? -1 : c->fd[k]) >= 0)
			files[c->fd[k]].refs++;
	}
	return (int64_t)free_one->seq;
}

struct snapshot *snap_find(int64_t owner, int64_t seq)
{
	for (int i = 0; i < MAX_SNAPS; i++)
		if (snaps[i].used && owner > 0 && snaps[i].owner == owner &&
		    (int64_t)snaps[i].seq == seq)
			return &snaps[i];
	return NULL;
}

/* The snapshot seq that the caller may claim: only one bound to its pid
 * (its parent may have ended since, and the caller been given to init).
 * One not bound yet whose owner the badge names as the caller's parent
 * may be for the caller or for a sibling (any child of the owner could
 * name it): *wait says to ask again once the owner has bound it. */
static struct snapshot *snap_for_child(struct client *c, int64_t seq, bool *wait)
{
	*wait = false;
	for (int i = 0; i < MAX_SNAPS; i++) {
		struct snapshot *s = &snaps[i];
		if (!s->used || (int64_t)s->seq != seq)
			continue;
		if (s->child == c->pid)
			return s;
		/* An orphan's badge names init: its parent may have ended
		 * before binding, its FS_NOTE_FORK still to come. (While the
		 * owner lives, no child of its has init as parent.) */
		*wait = !s->child && s->owner > 0 &&
			(s->owner == c->ppid || (c->ppid == 1 && pager_says_gone(s->owner)));
	}
	return NULL;
}

/* fork, last step (the child, first request): its parent's snapshot
 * becomes its table. Only the child it is bound to can take it: the
 * badge says who the caller is. Before the binding, -ERR_AGAIN (libsys
 * asks again; if the owner ends unbound, the snapshot goes: -ERR_NOENT). */
int64_t snap_claim(struct client *c, int64_t seq)
{
	bool wait;
	struct snapshot *s = snap_for_child(c, seq, &wait);

	if (!s)
		return wait ? -ERR_AGAIN : -ERR_NOENT;	/* bound to a sibling: not ours */
	for (int k = 0; k < FS_FD_MAX; k++)
		if (c->fd[k] >= 0)
			return -ERR_INVAL;	/* only a fresh table */
	memcpy(c->fd, s->fd, sizeof(c->fd));
	c->cloexec = s->cloexec;
	s->used = false;	/* its references move to the child */
	return 0;
}

/* The pager's FS_NOTE_FORK comes just before the end of the parent it
 * is about (proc_end queues both at once): kept until that end, which
 * says whose snapshot may be bound (fsd_client_died). */
void fsd_fork_noted(uint64_t note)
{
	fork_note = note;
}

/* pid, ending, had its last fork's snapshot named in fork_note: bound to
 * that child if it is pid's own and unbound (pid ended between its fork
 * and FS_FORK_BIND), unless the child has ended too. Without it that
 * child ran without descriptors. A parent that lied in PAGER_FORK's w3
 * can only give its own child its own snapshot, as FS_FORK_BIND would. */
static void fork_note_apply(int64_t pid)
{
	int64_t child = (int64_t)(fork_note & (FS_NOTE_FORK - 1));
	uint64_t seq = (fork_note >> FS_NOTE_TIME_SHIFT) & FS_NOTE_TIME_MASK;
	struct snapshot *s = NULL;

	fork_note = 0;
	for (int i = 0; i < MAX_SNAPS; i++) {
		if (!snaps[i].used)
			continue;
		if (snaps[i].child == child)
			return;	/* bound already: one per child */
		if (!snaps[i].child && snaps[i].owner == pid && (snaps[i].seq & FS_NOTE_TIME_MASK) == seq)
			s = &snaps[i];
	}
	if (s && child > 0 && !pager_says_gone(child))
		s->child = child;
}
