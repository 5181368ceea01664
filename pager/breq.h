/*
 * The backing-store protocol's requests, shared by the two halves of the
 * pager's side: backing.c (queueing, suspended faults, completions,
 * write-back) and bserver.c (the servers: their calls, windows, tokens,
 * lifecycle and timeouts). Nothing outside those two files uses it.
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

/* backing.c */
void breq_put(struct breq *b);
struct breq *breq_dequeue(struct bsrv *s);
/* b left its server's queue or the in-flight table: finish it. */
void breq_complete(struct breq *b, int err);
/* Tell s it has requests (its parked MO_WAIT, or its notification). */
void backing_kick(struct bsrv *s);
/* bserver.c: answer s's parked PAGER_MO_WAIT with a request, if one can
 * go. */
bool bserver_deliver(struct bsrv *s);

#endif
