/*
 * The backing-store protocol's requests, shared by the pager's side of
 * it: backing.c (queueing, completions, write-back, sync, notices),
 * fill.c and fill_answer.c (fills and the faults waiting on them) and
 * bserver.c (the servers: their calls, windows, tokens, lifecycle and
 * timeouts). Nothing outside those files uses it.
 */
#ifndef PAGER_BREQ_H
#define PAGER_BREQ_H

#include <stdbool.h>
#include <stdint.h>
#include "backing.h"

/* One request for a server, from queueing to its answer. */
struct breq {
	struct breq *next;		/* the queue */
	struct pager_backing_req r;
	struct bsrv *srv;
	struct file_obj *fo;		/* NULL for notices */
	uint32_t slot;			/* first window page (FILL, WRITEBACK) */
	int err;			/* SYNC: a write-back error to report */
	uint64_t since;			/* rdtime when queued (timeouts) */
	bool fetched;			/* handed out: in the in-flight table */
	bool frames_kept;		/* FILL: its frames went to the quarantine (bserver.c) */
	struct breq *onext, *oprev;	/* its server's unanswered requests, oldest first */
	/* FILL, WRITEBACK: the frames; WRITEBACK_RUNS: the run table's, then
	 * the data's (as the window has them) */
	uint64_t pfn[1 + BACKING_RUNS_PAGES];
	/* FILL: the object's fills in flight (file_obj.fills), the faults
	 * waiting for any of its pages (proc.wait_next), its pages dropped
	 * meanwhile (a bit each: discarded at the answer) */
	struct breq *fnext, *fprev;
	struct proc *waiters;
	uint32_t stale;
	struct sync_link *syncs;	/* SYNC: the msyncs waiting */
	/* WRITEBACK*: its number (file_obj.wb_seq); an early SYNC: the first
	 * number it does not cover, `ahead` the covered ones unanswered, enext
	 * the next early SYNC of its file. */
	uint64_t seq;
	uint32_t ahead;
	struct breq *enext;
};

/* May s take one more request? The file server always may. */
static inline bool breq_room(const struct bsrv *s)
{
	return !s->external || s->nreqs < MO_REQS_MAX;
}

/* backing.c */
/* A request, cleared (recycled: a fault should not pay malloc and
 * clearing ~400 bytes), or NULL. */
struct breq *breq_new(void);
void breq_put(struct breq *b);
/* Queue b for s; tell s unless `quiet` (the caller tells it later). */
void breq_enqueue(struct bsrv *s, struct breq *b, bool quiet);
struct breq *breq_dequeue(struct bsrv *s);
/* b left its server's queue or the in-flight table: finish it. */
void breq_complete(struct breq *b, int err);
/* Tell s it has requests (its parked MO_WAIT, or its notification). */
void backing_kick(struct bsrv *s);
/* bserver.c: answer s's parked PAGER_MO_WAIT with a request, if one can
 * go. */
bool bserver_deliver(struct bsrv *s);
/* fill.c: a fill's answer (err 0 or <0): its pages into the cache, its
 * waiters answered. */
void fill_done(struct breq *b, int err);
/* fill_answer.c: answer a chain of waiters (proc.wait_next) of fill b
 * (set: its pages put in the cache, a bit each), or end them (fail). */
void fill_waiters_answer(struct proc *chain, bool fail, const struct breq *b, uint32_t set);

#endif
