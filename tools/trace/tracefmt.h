/*
 * The tracing pager's log (apps/trace.c, docs/tracing.md), read on the
 * host: lines picked out of a serial console capture, other output
 * ignored. Pure parsing and bookkeeping, no I/O but trace_read's stdio;
 * unit-tested under ASan/UBSan (test/unit/test_tracefmt.c).
 *   trace: start PID PROGRAM
 *   R START END KIND
 *   T TIME ADDR ACCESS PC HOW
 *   trace: end PID status S faults N
 */
#ifndef TRACEFMT_H
#define TRACEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum trace_how {
	HOW_MAPPED, HOW_ZERO, HOW_COPY, HOW_FILL, HOW_SIGNAL, HOW_ENDED, HOW_RESUMED, HOW_ERROR,
	HOW_COUNT
};

struct trace_region {
	uint64_t start, end;
	char kind[16];
	uint64_t count[HOW_COUNT];	/* faults in it, by how (trace_finish) */
	uint64_t faults;
};

struct trace_event {
	uint64_t time, addr, pc;
	char access;			/* 'r', 'w' or 'x' */
	enum trace_how how;
	int region;			/* index in regions (trace_finish) */
};

struct trace {
	struct trace_region *regions;
	size_t nregions, region_cap;
	struct trace_event *events;
	size_t nevents, event_cap;
	char program[64];
	long pid, status, faults_reported;	/* from the end line; -1 if none */
	bool started, ended;
	size_t bad_lines;		/* trace lines that did not parse */
};

#define TRACE_MAX_REGIONS 4096
#define TRACE_MAX_EVENTS (1u << 24)

void trace_init(struct trace *t);
void trace_free(struct trace *t);
/* One line (its newline and any '\r' optional): 1 if it was a trace line
 * and went in, 0 if it is not one (other console output), -1 if it looked
 * like one but was malformed (counted in bad_lines), -2 out of memory or
 * past a TRACE_MAX_* bound. */
int trace_parse_line(struct trace *t, const char *line);
/* Every line of f; 0, or -2 as above. Lines longer than 1 KiB are
 * skipped whole. */
int trace_read(struct trace *t, FILE *f);
/* After the last line: give every fault its region (an address outside
 * every region the log named gets an "unknown" 2 MiB region), sort the
 * regions by address, and count faults per region. 0 or -2. */
int trace_finish(struct trace *t);
const char *trace_how_name(enum trace_how how);
/* The region holding addr, or -1. */
int trace_region_of(const struct trace *t, uint64_t addr);

#endif
