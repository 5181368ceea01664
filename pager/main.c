/*
 * The pager: the first task. It takes the RAM the kernel handed over,
 * starts init from the boot image (bootargs "init=NAME ARGS..."), and then
 * serves page faults and process requests forever.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "libsys.h"
#include "kquota.h"
#include "page.h"
#include "pager.h"
#include "proc.h"

/* The last of the 2048 handles the kernel gives the pager (kernel/boot.c). */
#define PAGER_RECV_SLOT 2047

uint64_t pager_ep;
const struct boot_info *boot;
const void *initrd;

bool fault_handle(struct ipc_msg *m);
bool serve_request(struct ipc_msg *m);

/* The pager's malloc heap is a reservation at the start of the window. */
static char *heap_base, *heap_brk, *heap_end;

void *sbrk(ptrdiff_t incr)
{
	char *old = heap_brk;

	if (incr < 0 || heap_end - heap_brk < incr)
		return (void *)-1;
	heap_brk += incr;
	return old;
}

static void start_init(void)
{
	static char args[BOOT_ARGS_MAX];
	const char *init = strstr(boot->bootargs, "init=");
	uint64_t len = 0;
	int64_t r;

	/* "init=NAME A B" -> "NAME\0A\0B\0"; the default is "init". */
	for (const char *s = init ? init + 5 : "init"; *s && len < sizeof(args) - 1; s++) {
		if (*s != ' ')
			args[len++] = *s;
		else if (len && args[len - 1])
			args[len++] = '\0';
	}
	if (len && args[len - 1])
		args[len++] = '\0';
	r = proc_spawn(NULL, args, len, 0);
	if (r < 0) {
		pager_log("cannot start init \"%s\": error %ld\n", args, (long)r);
		fflush(stdout);
		sys_shutdown(H_DEVCTL, 1);
	}
}

_Noreturn void libsys_start(const struct boot_info *bi)
{
	struct ipc_msg m;
	uint64_t heap_bytes = bi->ram_size / 64;
	int64_t r;
	void *heap;

	boot = bi;
	initrd = (const void *)PAGER_INITRD_VA;
	page_init(bi, heap_bytes, &heap);
	heap_base = heap_brk = heap;
	heap_end = heap_base + heap_bytes;
	r = page_alloc_zeroed();
	libsys_start_info.ipcbuf = (uint64_t)page_va((uint64_t)r);
	if (r < 0 || sys_ipcbuf_set(libsys_start_info.ipcbuf) < 0 ||
	    (r = sys_endpoint_create()) < 0) {
		printf("pager: cannot set up\n");
		sys_shutdown(H_DEVCTL, 1);
	}
	pager_ep = (uint64_t)r;
	/* A handle granted in a request (PAGER_SPAWN's) lands in our last
	 * slot: handles are allocated lowest-first, so nothing else reaches
	 * it, and serve_request closes it before the next request. */
	if (sys_ipc_recv_slot(PAGER_RECV_SLOT) < 0) {
		printf("pager: cannot set up\n");
		sys_shutdown(H_DEVCTL, 1);
	}
	pager_log("%lu pages free for programs\n", (unsigned long)page_free_count());
	proc_init();
	kquota_init();
	start_init();

	ipc_recv(pager_ep, &m);
	for (;;) {
		bool reply = (m.info & IPC_KERNEL) ? fault_handle(&m) : serve_request(&m);
		if (reply)
			ipc_reply_recv(pager_ep, &m);
		else
			ipc_recv(pager_ep, &m);
	}
}
