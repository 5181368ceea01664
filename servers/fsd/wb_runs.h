/*
 * The run table of a BACKING_WRITEBACK_RUNS (abi/pager.h), checked and
 * turned into the pieces of one gathered write (ext2_write_v). Pure: no
 * IPC, no engine state, so the host unit tests (test/unit/test_wb_runs.c)
 * feed it every malformed table.
 */
#ifndef FSD_WB_RUNS_H
#define FSD_WB_RUNS_H

#include <stdint.h>
#include "abi/pager.h"
#include "ext2.h"

/* q's runs, from table t (q's window page 0), into v[0 .. BACKING_RUNS_MAX):
 * piece k is run k's bytes, at its file offset, from its window pages.
 * The number of pieces, or -ERR_INVAL if anything in q or t is out of
 * place: runs counted 0 or past BACKING_RUNS_MAX, pages 0 or past the
 * request's, pages that do not add up to count - 1, `last` 0 or past a
 * page, runs out of order or overlapping, offsets that would wrap. */
int wb_runs_check(const struct pager_backing_req *q, const struct pager_backing_run *t,
		  struct ext2_wpiece *v);

#endif
