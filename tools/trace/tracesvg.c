/*
 * tracesvg [-o OUT.svg] [LOG]: the tracing pager's log (a console capture
 * with its lines in it; stdin if no LOG) as an SVG heat map a person reads
 * at a glance (docs/tracing.md). One band per region of the address space,
 * highest address on top as in a memory map; across, time in
 * instructions; each cell a (time, address) bin coloured by what its
 * faults mostly were (zero-fill, mapped, copy, fill, ...) and shaded by
 * how many there were. Beside each band, the region's fault histogram by
 * kind, with its count. Machine-readable too: each band's <g> carries
 * data-faults, the root data-total, for tests.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tracefmt.h"

#define WIDTH 1120
#define LEFT 250		/* region labels */
#define PLOT 600		/* the heat map */
#define HIST_X (LEFT + PLOT + 20)
#define HIST 200
#define TIME_BINS 120
#define CELL_H 6
#define MIN_ROWS 4		/* room for a band's two label lines */
#define MAX_ROWS 32
#define BAND_GAP 10
#define TOP 64

static const char *const colours[HOW_COUNT] = {
	[HOW_MAPPED] = "#2ca02c", [HOW_ZERO] = "#1f77b4", [HOW_COPY] = "#ff7f0e",
	[HOW_FILL] = "#9467bd", [HOW_SIGNAL] = "#d62728", [HOW_ENDED] = "#7f0000",
	[HOW_RESUMED] = "#8c8c8c", [HOW_ERROR] = "#000000",
};

static void escaped(FILE *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '&': fputs("&amp;", o); break;
		case '"': fputs("&quot;", o); break;
		default:
			if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
				fputc(*s, o);
		}
	}
}

static uint64_t region_pages(const struct trace_region *r)
{
	return (r->end - r->start + 4095) / 4096;
}

static int region_rows(const struct trace_region *r)
{
	uint64_t p = region_pages(r);

	return p < MIN_ROWS ? MIN_ROWS : p > MAX_ROWS ? MAX_ROWS : (int)p;
}

/* One band: its cells from the faults in it. */
static void band(FILE *o, const struct trace *t, int ri, int y, uint64_t t0, uint64_t span)
{
	const struct trace_region *r = &t->regions[ri];
	int rows = region_rows(r);
	uint32_t (*cell)[TIME_BINS][HOW_COUNT] = calloc((size_t)rows, sizeof(*cell));
	uint32_t most = 0;

	if (!cell)
		return;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct trace_event *e = &t->events[i];
		if (e->region != ri)
			continue;
		int col = (int)((double)(e->time - t0) / (double)span * TIME_BINS);
		int row = (int)((double)(e->addr - r->start) / (double)(r->end - r->start) * rows);
		col = col < 0 ? 0 : col >= TIME_BINS ? TIME_BINS - 1 : col;
		row = row < 0 ? 0 : row >= rows ? rows - 1 : row;
		uint32_t n = 0;
		cell[row][col][e->how]++;
		for (int h = 0; h < HOW_COUNT; h++)
			n += cell[row][col][h];
		if (n > most)
			most = n;
	}
	for (int row = 0; row < rows; row++) {
		for (int col = 0; col < TIME_BINS; col++) {
			uint32_t n = 0, best = 0;
			int kind = 0;
			for (int h = 0; h < HOW_COUNT; h++) {
				n += cell[row][col][h];
				if (cell[row][col][h] > best) {
					best = cell[row][col][h];
					kind = h;
				}
			}
			if (!n)
				continue;
			/* The top row is the highest address. */
			fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
				   "fill-opacity=\"%.2f\"><title>%u %s</title></rect>\n",
				LEFT + col * PLOT / TIME_BINS, y + (rows - 1 - row) * CELL_H,
				PLOT / TIME_BINS, CELL_H, colours[kind],
				0.35 + 0.65 * log1p(n) / log1p(most), n, trace_how_name((enum trace_how)kind));
		}
	}
	free(cell);
}

static void histogram(FILE *o, const struct trace_region *r, int y, int h, uint64_t most)
{
	double x = HIST_X;

	for (int k = 0; k < HOW_COUNT; k++) {
		double w = most ? (double)r->count[k] / (double)most * HIST : 0;
		if (!r->count[k])
			continue;
		fprintf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
			   "<title>%llu %s</title></rect>\n",
			x, y, w < 1 ? 1 : w, h, colours[k], (unsigned long long)r->count[k],
			trace_how_name((enum trace_how)k));
		x += w < 1 ? 1 : w;
	}
	fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"n\">%llu</text>\n", x + 4, y + h - 2,
		(unsigned long long)r->faults);
}

