/*
 * trace PROGRAM ARGS...: run PROGRAM as a per-task child whose faults come
 * to us (PSPAWN_PAGER), log each one and forward it to the pager, which
 * serves it and says how. Waits for the child and exits with its status.
 * PROGRAM with a '/' comes from the disk, else from the boot image.
 *
 * Output, one line each, for tools/tracesvg (docs/tracing.md):
 *   trace: start PID PROGRAM
 *   R START END KIND            a region (VMA) of the child, as first seen
 *   T TIME ADDR ACCESS PC HOW   a fault: TIME in instructions since the
 *                               start (rdinstret), ACCESS r/w/x, HOW
 *                               mapped/zero/copy/fill/signal/ended/resumed
 *   trace: end PID status S faults N
 * -q: count faults but print only the start and end lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "taskpager.h"

#define MAX_REGIONS 64

static struct { uint64_t start, end; } regions[MAX_REGIONS];
static int nregions;

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[PVMA_ANON] = "anon", [PVMA_SHARED] = "shared", [PVMA_IMAGE] = "image",
		[PVMA_HEAP] = "heap", [PVMA_STACK] = "stack", [PVMA_IPCBUF] = "ipcbuf",
		[PVMA_FILE] = "file",
	};
	return kind <= PVMA_FILE && names[kind] ? names[kind] : "other";
}

static bool known(uint64_t addr)
{
	for (int i = 0; i < nregions; i++)
		if (addr >= regions[i].start && addr < regions[i].end)
			return true;
	return false;
}

/* Print the child's regions not printed yet (a new mmap, a grown stack:
 * a grown region is printed again with its new bounds). */
static void regions_refresh(int64_t pid)
{
	struct pager_vma_info v[16];
	uint64_t from = 0, next;
	int64_t n;

	do {
		if ((n = vma_list(pid, from, v, 16, &next)) <= 0)
			return;
		for (int64_t i = 0; i < n; i++) {
			if (known(v[i].start) && known(v[i].end - 1))
				continue;
			printf("R %#lx %#lx %s\n", (unsigned long)v[i].start, (unsigned long)v[i].end,
			       kind_name(v[i].kind));
			if (nregions < MAX_REGIONS) {
				regions[nregions].start = v[i].start;
				regions[nregions++].end = v[i].end;
			}
		}
		from = next;
	} while (from);
}

static const char *how_name(int64_t how)
{
	static const char *const names[] = {
		[PFWD_MAPPED] = "mapped", [PFWD_ZERO] = "zero", [PFWD_COPY] = "copy",
		[PFWD_FILL] = "fill", [PFWD_SIGNAL] = "signal", [PFWD_ENDED] = "ended",
		[PFWD_RESUMED] = "resumed",
	};
	return how > 0 && how <= PFWD_RESUMED ? names[how] : "error";
}

int main(int argc, char **argv)
{
	bool quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	const char *const *args = (const char *const *)argv + 1 + quiet;
	int64_t ep = sys_endpoint_create(), pid;
	uint64_t faults = 0, t0;
	struct ipc_msg m = { 0 };
	int status = 0;

	if (argc < 2 + quiet) {
		printf("usage: trace [-q] PROGRAM ARGS...\n");
		return 2;
	}
	if (ep < 0 || (pid = taskpager_start(args, (uint64_t)ep)) < 0) {
		printf("trace: cannot start %s: error %ld\n", args[0], (long)(ep < 0 ? ep : pid));
		return 1;
	}
	printf("trace: start %ld %s\n", (long)pid, args[0]);
	if (!quiet)
		regions_refresh(pid);
	t0 = rdinstret();
	for (;;) {
		if (ipc_recv((uint64_t)ep, &m) < 0)
			continue;
		if (taskpager_is_death(&m)) {
			/* Ended by the pager (exit, a kill): gone already; else
			 * we stopped it, and the pager must hear of it. */
			taskpager_forward_death(pid);
			break;
		}
		if (!taskpager_is_fault(&m) || taskpager_pid(&m) != pid)
			continue;	/* nobody else's faults come here */
		uint64_t addr = m.w[0], access = m.w[1], pc = m.w[2], t = rdinstret() - t0;
		int64_t how = taskpager_forward(&m, pid, NULL);
		faults++;
		if (quiet)
			continue;
		if (!known(addr))
			regions_refresh(pid);
		printf("T %lu %#lx %c %#lx %s\n", (unsigned long)t, (unsigned long)addr,
		       access == FAULT_WRITE ? 'w' : access == FAULT_EXEC ? 'x' : 'r',
		       (unsigned long)pc, how_name(how));
	}
	waitpid((pid_t)pid, &status, 0);
	printf("trace: end %ld status %d faults %lu\n", (long)pid, status, (unsigned long)faults);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
