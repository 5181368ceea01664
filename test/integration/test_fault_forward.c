/*
 * Forwarding a fault with its reply capability. A front pager P (a thread
 * in a shadow task) serves a guest task's faults but cannot map into it
 * (the guest is ours, not P's): it keeps each fault's reply right as a
 * reply handle and grants it, with the fault, to us. We map the page and
 * answer through the handle: the faulting thread resumes. A forwarded
 * fault whose reply handle we close unanswered stops the thread, as a
 * refused fault would.
 */
#include <string.h>
#include "abi/fault.h"
#include "libsys.h"
#include "shadow.h"
#include "t.h"

#define DATA_VA 0x40000000ul
#define BAD_VA 0x50000000ul
#define SLOT 100	/* our receive slot: far above the handles we allocate */

void fwd_guest(void);
__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl fwd_guest\n"
	"fwd_guest:\n"
	"	li t0, 0x40000000\n"
	"	li t1, 42\n"
	"	sd t1, 0(t0)\n"		/* write fault -> forwarded, mapped */
	"	li t1, 43\n"
	"	sd t1, 8(t0)\n"
	"	li t0, 0x50000000\n"
	"	sd t1, 0(t0)\n"		/* write fault -> forwarded, refused */
	"1:	j 1b\n"
	".balign 4096\n"
	".popsection\n");

static char stack_p[8192] __attribute__((aligned(16)));
static char data_page[2 * 4096];
static volatile uint64_t p_fault_ep, p_fwd_ep;
static volatile int64_t p_errors;

/* The front pager: every fault goes on to us with its reply handle. */
static void front_pager(uint64_t arg)
{
	struct ipc_msg m = { 0 };

	(void)arg;
	for (;;) {
		if (ipc_recv(p_fault_ep, &m) < 0 || !(m.info & IPC_KERNEL)) {
			p_errors++;
			continue;
		}
		if (ipc_label(m.info) == THREAD_EXIT_LABEL)
			continue;	/* a guest's death message: nothing to answer */
		int64_t h = sys_reply_save();
		if (h < 0) {
			p_errors++;
			continue;
		}
		m.info = ipc_info(FAULT_LABEL, 0, IPC_GRANT);
		m.w[5] = (uint64_t)h;
		if (ipc_send(p_fwd_ep, &m) < 0)
			p_errors++;
		sys_handle_close((uint64_t)h);	/* ours; the granted copy lives on */
	}
}

static void recv_forwarded(uint64_t fwd, struct ipc_msg *m, uint64_t addr)
{
	CHECK_EQ(ipc_recv(fwd, m), 0);
	CHECK_EQ(ipc_label(m->info), FAULT_LABEL);
	CHECK(!(m->info & IPC_KERNEL));	/* P sent it, not the kernel */
	CHECK_EQ(m->w[0], addr);
	CHECK_EQ(m->w[5], SLOT);	/* the reply handle, where we said */
}

int main(void)
{
	uint64_t code = (uint64_t)fwd_guest;
	uint64_t data = ((uint64_t)data_page + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int64_t fault_ep = sys_endpoint_create(), fwd = sys_endpoint_create();
	int64_t ptask = shadow_task_create(), guest = sys_task_create();
	struct task_info ti;
	struct ipc_msg m;

	CHECK(fault_ep > 0 && fwd > 0 && ptask > 0 && guest > 0);
	memset((void *)data, 0, PAGE_SIZE);
	CHECK(*(volatile uint32_t *)code != 0);
	CHECK_EQ(sys_ipc_recv_slot(SLOT), 0);
	CHECK_EQ(sys_ipc_recv_slot(1 << 20), -ERR_INVAL);
	p_fault_ep = (uint64_t)sys_handle_grant((uint64_t)ptask, (uint64_t)fault_ep, 0, RIGHT_RECV);
	p_fwd_ep = (uint64_t)sys_handle_grant((uint64_t)ptask, (uint64_t)fwd, 0, RIGHT_SEND);
	CHECK(shadow_thread((uint64_t)ptask, front_pager, 0, stack_p, sizeof(stack_p), 0, 0) > 0);
	int64_t th = sys_thread_create((uint64_t)guest, code, 0, 0, (uint64_t)fault_ep, 7);
	CHECK(th > 0);

	/* The code fetch, then the data write: we map, through the handle. */
	recv_forwarded((uint64_t)fwd, &m, code);
	CHECK_EQ(m.w[1], FAULT_EXEC);
	/* A copy without RIGHT_SEND cannot answer; the reply is no thread. */
	int64_t weak = sys_handle_grant(0, SLOT, 0, RIGHT_GRANT);
	CHECK(weak > 0);
	CHECK_EQ(ipc_reply((uint64_t)weak, &m), -ERR_PERM);
	CHECK_EQ(sys_thread_regs_read(SLOT, NULL), -ERR_BADF);
	CHECK_EQ(sys_handle_close((uint64_t)weak), 0);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0), .w = { code, code, MAP_R | MAP_X } };
	CHECK_EQ(ipc_reply(SLOT, &m), 0);
	CHECK_EQ(ipc_reply(SLOT, &m), -ERR_INVAL);	/* spent */
	CHECK_EQ(sys_handle_close(SLOT), 0);
	recv_forwarded((uint64_t)fwd, &m, DATA_VA);
	CHECK_EQ(m.w[1], FAULT_WRITE);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0), .w = { data, DATA_VA, MAP_R | MAP_W } };
	CHECK_EQ(ipc_reply(SLOT, &m), 0);
	CHECK_EQ(sys_handle_close(SLOT), 0);

	/* It resumed: both its stores landed in our page before the next
	 * fault, which we refuse by closing the reply handle unused. */
	recv_forwarded((uint64_t)fwd, &m, BAD_VA);
	CHECK_EQ(((volatile uint64_t *)data)[0], 42);
	CHECK_EQ(((volatile uint64_t *)data)[1], 43);
	CHECK_EQ(sys_task_info((uint64_t)guest, &ti), 0);
	CHECK_EQ(ti.nthreads, 1);
	CHECK_EQ(sys_handle_close(SLOT), 0);
	/* The thread is stopped at once; the kernel may finish freeing it
	 * a step later (a pending interrupt ends a syscall's share of the
	 * teardown work), so look again after a few yields. */
	for (int i = 0; i < 100; i++) {
		CHECK_EQ(sys_task_info((uint64_t)guest, &ti), 0);
		if (ti.nthreads == 0)
			break;
		sys_yield();
	}
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(p_errors, 0);

	CHECK_EQ(sys_task_destroy((uint64_t)guest), 0);
	CHECK_EQ(sys_task_destroy((uint64_t)ptask), 0);
	return t_done("fault_forward");
}