static void render(FILE *o, const struct trace *t)
{
	uint64_t t0 = UINT64_MAX, t1 = 0, most = 0, totals[HOW_COUNT] = { 0 };
	int height = TOP + 84;

	for (size_t i = 0; i < t->nevents; i++) {
		if (t->events[i].time < t0)
			t0 = t->events[i].time;
		if (t->events[i].time > t1)
			t1 = t->events[i].time;
		totals[t->events[i].how]++;
	}
	if (t0 > t1)
		t0 = t1 = 0;
	for (size_t i = 0; i < t->nregions; i++) {
		height += region_rows(&t->regions[i]) * CELL_H + BAND_GAP;
		if (t->regions[i].faults > most)
			most = t->regions[i].faults;
	}
	fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" data-total=\"%zu\" data-regions=\"%zu\">\n",
		WIDTH, height, WIDTH, height, t->nevents, t->nregions);
	fputs("<style>text{font-family:monospace;font-size:11px;fill:#222}"
	      ".h{font-size:15px;font-weight:bold}.n{font-size:10px}</style>\n"
	      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", o);
	fputs("<text x=\"10\" y=\"22\" class=\"h\">page faults of ", o);
	escaped(o, t->program[0] ? t->program : "?");
	fprintf(o, " (pid %ld): %zu faults, %zu regions, exit status %ld</text>\n", t->pid,
		t->nevents, t->nregions, t->status);
	fprintf(o, "<text x=\"%d\" y=\"44\">time in instructions: %llu .. %llu</text>\n"
		   "<text x=\"%d\" y=\"44\">faults by kind</text>\n", LEFT,
		(unsigned long long)t0, (unsigned long long)t1, HIST_X);

	uint64_t span = t1 > t0 ? t1 - t0 + 1 : 1;
	int y = TOP;
	for (size_t k = t->nregions; k-- > 0;) {	/* highest address first */
		const struct trace_region *r = &t->regions[k];
		int h = region_rows(r) * CELL_H;
		fprintf(o, "<g class=\"region\" data-kind=\"");
		escaped(o, r->kind);
		fprintf(o, "\" data-start=\"%#llx\" data-end=\"%#llx\" data-faults=\"%llu\">\n<title>",
			(unsigned long long)r->start, (unsigned long long)r->end,
			(unsigned long long)r->faults);
		escaped(o, r->kind);
		fprintf(o, " %#llx-%#llx: %llu faults</title>\n", (unsigned long long)r->start,
			(unsigned long long)r->end, (unsigned long long)r->faults);
		fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f4f4\" "
			   "stroke=\"#cccccc\"/>\n", LEFT, y, PLOT, h);
		fprintf(o, "<text x=\"10\" y=\"%d\">", y + 11);
		escaped(o, r->kind);
		uint64_t pages = region_pages(r);
		fprintf(o, " %#llx</text>\n<text x=\"10\" y=\"%d\" class=\"n\">%llu page%s</text>\n",
			(unsigned long long)r->start, y + 22, (unsigned long long)pages,
			pages == 1 ? "" : "s");
		band(o, t, (int)k, y, t0, span);
		histogram(o, r, y, h < 14 ? h : 14, most);
		fputs("</g>\n", o);
		y += h + BAND_GAP;
	}
	for (int q = 0; q <= 4; q++) {	/* the time axis */
		int tx = LEFT + q * PLOT / 4;
		fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888888\"/>"
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"n\">%llu</text>\n",
			tx, y - BAND_GAP, tx, y - BAND_GAP + 4, tx, y + 6,
			(unsigned long long)(t0 + (span - 1) / 4 * (uint64_t)q));
	}
	y += 14;
	int x = 10;
	for (int k = 0; k < HOW_COUNT; k++) {
		if (!totals[k])
			continue;
		fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"%d\">%s %llu</text>\n", x, y + 12, colours[k], x + 16,
			y + 22, trace_how_name((enum trace_how)k), (unsigned long long)totals[k]);
		x += 130;
	}
	fputs("</svg>\n", o);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *in = NULL;
	struct trace t;
	FILE *fi = stdin, *fo = stdout;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "usage: tracesvg [-o OUT.svg] [LOG]\n");
			return 2;
		} else
			in = argv[i];
	}
	if (in && !(fi = fopen(in, "r"))) {
		perror(in);
		return 1;
	}
	trace_init(&t);
	if (trace_read(&t, fi) < 0 || trace_finish(&t) < 0) {
		fprintf(stderr, "tracesvg: out of memory, or a log past the size limits\n");
		rc = 1;
	} else if (!t.started) {
		fprintf(stderr, "tracesvg: no \"trace: start\" line: not a trace\n");
		rc = 1;
	}
	if (!rc && out && !(fo = fopen(out, "w"))) {
		perror(out);
		rc = 1;
	}
	if (!rc) {
		render(fo, &t);
		if (fo != stdout && fclose(fo) != 0) {
			perror(out);
			rc = 1;
		}
		fprintf(stderr, "tracesvg: %zu faults in %zu regions%s%s", t.nevents, t.nregions,
			out ? " -> " : "", out ? out : "");
		if (t.bad_lines)
			fprintf(stderr, " (%zu malformed lines skipped)", t.bad_lines);
		if (t.ended && t.faults_reported != (long)t.nevents)
			fprintf(stderr, " (the tracer counted %ld: lines lost?)", t.faults_reported);
		fputc('\n', stderr);
	}
	if (fi != stdin)
		fclose(fi);
	trace_free(&t);
	return rc;
}
