/*
 * Thread control through a thread handle's RIGHT_CONTROL: read and write
 * registers, suspend and resume (a spinning thread, one blocked in a
 * receive, one awaiting a reply, one blocked on a fault), change a
 * thread's pager (a badged handle's badge wins), and a fault reply that
 * resumes the thread at new registers, as a signal handler is entered.
 * A thread killed while suspended goes away cleanly. A handle without
 * RIGHT_CONTROL can do none of it.
 */
#include <string.h>
#include "abi/fault.h"
#include "libsys.h"
#include "shadow.h"
#include "t.h"

#define DATA_VA 0x40000000ul
#define BAD_VA 0x50000000ul
#define SIG_SP 0x40000800ul

/* Faults at BAD_VA; the handler it is sent to records a0 and sp. */
void ctl_guest(void);
void ctl_handler(void);
__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl ctl_guest\n"
	"ctl_guest:\n"
	"	li t0, 0x50000000\n"
	"	sd zero, 0(t0)\n"
	"1:	j 1b\n"
	".globl ctl_handler\n"
	"ctl_handler:\n"
	"	li t0, 0x40000000\n"
	"	sd a0, 0(t0)\n"
	"	sd sp, 8(t0)\n"
	"	sd a2, 16(t0)\n"
	"2:	j 2b\n"
	".balign 4096\n"
	".popsection\n");

static char stacks[5][8192] __attribute__((aligned(16)));
static char data_page[2 * 4096];
static volatile uint64_t counter, redirected, s_ep, s_ep2;
static volatile int64_t recv_r = 1, call_r = 1, call_w0;

static void spin(uint64_t arg)
{
	(void)arg;
	for (;;)
		counter++;
}

static void redirect_target(uint64_t arg)
{
	redirected = arg;
	for (;;)
		;
}

static void receiver(uint64_t arg)
{
	struct ipc_msg m = { 0 };

	(void)arg;
	recv_r = ipc_recv(s_ep, &m);
	for (;;)
		sys_yield();
}

static void caller(uint64_t arg)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0), .w = { arg } };

	call_r = ipc_call(s_ep2, &m);
	call_w0 = (int64_t)m.w[0];
	for (;;)
		sys_yield();
}

static uint64_t settle(void)
{
	for (int i = 0; i < 50; i++)
		sys_yield();
	return counter;
}

