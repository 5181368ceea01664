/*
 * Processes: a task and its main thread (the pager holds both handles), a
 * VMA set, and the parent/child bookkeeping for wait. A process is named
 * by its pid, which is also the badge on its handle to the pager endpoint
 * and on its threads' faults.
 */
#ifndef PAGER_PROC_H
#define PAGER_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"
#include "signals.h"
#include "vma.h"

struct breq;
struct bsrv;

#define MAX_PROCS 256
/* Slots only init may take: however many processes the others make, init
 * can still fork and spawn. */
#define PROC_RESERVED_SLOTS 8
/* The default limit on a process's live + unreaped children. */
#define PROC_NPROC_DEFAULT 64
/* Frames kept free for faults: below this, the next fault first ends the
 * process with the most resident memory (a fault needs at most a data
 * frame and three page-map nodes). */
#define OOM_RESERVE_FRAMES 16

enum proc_state { PROC_FREE, PROC_LIVE, PROC_ZOMBIE };

struct proc {
	int64_t pid;
	enum proc_state state;
	int64_t ppid;
	int status;		/* wait status once a zombie */
	uint64_t task, thread;	/* our handles */
	struct vma_set vmas;
	bool waiting;		/* blocked in PAGER_WAIT, reply deferred */
	int64_t wait_pid;
	uint64_t brk_start, brk;	/* the heap: [brk_start, brk) */
	uint64_t limit_pages;	/* most pages its VMAs may cover (RLIMIT_AS) */
	uint64_t limit_pages_max;	/* what PAGER_SET_LIMIT may restore */
	uint64_t rss_limit;	/* most resident pages (RLIMIT_RSS) */
	uint64_t nproc_limit;	/* most live + unreaped descendants */
	/* Whom it counts under for NPROC: its parent, and once that ended,
	 * that one's (an orphan goes to init for wait, but still counts
	 * under the ancestors it had, or ending a child would free the
	 * slots of all its children). */
	int64_t nproc_up;
	uint32_t nproc_mark, nproc_idx;	/* nproc_reached's scratch */
	bool oom_protected;	/* init and servers: never the OOM victim */
	bool dma_ok;		/* may PAGER_DMA_ALLOC: init, drivers (PSPAWN_DMA), their forks */
	uint64_t pager_handle;	/* its handle to us (the same in a fork) */
	/* Main threads of images exec replaced whose death messages
	 * (THREAD_EXIT_KILLED) are still to come: not the process's end. */
	uint32_t exec_deaths;
	/* Its last fork: the child and the file server's snapshot libsys named
	 * for it (PAGER_FORK w3), so that if it ends before binding the
	 * snapshot the server still gives it to that child (fsconn.c). */
	int64_t fork_child;
	uint64_t fork_snap;
	char name[32];
	struct proc_signals sig;	/* signal.c */
	/* A fault suspended on a file page's fill (backing.c): its saved
	 * reply (0: none), address and access, the fill, and the next
	 * process waiting on the same fill. */
	uint64_t wait_reply;
	uint64_t wait_va, wait_access;
	struct breq *wait_fill;
	struct proc *wait_next;
	/* The backing server (bserver.c) this process is, or NULL. */
	struct bsrv *bsrv;
	/* forward.c: the pid whose endpoint takes its faults (PSPAWN_PAGER),
	 * 0: ours; our handle to that endpoint; a forwarded reply handle
	 * kept while a fill runs. */
	int64_t pager_holder;
	uint64_t fwd_ep, fwd_reply;
};

/* The default limit on a process's mapped pages: all of user space. */
uint64_t proc_default_limit(void);
/* A free slot, marked live with a new pid and parent's limits, or NULL
 * (-ERR_AGAIN): the table is full, parent or an ancestor below init has
 * nproc_limit descendants, or
 * only the slots reserved for init are left and parent is not init. */
struct proc *proc_alloc(struct proc *parent);
/* PAGER_SETRLIMIT / PAGER_GETRLIMIT on t by caller. */
int64_t proc_setrlimit(struct proc *caller, struct proc *t, uint64_t res, uint64_t value);
int64_t proc_getrlimit(struct proc *t, uint64_t res);
/* PAGER_SPAWN's PSPAWN_* flags: 0 if caller may give them, and giving
 * them to the new child (which has not run yet). */
int64_t proc_spawn_flags_check(struct proc *caller, uint64_t flags);
void proc_spawn_flags_apply(struct proc *child, uint64_t flags);
/* Resident pages charged to p: the frames its VMAs' objects hold for
 * their ranges plus its VMA metadata in the pager's heap, in pages.
 * O(VMAs): for the out-of-memory choice. */
