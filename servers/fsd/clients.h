/*
 * The file server's clients, their descriptors and fork snapshots
 * (clients.c), shared with the requests that use them (ops.c): the
 * tables of open-file descriptions, clients and snapshots and what each
 * entry holds.
 */
#ifndef FSD_CLIENTS_H
#define FSD_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/fs.h"

/* Room for every process the pager may run (256), every descriptor of
 * every client and every snapshot each may keep: no client within its
 * limits can take a slot another needs. */
#define MAX_CLIENTS	256
#define MAX_SNAPS	(MAX_CLIENTS * (FS_SNAP_MAX + 1))	/* + one bound to each child */
/* Descriptions: a process holds at most its table's, its unclaimed
 * snapshots', one snapshot bound to it and those it hid for an exec,
 * each FS_FD_MAX, so the table cannot fill while every process keeps
 * within that (walks stop at files_hi, so its size costs nothing but
 * untouched memory). */
#define MAX_FILES	(MAX_CLIENTS * FS_FD_MAX * (FS_SNAP_MAX + 3))
#define ERR_MFILE	24	/* EMFILE: the client's table is full */
#define ERR_NFILE	23	/* ENFILE: the server's table is full */

struct file {
	uint32_t refs;		/* descriptors naming it, in every client */
	uint32_t ino;
	uint32_t flags;		/* FS_O_* as opened */
	uint32_t pipe;		/* a pipe's end: its index + 1 (pipe.c); 0: a file */
	bool claimed;		/* read through a mapping (FS_READ_CLAIM): keep its cache */
	uint64_t offset;	/* file offset; readdir's cursor for a directory */
};

enum { CLIENT_FREE, CLIENT_LIVE };

struct client {
	int state;
	int64_t pid, ppid;
	int32_t fd[FS_FD_MAX];	/* index into files, or -1 */
	uint32_t cloexec;	/* FS_FD_CLOEXEC, a bit per descriptor */
	/* Close-on-exec descriptors taken out for an exec (FS_EXEC_HIDE):
	 * back if it fails, closed once the pager says it happened. */
	uint32_t hidden_mask;
	int32_t hidden[FS_FD_MAX];
	uint64_t hidden_at;	/* the time counter when they were hidden */
};

/* A copy of a client's table made for a child it is forking: claimed by
 * the child, or dropped when the fork fails, the child dies unclaimed
 * (once bound to its pid) or the owner dies before binding it. A bound
 * one outlives its owner: the child may claim after its parent ended. */
struct snapshot {
	bool used;
	int64_t owner, child;	/* child: 0 until FS_FORK_BIND; owner: 0 once it ended */
	uint64_t seq;
	int32_t fd[FS_FD_MAX];
	uint32_t cloexec;
};

extern struct file files[MAX_FILES];
/* Every description in use is below files_hi (open takes the lowest). */
extern int files_hi;
extern struct snapshot snaps[MAX_SNAPS];

/* The client with this pid, or NULL; a new one (NULL: the table is full). */
struct client *client_find(int64_t pid);
struct client *client_new(int64_t pid, int64_t ppid, int state);
/* Descriptor fd of c closes (its description when the last goes). */
void fd_close(struct client *c, int fd);
/* The file behind descriptor fd of c, or NULL; c's lowest free one. */
struct file *fd_file(struct client *c, int64_t fd);
int fd_lowest(struct client *c);
/* The descriptors hidden for an exec, closed (or, restore, put back where
 * they were, if still free). How many came back. */
int hidden_end(struct client *c, bool restore);
/* Fork snapshots: made (fork step 1), found by owner, claimed by the
 * child, dropped. */
int64_t snap_prepare(struct client *c, bool exec);
struct snapshot *snap_find(int64_t owner, int64_t seq);
int64_t snap_claim(struct client *c, int64_t seq);
void snap_drop(struct snapshot *s);

#endif