static void spinner_checks(uint64_t task)
{
	struct user_regs r;
	int64_t th = shadow_thread(task, spin, 0, stacks[0], sizeof(stacks[0]), 0, 0);
	int64_t weak = sys_handle_grant(0, (uint64_t)th, 0, RIGHT_GRANT);

	CHECK(th > 0 && weak > 0);
	uint64_t c0 = settle();
	CHECK(settle() != c0);	/* it runs */
	CHECK_EQ(sys_thread_suspend((uint64_t)weak), -ERR_PERM);
	CHECK_EQ(sys_thread_regs_read((uint64_t)weak, &r), -ERR_PERM);
	CHECK_EQ(sys_thread_set_pager((uint64_t)weak, 0, 0), -ERR_PERM);
	CHECK_EQ(sys_thread_pc_sp_write((uint64_t)weak, (uint64_t)spin, 0), -ERR_PERM);
	CHECK_EQ(sys_thread_pc_sp_write((uint64_t)th, (uint64_t)spin, 0), -ERR_BUSY);
	CHECK_EQ(sys_thread_regs_write((uint64_t)th, &r), -ERR_BUSY);	/* not suspended */
	CHECK_EQ(sys_thread_suspend((uint64_t)th), 0);
	CHECK_EQ(sys_thread_suspend((uint64_t)th), 0);	/* idempotent */
	c0 = settle();
	CHECK_EQ(settle(), c0);		/* stopped */
	CHECK_EQ(sys_thread_regs_read((uint64_t)th, &r), 0);
	CHECK(r.x[2] > (uint64_t)stacks[0] && r.x[2] <= (uint64_t)stacks[0] + sizeof(stacks[0]));
	CHECK(r.x[0] >= (uint64_t)spin && r.x[0] < (uint64_t)spin + 64);
	CHECK_EQ(sys_thread_regs_read((uint64_t)th, (struct user_regs *)0x10), -ERR_FAULT);
	CHECK_EQ(sys_thread_resume((uint64_t)th), 0);
	CHECK(settle() != c0);		/* runs again */

	/* Redirect it: new pc and a0, same gp and tp. */
	CHECK_EQ(sys_thread_suspend((uint64_t)th), 0);
	CHECK_EQ(sys_thread_regs_read((uint64_t)th, &r), 0);
	r.x[0] = (uint64_t)redirect_target;
	r.x[10] = 0x5eed;
	r.x[2] = ((uint64_t)stacks[1] + sizeof(stacks[1])) & ~15ul;
	CHECK_EQ(sys_thread_regs_write((uint64_t)th, (struct user_regs *)0x10), -ERR_FAULT);
	uint64_t pc = r.x[0];
	r.x[0] = USER_TOP;
	CHECK_EQ(sys_thread_regs_write((uint64_t)th, &r), -ERR_INVAL);
	r.x[0] = pc;
	CHECK_EQ(sys_thread_regs_write((uint64_t)th, &r), 0);
	CHECK_EQ(sys_thread_resume((uint64_t)th), 0);
	settle();
	CHECK_EQ(redirected, 0x5eed);
	/* Left suspended, to die with its task. */
	CHECK_EQ(sys_thread_suspend((uint64_t)th), 0);
	CHECK_EQ(sys_handle_close((uint64_t)weak), 0);
}

static void blocked_checks(uint64_t task, int64_t ep, int64_t ep2)
{
	struct ipc_msg m = { 0 };
	int64_t rth = shadow_thread(task, receiver, 0, stacks[2], sizeof(stacks[2]), 0, 0);

	/* Suspended in a receive: taken off the queue, cut short. */
	CHECK(rth > 0);
	settle();
	CHECK_EQ(recv_r, 1);
	CHECK_EQ(sys_thread_suspend((uint64_t)rth), 0);
	settle();
	CHECK_EQ(recv_r, 1);
	CHECK_EQ(sys_thread_resume((uint64_t)rth), 0);
	settle();
	CHECK_EQ(recv_r, -ERR_INTR);

	/* Suspended awaiting a reply: the reply lands, it runs on resume. */
	int64_t cth = shadow_thread(task, caller, 5, stacks[3], sizeof(stacks[3]), 0, 0);
	CHECK(cth > 0);
	CHECK_EQ(ipc_recv((uint64_t)ep2, &m), 0);
	CHECK_EQ(m.w[0], 5);
	CHECK_EQ(sys_thread_suspend((uint64_t)cth), 0);
	m = (struct ipc_msg){ .info = ipc_info(0, 0, 0), .w = { 77 } };
	CHECK_EQ(ipc_reply((uint64_t)cth, &m), 0);
	settle();
	CHECK_EQ(call_r, 1);		/* answered, not running */
	CHECK_EQ(sys_thread_resume((uint64_t)cth), 0);
	settle();
	CHECK_EQ(call_r, 0);
	CHECK_EQ(call_w0, 77);

	/* Suspended awaiting a reply and redirected by pc and sp alone, as
	 * the pager starts a signal handler: the reply that lands after its
	 * registers were read stays in them. (A write of the whole set read
	 * before would put the request back: signal.echo_ipc.) */
	struct user_regs r, r2;
	call_r = 1;
	int64_t cth2 = shadow_thread(task, caller, 6, stacks[4], sizeof(stacks[4]), 0, 0);
	CHECK(cth2 > 0);
	CHECK_EQ(ipc_recv((uint64_t)ep2, &m), 0);
	CHECK_EQ(m.w[0], 6);
	CHECK_EQ(sys_thread_suspend((uint64_t)cth2), 0);
	CHECK_EQ(sys_thread_regs_read((uint64_t)cth2, &r), 0);
	CHECK_EQ(r.x[12], 6);		/* the request's w0 */
	m = (struct ipc_msg){ .info = ipc_info(0, 0, 0), .w = { 78 } };
	CHECK_EQ(ipc_reply((uint64_t)cth2, &m), 0);
	CHECK_EQ(sys_thread_pc_sp_write((uint64_t)cth2, USER_TOP, r.x[2]), -ERR_INVAL);
	CHECK_EQ(sys_thread_pc_sp_write((uint64_t)cth2 + 100, r.x[0], r.x[2]), -ERR_BADF);
	CHECK_EQ(sys_thread_pc_sp_write((uint64_t)cth2, r.x[0], r.x[2] - 16), 0);
	CHECK_EQ(sys_thread_regs_read((uint64_t)cth2, &r2), 0);
	CHECK_EQ(r2.x[0], r.x[0]);
	CHECK_EQ(r2.x[2], r.x[2] - 16);
	CHECK_EQ(r2.x[10], 0);		/* the reply's status and w0 */
	CHECK_EQ(r2.x[12], 78);
	CHECK_EQ(sys_thread_resume((uint64_t)cth2), 0);
	settle();
	CHECK_EQ(call_r, 0);
	CHECK_EQ(call_w0, 78);
	(void)ep;
}

