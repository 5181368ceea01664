/*
 * The file server (servers/fsd): what its three parts share. main.c owns
 * setup, the receive loop, the request slots and the parked requests;
 * disk.c the block device under the ext2 engine (synchronous and
 * asynchronous reads through the blk driver); ops.c the clients, their
 * descriptor tables, the open files and one handler per FS_* request;
 * pipe.c the pipes and the requests waiting on them. docs/fs-protocol.md
 * describes the whole.
 */
#ifndef FSD_H
#define FSD_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/blk.h"
#include "abi/fs.h"
#include "ext2.h"

/* One request: its words, its payload (copied out of the IPC buffer, which
 * the next receive overwrites) and the reply handle saved for it. */
struct req {
	struct ipc_msg m;		/* the request; m.badge names the client */
	uint64_t reply;			/* reply handle (SYS_REPLY_SAVE) */
	uint32_t len;			/* payload bytes */
	bool in_use;
	uint64_t stamp;			/* the time counter when it came (pipe.c: signals) */
	int32_t pipe;			/* FSD_PARK_PIPE: the pipe it waits on */
	/* Aligned as the IPC buffer and the cache are, so that the word-loop
	 * memcpy (mem_words.c) copies a payload 8 bytes a step. */
	uint8_t data[IPC_BUF_SIZE] __attribute__((aligned(8)));
};

/* A handler's result when the request must wait for a disk block (the
 * engine said -ERR_AGAIN in nowait mode). */
#define FSD_PARK_DISK	(-1000)
/* A handler's result when the request must wait for a pipe (r->pipe) to
 * change: pipe.c keeps it, out of the request slots. */
#define FSD_PARK_PIPE	(-1001)

extern struct ext2_fs fs;
extern uint8_t *pool;			/* the DMA pool: the engine's cache */
extern uint64_t pool_pa, pool_len;
extern uint64_t cache_bytes;		/* the cache: pool[0, cache_bytes); then a bounce block */
extern uint64_t fs_ep;

/* main.c: a client request received while the engine waited for the
 * disk is queued here (or refused with -ERR_AGAIN if no slot is free). */
void fsd_accept(struct ipc_msg *m);
/* Answer r (w0) with out[0..outlen) as payload, through r's reply handle;
 * frees the request slot. */
void fsd_answer(struct req *r, struct ipc_msg *reply, const void *out, uint32_t outlen);
/* Before a receive other than the main loop's: the caller still on the
 * kernel's link gets a reply handle (and its answer, if made). */
void fsd_unlink_caller(void);
/* Retry every parked request (after a disk read completed). */
void fsd_retry_parked(void);

/* Counters for FS_STATFS: requests parked, and answered while an
 * asynchronous read was in flight. */
extern uint64_t stat_parked, stat_answered_during_read;

/* disk.c */
extern const struct ext2_blockdev_ops fsd_blockdev;
int disk_init(uint64_t blk_ep);
/* The relay said the disk completed something: collect it. */
void disk_completions(void);
/* Asynchronous reads finished while the engine ran, to hand to
 * ext2_cache_complete now that it does not: true if any. */
bool disk_finish_async(void);
/* Whether disk_finish_async has something to hand over. */
bool disk_async_ready(void);
/* Start reading what the engine wanted (ext2_wanted); 0, or < 0 if the
 * read could not start (then run the request synchronously). */
int disk_start_async(void);
extern bool deaths_pending;
extern uint64_t blk_notif;
uint64_t disk_bytes(void);
/* Direct reads into pages (direct_fill.c): begin (an op, or -ERR_AGAIN when
 * none is free); hold it once for each read it takes part in; submit a
 * read of npages pages at physical addresses pa[] from sector for the ops
 * in the mask (0, or the error that also fails those ops); end. The
 * owner's backing_direct_done(owner, status) runs once every read it
 * was held for completed. */
int disk_direct_begin(void *owner);
void disk_direct_hold(int op);
int disk_direct_submit(uint32_t ops, uint64_t sector, const uint64_t *pa, unsigned npages);
void disk_direct_end(int op);

/* ops.c */
/* Run one request; returns the result for w0, or FSD_PARK_*; fills
 * reply words and out/outlen. */
