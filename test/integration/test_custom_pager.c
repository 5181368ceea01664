/*
 * A custom pager: this program creates a task and a thread in it whose
 * pager endpoint is ours, then serves its faults itself. It checks the
 * fault messages (address, access, pc, kind, badge), maps its own pages in
 * reply (code, then a data page the thread writes into and we read back),
 * ends the thread with FAULT_REPLY_KILL, and sees a malformed reply stop
 * a second thread without harm to anyone else. Each death comes back to
 * us as the kernel's death message, with its reason.
 */
#include <string.h>
#include "abi/fault.h"
#include "libsys.h"
#include "t.h"

#define DATA_VA 0x40000000ul
#define BAD_VA 0x50000000ul
#define BADGE 0x77

/* Runs in the new task, which has nothing mapped but what we map. */
void guest_entry(void);
__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl guest_entry\n"
	"guest_entry:\n"
	"	li t0, 0x40000000\n"
	"	li t1, 42\n"
	"	sd t1, 0(t0)\n"		/* write fault -> we map a page */
	"	li t0, 0x50000000\n"
	"	sd t1, 0(t0)\n"		/* write fault -> we kill */
	"1:	j 1b\n"
	".balign 4096\n"
	".popsection\n");

static char data_page[2 * 4096];

static void expect_fault(uint64_t ep, struct ipc_msg *m, uint64_t addr, uint64_t access)
{
	CHECK_EQ(ipc_recv(ep, m), 0);
	CHECK(m->info & IPC_KERNEL);
	CHECK_EQ(ipc_label(m->info), FAULT_LABEL);
	CHECK_EQ(m->w[0], addr);
	CHECK_EQ(m->w[1], access);
	CHECK_EQ(m->w[3], FAULT_KIND_PAGE);
	CHECK_EQ(m->badge, BADGE);
}

static void expect_death(uint64_t ep, struct ipc_msg *m, uint64_t reason)
{
	CHECK_EQ(ipc_recv(ep, m), 0);
	CHECK(m->info & IPC_KERNEL);
	CHECK_EQ(ipc_label(m->info), THREAD_EXIT_LABEL);
	CHECK_EQ(m->w[0], reason);
	CHECK_EQ(m->w[2], BAD_VA);	/* its last fault */
	CHECK_EQ(m->w[3], FAULT_KIND_EXIT);
	CHECK_EQ(m->badge, BADGE);
}

int main(void)
{
	uint64_t code = (uint64_t)guest_entry;
	uint64_t data = ((uint64_t)data_page + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int64_t task = sys_task_create(), ep = sys_endpoint_create();
	struct task_info ti;
	struct ipc_msg m;

	CHECK(task > 0 && ep > 0);
	CHECK_EQ(code & (PAGE_SIZE - 1), 0);
	/* A pager can only give pages mapped in its own space: touch them. */
	memset((void *)data, 0, PAGE_SIZE);
	CHECK(*(volatile uint32_t *)code != 0);

	int64_t th = sys_thread_create((uint64_t)task, code, 0, 0, (uint64_t)ep, BADGE);
	CHECK(th > 0);
	/* 1. The first instruction fetch faults: map our code page, R+X. */
	expect_fault((uint64_t)ep, &m, code, FAULT_EXEC);
	CHECK_EQ(m.w[2], code);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0), .w = { code, code, MAP_R | MAP_X } };
	/* 2. The store to DATA_VA: map our data page there, writable. */
	CHECK_EQ(ipc_reply_recv((uint64_t)ep, &m), 0);
	CHECK(m.info & IPC_KERNEL);
	CHECK_EQ(m.w[0], DATA_VA);
	CHECK_EQ(m.w[1], FAULT_WRITE);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0), .w = { data, DATA_VA, MAP_R | MAP_W } };
	/* 3. The store to BAD_VA: kill. */
	CHECK_EQ(ipc_reply_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(m.w[0], BAD_VA);
	CHECK_EQ(*(volatile uint64_t *)data, 42);	/* its write, in our page */
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_KILL, 0, 0) };
	CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(ti.mapped_pages, 2);
	/* A reply to a thread that is not waiting for one is refused. */
	CHECK_EQ(ipc_reply((uint64_t)th, &m), -ERR_INVAL);
	/* Its pager hears of its death, with the reason, and does not reply. */
	expect_death((uint64_t)ep, &m, THREAD_EXIT_FAULT_KILL);

	/* A second thread; a malformed reply (source page not ours to give)
	 * stops it; a writable map of a read-only page is refused too. */
	int64_t th2 = sys_thread_create((uint64_t)task, code, 0, 0, (uint64_t)ep, BADGE);
	CHECK(th2 > 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(m.w[0], BAD_VA);	/* code and data are still mapped */
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0),
			      .w = { 0x1000, BAD_VA, MAP_R | MAP_W } };	/* unmapped source */
	CHECK_EQ(ipc_reply((uint64_t)th2, &m), 0);
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);
	expect_death((uint64_t)ep, &m, THREAD_EXIT_BAD_REPLY);
	/* SYS_MAP obeys the same rules as a fault reply. */
	CHECK_EQ(sys_map((uint64_t)task, code, BAD_VA, MAP_R | MAP_W), -ERR_ACCES);
	CHECK_EQ(sys_map((uint64_t)task, 0x1000, BAD_VA, MAP_R), -ERR_FAULT);
	CHECK_EQ(sys_map((uint64_t)task, data, BAD_VA, MAP_W), -ERR_INVAL);
	CHECK_EQ(sys_map((uint64_t)task, data, USER_TOP, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_map((uint64_t)task, data, BAD_VA, MAP_R), 0);
	CHECK_EQ(sys_unmap((uint64_t)task, BAD_VA, 1), 1);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_map((uint64_t)task, data, BAD_VA, MAP_R), -ERR_SRCH);
	CHECK_EQ(sys_handle_close((uint64_t)task), 0);
	/* We are unharmed, and so is our page. */
	CHECK_EQ(*(volatile uint64_t *)data, 42);
	return t_done("custom_pager");
}