/* A guest thread: its pager changed before it runs; its fault answered
 * with new registers while it is suspended. */
static void fault_checks(void)
{
	uint64_t code = (uint64_t)ctl_guest;
	uint64_t data = ((uint64_t)data_page + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int64_t guest = sys_task_create(), old_ep = sys_endpoint_create(), ep = sys_endpoint_create();
	int64_t badged = sys_handle_grant(0, (uint64_t)ep, 0x66, RIGHT_SEND);
	struct user_regs r;
	struct ipc_msg m;

	memset((void *)data, 0, PAGE_SIZE);
	CHECK(guest > 0 && old_ep > 0 && ep > 0 && badged > 0);
	int64_t th = sys_thread_create((uint64_t)guest, code, 0, 0, (uint64_t)old_ep, 1);
	CHECK(th > 0);
	CHECK_EQ(sys_thread_set_pager((uint64_t)th, (uint64_t)old_ep + 100, 2), -ERR_BADF);
	CHECK_EQ(sys_thread_set_pager((uint64_t)th, (uint64_t)badged, 0x55), 0);
	CHECK_EQ(sys_handle_close((uint64_t)old_ep), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);	/* the code fetch */
	CHECK_EQ(m.badge, 0x66);			/* the handle's badge won */
	CHECK_EQ(m.w[0], code);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0), .w = { code, code, MAP_R | MAP_X } };
	CHECK_EQ(ipc_reply_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(m.w[0], BAD_VA);
	CHECK_EQ(m.badge, 0x66);
	/* Suspended while its fault waits; the reply redirects it. */
	CHECK_EQ(sys_thread_suspend((uint64_t)th), 0);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_REGS, 0, 0),
			      .w = { (uint64_t)ctl_handler, SIG_SP, 0, 11, 12, 13 } };
	CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	CHECK_EQ(sys_thread_regs_read((uint64_t)th, &r), 0);
	CHECK_EQ(r.x[0], (uint64_t)ctl_handler);
	CHECK_EQ(r.x[2], SIG_SP);
	CHECK_EQ(r.x[10], 11);
	CHECK_EQ(sys_thread_resume((uint64_t)th), 0);
	/* The handler's store faults: map our data page there. */
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(m.w[0], DATA_VA);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0), .w = { data, DATA_VA, MAP_R | MAP_W } };
	CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	settle();
	CHECK_EQ(((volatile uint64_t *)data)[0], 11);
	CHECK_EQ(((volatile uint64_t *)data)[1], SIG_SP);
	CHECK_EQ(((volatile uint64_t *)data)[2], 13);

	/* A second thread: suspended while its fault is queued (nobody
	 * receives), it retries the access once resumed. A REGS reply with
	 * a pc outside user space stops it. */
	int64_t th2 = sys_thread_create((uint64_t)guest, code, 0, 0, (uint64_t)ep, 3);
	CHECK(th2 > 0);
	settle();
	CHECK_EQ(sys_thread_suspend((uint64_t)th2), 0);
	CHECK_EQ(sys_thread_resume((uint64_t)th2), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(m.w[0], BAD_VA);
	CHECK_EQ(m.badge, 3);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_REGS, 0, 0), .w = { USER_TOP, SIG_SP } };
	CHECK_EQ(ipc_reply((uint64_t)th2, &m), 0);
	CHECK_EQ(sys_thread_suspend((uint64_t)th2), -ERR_SRCH);
	CHECK_EQ(sys_thread_regs_read((uint64_t)th2, &r), -ERR_SRCH);

	CHECK_EQ(sys_task_destroy((uint64_t)guest), 0);
	CHECK_EQ(sys_handle_close((uint64_t)guest), 0);
}

