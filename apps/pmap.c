/*
 * pmap [pid]: the memory map of a process (default: this one), one line per
 * VMA -- start-end, rights, kind, size, resident pages -- then a total
 * line from the pager's process statistics. The pager lets a process look
 * at itself and its descendants only. Exit status 0, or 1 on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include "libsys.h"

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case PVMA_ANON: return "anon";
	case PVMA_SHARED: return "shared";
	case PVMA_IMAGE: return "image";
	case PVMA_HEAP: return "heap";
	case PVMA_STACK: return "stack";
	case PVMA_IPCBUF: return "ipcbuf";
	case PVMA_FILE: return "file";
	default: return "?";
	}
}

static struct pager_vma_info vmas[PVMA_LIST_MAX];

int main(int argc, char **argv)
{
	int64_t pid = 0;
	uint64_t from = 0, next = 0, nvma = 0, vsum = 0;
	struct proc_stats st;

	if (argc > 2) {
		printf("usage: pmap [pid]\n");
		return 1;
	}
	if (argc == 2) {
		char *end;
		pid = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || pid <= 0) {
			printf("pmap: bad pid \"%s\"\n", argv[1]);
			return 1;
		}
	}
	printf("pmap: pid %ld\n", (long)(pid ? pid : (int64_t)libsys_start_info.pid));
	do {
		int64_t n = vma_list(pid, from, vmas, PVMA_LIST_MAX, &next);
		if (n < 0) {
			printf("pmap: cannot list pid %ld: error %ld\n", (long)pid, (long)-n);
			return 1;
		}
		if (from == 0)
			printf("%-10s %-10s %-4s %-6s %10s %8s\n", "start", "end", "rwx",
			       "kind", "size", "resident");
		for (int64_t i = 0; i < n; i++) {
			const struct pager_vma_info *v = &vmas[i];
			uint64_t pages = (v->end - v->start) / PAGE_SIZE;
			printf("%010lx-%010lx %c%c%c  %-6s %7lu KiB %8lu\n",
			       (unsigned long)v->start, (unsigned long)v->end,
			       v->prot & MAP_R ? 'r' : '-', v->prot & MAP_W ? 'w' : '-',
			       v->prot & MAP_X ? 'x' : '-', kind_name(v->kind),
			       (unsigned long)(pages * (PAGE_SIZE / 1024)),
			       (unsigned long)v->resident);
			nvma++;
			vsum += pages;
		}
		if (n == 0)
			break;
		from = next;
	} while (next);
	int64_t r = proc_stats(pid, &st);
	if (r < 0) {
		printf("pmap: no statistics for pid %ld: error %ld\n", (long)pid, (long)-r);
		return 1;
	}
	printf("total: %lu VMAs, %lu KiB virtual, %lu KiB resident (%lu pages), "
	       "%lu page-table pages\n", (unsigned long)nvma,
	       (unsigned long)(st.virtual_pages * (PAGE_SIZE / 1024)),
	       (unsigned long)(st.resident_pages * (PAGE_SIZE / 1024)),
	       (unsigned long)st.resident_pages, (unsigned long)st.pt_pages);
	/* The listing and the statistics are two views of one thing. */
	if (vsum != st.virtual_pages)
		printf("pmap: VMAs cover %lu pages, statistics say %lu\n",
		       (unsigned long)vsum, (unsigned long)st.virtual_pages);
	return 0;
}