uint64_t proc_resident(struct proc *p);
/* Frames are short (fewer than `want` free): end the unprotected
 * processes holding the most resident memory, one at a time, with a
 * report line each, until `want` are free or none is left to end. */
void proc_oom_reclaim(uint64_t want);
/* The pager's heap is near its cap: end the unprotected process with the
 * most VMAs (each holds a VMA, an object and page-map metadata there),
 * with a report line. Its pid, or 0 if there was none to end. */
int64_t proc_oom_reclaim_meta(void);
/* p is over its resident limit (counted cheaply: pages in its page
 * tables plus metadata): end it with a report. True if ended. */
bool proc_rss_enforce(struct proc *p);
/* Undo a proc_alloc whose set-up failed part way. */
void proc_discard(struct proc *p);

void proc_init(void);
/* Slot i (0 <= i < MAX_PROCS) of the process table, for walks. */
struct proc *proc_at(int i);
/* Slots in use: live and zombie processes. */
int proc_count(void);
/* The live or zombie process with this pid, or NULL. */
struct proc *proc_get(uint64_t pid);
/* Start argv[0] from the boot image as a child of parent (NULL: none).
 * args: NUL-separated argv strings of len bytes. grant: a handle of ours
 * to move into the child, or 0. Returns the pid or -ERR_*. */
int64_t proc_spawn(struct proc *parent, const char *args, uint64_t len, uint64_t grant);
/* End p with a wait status: free everything but the zombie record and
 * wake a waiting parent. */
void proc_end(struct proc *p, int status);
/* Whether p is ancestor or descends from it. */
bool proc_is_descendant(const struct proc *p, const struct proc *ancestor);
/* PAGER_WAIT for p. True with *pid_out, *status_out if answered now;
 * false if deferred (the reply goes out when a child ends). */
bool proc_wait(struct proc *p, int64_t pid, int options, int64_t *pid_out, int *status_out);

/* proc_spawn with the program's ELF file given (image->data, size) in
 * place of a boot-image lookup (pager/spawn_image.c). */
struct cpio_file;
int64_t proc_spawn_image(struct proc *parent, const char *args, uint64_t len, uint64_t grant,
			 const struct cpio_file *image);
/* PAGER_SPAWN_IMAGE (pager/spawn_image.c). */
int64_t spawn_image_request(struct proc *p, struct ipc_msg *m, uint64_t grant);
/* Puts a program's segments into p (VMAs only; p's task exists): the
 * entry and the first address past them (the break), 0 or -ERR_*. */
typedef int (*proc_loader)(struct proc *p, void *src, uint64_t *entry, uint64_t *brk);
/* proc_spawn with the image from load(src). */
int64_t proc_spawn_with(struct proc *parent, const char *args, uint64_t len, uint64_t grant,
			proc_loader load, void *src);
/* Replace p's image by load(src)'s with argv from args (len bytes): the
 * pid, or -ERR_INVAL for bad args (p untouched, *gone false); once args
 * are good p's old image is gone (*gone true), and a failure after that
 * ends p (<0 returned). */
int64_t proc_exec(struct proc *p, const char *args, uint64_t len, proc_loader load, void *src,
		  bool *gone);
/* PAGER_SPAWN_FILE and PAGER_EXEC (pager/exec.c). *reply: false when the
 * caller is not to be answered (its image was replaced, or it ended). */
int64_t exec_request(struct proc *p, struct ipc_msg *m, uint64_t grant, bool *reply);

/* pager/fsconn.c: the file server's registration, its clients' handles,
 * and the news of their end (docs/fs-protocol.md). */
int64_t fsconn_request(struct proc *p, struct ipc_msg *m);
void fsconn_proc_ended(struct proc *p);
/* Signal the server's notification: backing requests are queued. */
void fsconn_kick(void);
/* Ends PAGER_FS_DEAD would report now (PAGER_OBJ_FETCH's w1). */
uint64_t fsconn_deaths_pending(void);
/* A caught signal was delivered to p, which may be blocked in a call to
 * the file server: have the server cut its waits short (PAGER_FS_DEAD
 * entry FS_NOTE_INTR; restart: the handler's SA_RESTART). */
void fsconn_signalled(struct proc *p, bool restart);
/* p exec'd: its hidden close-on-exec descriptors close (FS_NOTE_EXEC). */
void fsconn_exec(struct proc *p);
/* Slot i holds an end the server has not fetched: not for a new process
 * yet (its notes would mix with the old one's). */
bool fsconn_slot_held(int slot);
/* p is the registered file server. */
bool fsconn_is_server(const struct proc *p);

#endif
