/*
 * Microbenchmarks, run under QEMU -icount shift=0 so that rdinstret counts
 * retired instructions deterministically. Each figure is the mean over many
 * warm iterations, printed as "bench: <name> <value> <unit>".
 *   null_syscall     an ecall that does nothing (debug write of 0 bytes)
 *   ipc_roundtrip    call + reply between two address spaces
 *   fault_roundtrip  first write to an untouched page: fault -> pager ->
 *                    page zeroed and mapped -> thread resumed
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"

#define N 2000

static void report(const char *name, uint64_t total, uint64_t n, const char *unit)
{
	printf("bench: %s %lu %s\n", name, (unsigned long)(total / n), unit);
}

static uint64_t bench_null_syscall(void)
{
	uint64_t t0 = rdinstret();

	for (int i = 0; i < N; i++)
		sys_debug_write(NULL, 0);
	return rdinstret() - t0;
}

static uint64_t bench_ipc(uint64_t ep)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };
	uint64_t t0;

	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call(ep, &m);
	t0 = rdinstret();
	for (int i = 0; i < N; i++)
		ipc_call(ep, &m);
	return rdinstret() - t0;
}

enum { FAULT_PAGES = 1024 };
static char untouched[FAULT_PAGES + 1][PAGE_SIZE];	/* .bss: demand-zero */

static uint64_t bench_fault(void)
{
	char *p = (char *)(((uintptr_t)untouched + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	uint64_t t0;

	p[0] = 1;	/* warm the pager's path and tables */
	t0 = rdinstret();
	for (int i = 1; i < FAULT_PAGES; i++)
		p[i * PAGE_SIZE] = 1;
	return rdinstret() - t0;
}

/* The other end of ipc_roundtrip: reply to every call, nothing else. */
static int serve(uint64_t ep)
{
	struct ipc_msg m = { 0 };
	int64_t r = ipc_recv(ep, &m);

	while (r == 0)
		r = ipc_reply_recv(ep, &m);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve(libsys_start_info.granted);

	int64_t ep = sys_endpoint_create();
	const char *peer[] = { "microbench", "serve", NULL };
	int64_t pid = spawn(peer, (uint64_t)ep);
	int status;

	report("null_syscall", bench_null_syscall(), N, "instructions");
	if (pid > 0)
		report("ipc_roundtrip", bench_ipc((uint64_t)ep), N, "instructions");
	report("fault_roundtrip", bench_fault(), FAULT_PAGES - 1, "instructions");
	if (pid > 0) {
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, &status, 0);
	}
	printf("bench: done\n");
	return 0;
}
