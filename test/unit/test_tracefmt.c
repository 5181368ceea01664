/*
 * tools/trace/tracefmt.c: the tracing pager's log as a console capture
 * delivers it (\r\n ends, other programs' output between the lines), every
 * field's bounds, malformed lines counted and skipped, regions merged and
 * faults counted per region, unknown addresses given a region, and a
 * log with lines longer than the reader's buffer.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "tracefmt.h"

static const char good[] =
	"kernel: booting\r\n"
	"trace: start 2 /bin/hello\r\n"
	"R 0x10000 0x17000 image\r\n"
	"R 0x3ffefe0000 0x3fff000000 stack\r\n"
	"T 100 0x10000 x 0x10000 mapped\r\n"
	"hello from the disk: /bin/hello\r\n"
	"T 250 0x3ffefffe40 w 0x10280 zero\n"
	"R 0x3ffefd0000 0x3fff000000 stack\r\n"		/* it grew: one region still */
	"T 300 0x3ffefd0008 w 0x10280 zero\r\n"
	"T 400 0x2000 r 0x10044 signal\r\n"		/* in no region the log named */
	"T 500 0x10008 w 0x10044 copy\r\n"
	"trace: end 2 status 1792 faults 5\r\n";

static void feed(struct trace *t, const char *text)
{
	char line[256];

	while (*text) {
		size_t n = strcspn(text, "\n");
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, text, n);
		line[n] = '\0';
		trace_parse_line(t, line);
		text += n + (text[n] == '\n');
	}
}

static void test_good(void)
{
	struct trace t;

	trace_init(&t);
	feed(&t, good);
	CHECK(t.started && t.ended);
	CHECK(t.pid == 2 && t.status == 1792 && t.faults_reported == 5);
	CHECK(!strcmp(t.program, "/bin/hello"));
	CHECK(t.nevents == 5);
	CHECK(t.nregions == 2);
	CHECK(t.bad_lines == 0);
	CHECK(trace_finish(&t) == 0);
	CHECK(t.nregions == 3);		/* + unknown [0, 2 MiB) */
	CHECK(t.regions[0].start == 0 && !strcmp(t.regions[0].kind, "unknown"));
	CHECK(t.regions[1].start == 0x10000 && t.regions[1].faults == 2);
	CHECK(t.regions[1].count[HOW_MAPPED] == 1 && t.regions[1].count[HOW_COPY] == 1);
	CHECK(t.regions[2].start == 0x3ffefd0000 && t.regions[2].end == 0x3fff000000);
	CHECK(t.regions[2].faults == 2 && t.regions[2].count[HOW_ZERO] == 2);
	/* A named region wins over the unknown span that overlaps it. */
	CHECK(trace_region_of(&t, 0x10000) == 1);
	CHECK(trace_region_of(&t, 0x2000) == 0);
	CHECK(trace_region_of(&t, 0x4000000000) == -1);
	CHECK(t.events[0].time == 100 && t.events[0].access == 'x' && t.events[0].pc == 0x10000);
	CHECK(t.events[3].how == HOW_SIGNAL && t.events[3].region == 0);
	trace_free(&t);
	CHECK(t.events == NULL && t.nevents == 0);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"T 100 0x10000 x 0x10000",			/* a word short */
		"T 100 0x10000 x 0x10000 mapped extra",
		"T -1 0x10000 x 0x10000 mapped",		/* negative time */
		"T 18446744073709551616 0x1 r 0x1 zero",	/* time past 64 bits */
		"T 1 0x1ffffffffffffffff r 0x1 zero",		/* address past 64 bits */
		"T 1 0x zero r 0x1 zero",
		"T 1 0xg r 0x1 zero",
		"T 1 0x1 rw 0x1 zero",				/* access */
		"T 1 0x1 q 0x1 zero",
		"T 1 0x1 r 0x1 sideways",			/* how */
		"T 1x 0x1 r 0x1 zero",
		"R 0x2000 0x1000 anon",				/* backwards */
		"R 0x1000 0x1000 anon",				/* empty */
		"R 0x1000 0x2000 averyveryverylongkindname",
		"R 0x1000",
		"trace: start x /bin/a",
		"trace: start 0 /bin/a",
		"trace: end 2 status 0 faults -4",
		"trace: end 2 status 0 pages 4",
		"T 1 2 3 4 5 6 7 8 9 10",			/* too many words */
	};
	struct trace t;

	trace_init(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(trace_parse_line(&t, bad[i]) == -1);
	CHECK(t.bad_lines == sizeof(bad) / sizeof(bad[0]));
	CHECK(t.nevents == 0 && t.nregions == 0 && !t.started && !t.ended);
	/* Not trace lines at all: ignored, not counted. */
	CHECK(trace_parse_line(&t, "") == 0);
	CHECK(trace_parse_line(&t, "T") == 0);
	CHECK(trace_parse_line(&t, "Trace") == 0);
	CHECK(trace_parse_line(&t, "trace: cannot start /bin/x: error 2") == 0);
	CHECK(trace_parse_line(&t, "pager: pid 3 killed") == 0);
	CHECK(t.bad_lines == sizeof(bad) / sizeof(bad[0]));
	/* Bounds that do parse. */
	CHECK(trace_parse_line(&t, "T 18446744073709551615 fffffffffffff000 r 0 error") == 1);
	CHECK(t.events[0].time == UINT64_MAX && t.events[0].addr == 0xfffffffffffff000);
	CHECK(trace_finish(&t) == 0);	/* its unknown span ends at the top */
	CHECK(t.nregions == 1 && t.regions[0].faults == 1);
	trace_free(&t);
}

static void test_read_long_lines(void)
{
	char path[] = "/tmp/tracefmt-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w+");
	struct trace t;

	CHECK(f != NULL);
	if (!f)
		return;
	fputs("trace: start 5 prog\n", f);
	for (int i = 0; i < 3000; i++)	/* longer than the line buffer: skipped */
		fputs("T 1 0x1000 r 0x1 zero ", f);
	fputs("\nT 7 0x2000 w 0x1 zero\n", f);
	fputs("T 8 0x3000 w 0x1 zero", f);	/* no newline at the end: cut off */
	rewind(f);
	trace_init(&t);
	CHECK(trace_read(&t, f) == 0);
	CHECK(t.started && t.pid == 5);
	CHECK(t.nevents == 1 && t.events[0].time == 7);
	/* Many faults: the arrays grow. */
	for (int i = 0; i < 100000; i++) {
		char line[64];
		snprintf(line, sizeof(line), "T %d 0x%x w 0x1 zero", i, 0x100000 + (i % 512) * 4096);
		CHECK(trace_parse_line(&t, line) == 1);
	}
	CHECK(trace_finish(&t) == 0);
	CHECK(t.nevents == 100001);
	trace_free(&t);
	fclose(f);
	remove(path);
}

int main(void)
{
	test_good();
	test_malformed();
	test_read_long_lines();
	return check_report();
}