int64_t fsd_handle(struct req *r, struct ipc_msg *reply, uint8_t *out, uint32_t *outlen);
/* The pager says pid ended: close its files, drop its table. */
void fsd_client_died(int64_t pid);
/* The pager's FS_NOTE_EXEC: what the process hid for its exec closes. */
void fsd_exec_noted(uint64_t note);
/* The pager's FS_NOTE_FORK: a dying parent's last snapshot, for its child. */
void fsd_fork_noted(uint64_t note);
/* main.c: pid ended: its parked and queued requests, then its state. */
void fsd_drop_pid(int64_t pid);
bool fsd_is_open(void *ctx, uint32_t ino);
/* Open-file descriptions the server hands out (argv "files=N" lowers it
 * so that a test can fill the table). */
extern unsigned fsd_files_max;

/* backing.c: file-backed mappings (docs/page-cache.md). */
void backing_init(uint64_t window);
bool backing_holds(uint32_t ino);
int64_t backing_mmap(int64_t pid, uint32_t ino, uint32_t oflags, const struct fs_mmap_req *q);
int64_t backing_read(uint32_t ino, uint64_t off, uint8_t *out, uint64_t count);
void backing_wrote(uint32_t ino, uint64_t off, const uint8_t *data, uint64_t n);
void backing_resized(uint32_t ino);
bool backing_fetch(void);
void backing_retry(void);
void backing_drain(void);
void fsd_reap_deaths(void);
/* FS_FSYNC: the pager queues the write-back of ino's mapped dirty pages. */
void backing_flush(uint32_t ino);
bool backing_wants_fetch(void);
/* A fill's direct reads all completed (disk.c): status 0 or -ERR_*. */
void backing_direct_done(void *owner, int status);

/* direct_fill.c: fills straight from the disk (docs/file-server.md). A
 * fill's state, in backing.c's request. start: 1 when its direct reads
 * started (backing_direct_done(owner) follows), 0 to copy it all (not
 * allowed, nothing direct, no DMA right), -ERR_AGAIN to park; the reads
 * go out at the next flush (the end of every fetch and retry). end: 0
 * (done), 1 (copy it again: the file changed), or the error. */
struct direct_fill {
	bool no_direct;		/* copy it (the file changed under a direct read) */
	uint64_t changes;	/* fs.changes when its direct reads began */
};
int64_t direct_fill_start(void *owner, struct direct_fill *d, const struct pager_backing_req *q,
			  bool allowed);
void direct_fill_flush(void);
int direct_fill_end(struct direct_fill *d, uint32_t count, int status);
int64_t backing_stats(struct ipc_msg *reply);
/* A client ended: the holds it made are no longer charged to it. */
void backing_maker_ended(int64_t pid);
int64_t backing_direct_stats(struct ipc_msg *reply);

/* pipe.c: pipes (docs/fs-protocol.md "Pipes"). A pipe is two open file
 * descriptions (ops.c), each naming it (index + 1 in struct file). */
int pipe_new(int64_t pid);
void pipe_end_closed(int idx, bool write_end);
int64_t pipe_request(int idx, uint32_t flags, struct req *r, uint64_t label,
		     struct ipc_msg *reply, uint8_t *out, uint32_t *outlen);
/* run(): keep r, which said FSD_PARK_PIPE; false if there is no room. */
bool pipe_park(struct req *r);
void pipe_drop_pid(int64_t pid);
/* A PAGER_FS_DEAD entry with FS_NOTE_INTR. */
void pipe_interrupt(uint64_t note);
/* Waits to answer (a pipe changed, a signal came): run pipe_run_woken,
 * with the caller off the kernel's link. */
bool pipe_pending(void);
void pipe_run_woken(void);
int64_t pipe_stats(struct ipc_msg *reply);
/* Waits kept at once (argv "pipewaits=N" lowers it, so that a test can
 * fill them). */
extern unsigned pipe_waiters_max;
/* main.c: FS_CLOCK. */
int64_t fsd_clock(struct ipc_msg *reply);
uint64_t fsd_ticks(void);
/* keep.c: files kept cached after their last close. */
void keep_closed(uint32_t ino);
void keep_forget_unlinked(void);
void keep_flush(void);

#endif
