/*
 * Reading the tracing pager's log (tracefmt.h): split each line into
 * words, check every field strictly (numbers in range, known names), and
 * keep regions and faults in growing arrays.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tracefmt.h"

#define LINE_MAX_LEN 1024
#define MAX_WORDS 8
#define UNKNOWN_SPAN (2ull << 20)

static const char *const how_names[HOW_COUNT] = {
	[HOW_MAPPED] = "mapped", [HOW_ZERO] = "zero", [HOW_COPY] = "copy", [HOW_FILL] = "fill",
	[HOW_SIGNAL] = "signal", [HOW_ENDED] = "ended", [HOW_RESUMED] = "resumed",
	[HOW_ERROR] = "error",
};

const char *trace_how_name(enum trace_how how)
{
	return (unsigned)how < HOW_COUNT ? how_names[how] : "error";
}

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = t->status = t->faults_reported = -1;
}

void trace_free(struct trace *t)
{
	free(t->regions);
	free(t->events);
	trace_init(t);
}

/* Split s (modified) at blanks into at most MAX_WORDS words; the count,
 * or -1 if there are more. */
static int split(char *s, char *w[MAX_WORDS])
{
	int n = 0;

	for (char *p = strtok(s, " \t"); p; p = strtok(NULL, " \t")) {
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
	}
	return n;
}

/* A whole word as a number in base (16 takes an optional 0x). */
static bool number(const char *s, int base, uint64_t *out)
{
	char *end;

	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool snumber(const char *s, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || !*s || *end)
		return false;
	*out = v;
	return true;
}

static bool grow(void **a, size_t *cap, size_t n, size_t size, size_t max)
{
	if (n < *cap)
		return true;
	if (n >= max)
		return false;
	size_t c = *cap ? *cap * 2 : 64;
	if (c > max)
		c = max;
	void *b = realloc(*a, c * size);
	if (!b)
		return false;
	*a = b;
	*cap = c;
	return true;
}

/* A region named again (a grown stack) extends the one it overlaps. */
static int add_region(struct trace *t, uint64_t start, uint64_t end, const char *kind)
{
	for (size_t i = 0; i < t->nregions; i++) {
		struct trace_region *r = &t->regions[i];
		if (start < r->end && end > r->start && !strcmp(r->kind, kind)) {
			if (start < r->start)
				r->start = start;
			if (end > r->end)
				r->end = end;
			return 1;
		}
	}
	if (!grow((void **)&t->regions, &t->region_cap, t->nregions, sizeof(*t->regions),
		  TRACE_MAX_REGIONS))
		return -2;
	struct trace_region *r = &t->regions[t->nregions++];
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	return 1;
}

static int parse_fault(struct trace *t, char **w, int n)
{
	struct trace_event e = { .region = -1 };
	int how;

	if (n != 6 || !number(w[1], 10, &e.time) || !number(w[2], 16, &e.addr) ||
	    !number(w[4], 16, &e.pc) || strlen(w[3]) != 1 || !strchr("rwx", w[3][0]))
		return -1;
	e.access = w[3][0];
	for (how = 0; how < HOW_COUNT && strcmp(w[5], how_names[how]); how++)
		;
	if (how == HOW_COUNT)
		return -1;
	e.how = (enum trace_how)how;
	if (!grow((void **)&t->events, &t->event_cap, t->nevents, sizeof(*t->events),
		  TRACE_MAX_EVENTS))
		return -2;
	t->events[t->nevents++] = e;
	return 1;
}

static int parse_region(struct trace *t, char **w, int n)
{
	uint64_t start, end;

	if (n != 4 || !number(w[1], 16, &start) || !number(w[2], 16, &end) || start >= end ||
	    strlen(w[3]) >= sizeof(t->regions[0].kind))
		return -1;
	return add_region(t, start, end, w[3]);
}

/* "trace: start PID PROGRAM" / "trace: end PID status S faults N" */
static int parse_trace_line(struct trace *t, char **w, int n)
{
	long pid, status, faults;

	if (n >= 2 && !strcmp(w[1], "start")) {
		if (n != 4 || !snumber(w[2], &pid) || pid <= 0)
			return -1;
		t->pid = pid;
		t->started = true;
		snprintf(t->program, sizeof(t->program), "%s", w[3]);
		return 1;
	}
	if (n >= 2 && !strcmp(w[1], "end")) {
		if (n != 7 || strcmp(w[3], "status") || strcmp(w[5], "faults") ||
		    !snumber(w[2], &pid) || !snumber(w[4], &status) || !snumber(w[6], &faults) ||
		    faults < 0)
			return -1;
		t->status = status;
		t->faults_reported = faults;
		t->ended = true;
		return 1;
	}
	return 0;	/* the tracer's other words (usage, errors) */
}

int trace_parse_line(struct trace *t, const char *line)
{
	char buf[LINE_MAX_LEN], *w[MAX_WORDS] = { 0 };
	size_t len = strcspn(line, "\r\n");
	int n, r;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strncmp(buf, "T ", 2) && strncmp(buf, "R ", 2) && strncmp(buf, "trace: ", 7))
		return 0;
	n = split(buf, w);
	if (n == 0)
		return 0;
	if (n < 0)
		r = -1;
	else if (!strcmp(w[0], "T"))
		r = parse_fault(t, w, n);
	else if (!strcmp(w[0], "R"))
		r = parse_region(t, w, n);
	else
		r = parse_trace_line(t, w, n);
	if (r == -1)
		t->bad_lines++;
	return r;
}

int trace_read(struct trace *t, FILE *f)
{
	char line[LINE_MAX_LEN];
	bool skipping = false;

	while (fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') != NULL;
		if (!skipping && whole && trace_parse_line(t, line) == -2)
			return -2;
		skipping = !whole;	/* the rest of an overlong line */
	}
	return 0;
}

int trace_region_of(const struct trace *t, uint64_t addr)
{
	int unknown = -1;	/* an "unknown" span only if no named region holds it */

	for (size_t i = 0; i < t->nregions; i++) {
		if (addr < t->regions[i].start || addr >= t->regions[i].end)
			continue;
		if (strcmp(t->regions[i].kind, "unknown"))
			return (int)i;
		unknown = (int)i;
	}
	return unknown;
}

static int by_start(const void *a, const void *b)
{
	const struct trace_region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int trace_finish(struct trace *t)
{
	for (size_t i = 0; i < t->nevents; i++) {
		uint64_t a = t->events[i].addr & ~(UNKNOWN_SPAN - 1);
		if (trace_region_of(t, t->events[i].addr) < 0 &&
		    add_region(t, a, a + UNKNOWN_SPAN < a ? UINT64_MAX : a + UNKNOWN_SPAN, "unknown") < 0)
			return -2;
	}
	qsort(t->regions, t->nregions, sizeof(*t->regions), by_start);
	for (size_t i = 0; i < t->nregions; i++) {
		memset(t->regions[i].count, 0, sizeof(t->regions[i].count));
		t->regions[i].faults = 0;
	}
	for (size_t i = 0; i < t->nevents; i++) {
		struct trace_event *e = &t->events[i];
		e->region = trace_region_of(t, e->addr);
		if (e->region >= 0) {
			t->regions[e->region].count[e->how]++;
			t->regions[e->region].faults++;
		}
	}
	return 0;
}