/* Junk arguments to the new calls: errors only, and we live on. */
static void junk_args(void)
{
	static const uint64_t vals[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 4242,
		UINT64_MAX, 0xffffffc080200000ul, USER_TOP - 8, USER_TOP, 0x10001, 0x10 };
	static const uint64_t nrs[] = { SYS_IPC_RECV_SLOT, SYS_REPLY_SAVE,
		SYS_THREAD_REGS_READ, SYS_THREAD_REGS_WRITE, SYS_THREAD_SUSPEND,
		SYS_THREAD_RESUME, SYS_THREAD_SET_PAGER, SYS_THREAD_PC_SP_WRITE };
	uint64_t seed = 12345;
	int n = sizeof(vals) / sizeof(vals[0]);

	for (int i = 0; i < 5000; i++) {
		uint64_t a[3];
		for (int j = 0; j < 3; j++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			a[j] = vals[(seed >> 33) % n];
		}
		uint64_t nr = nrs[(seed >> 20) % (sizeof(nrs) / sizeof(nrs[0]))];
		int64_t r = syscall3(nr, a[0], a[1], a[2]);
		if (r > 0 && nr == SYS_REPLY_SAVE)
			sys_handle_close((uint64_t)r);
		CHECK(r <= 0 || nr == SYS_REPLY_SAVE);
	}
	CHECK_EQ(sys_ipc_recv_slot(0), 0);
}

int main(void)
{
	struct kernel_info k0, k1;

	CHECK_EQ(sys_kernel_info(&k0), 0);
	int64_t task = shadow_task_create(), ep = sys_endpoint_create(), ep2 = sys_endpoint_create();
	CHECK(task > 0 && ep > 0 && ep2 > 0);
	/* Bad handles: none, or not a thread. */
	CHECK_EQ(sys_thread_suspend(4242), -ERR_BADF);
	CHECK_EQ(sys_thread_resume((uint64_t)ep), -ERR_BADF);
	CHECK_EQ(sys_thread_set_pager((uint64_t)task, 0, 0), -ERR_BADF);
	CHECK_EQ(sys_thread_regs_write(0, NULL), -ERR_BADF);
	s_ep = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)ep, 0, RIGHTS_ALL);
	s_ep2 = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)ep2, 0, RIGHTS_ALL);
	spinner_checks((uint64_t)task);
	blocked_checks((uint64_t)task, ep, ep2);
	fault_checks();
	junk_args();
	/* Suspended threads die with their task. */
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_handle_close((uint64_t)task), 0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	return t_done("thread_ctl");
}
