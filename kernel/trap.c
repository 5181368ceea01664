/*
 * Trap dispatch. From user mode: a syscall, a timer or device interrupt,
 * or an exception, which becomes a fault message to the thread's pager
 * (the kernel never decides what a fault means). From the kernel itself:
 * a bug, reported with the registers, and the machine stops.
 */
#include "abi/fault.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"
#include "syscall.h"

static __attribute__((noinline)) void user_exception(struct thread *t, uint64_t cause)
{
	uint64_t addr = csr_read(stval);
	uint64_t access = FAULT_READ, kind = FAULT_KIND_PAGE;

	switch (cause) {
	case EXC_INST_PAGE:
		access = FAULT_EXEC;
		break;
	case EXC_LOAD_PAGE:
		break;
	case EXC_STORE_PAGE:
		access = FAULT_WRITE;
		break;
	case EXC_INST_ACCESS:
	case EXC_LOAD_ACCESS:
	case EXC_STORE_ACCESS:
		kind = FAULT_KIND_ACCESS;
		access = cause == EXC_INST_ACCESS ? FAULT_EXEC :
			 cause == EXC_STORE_ACCESS ? FAULT_WRITE : FAULT_READ;
		break;
	case EXC_ILLEGAL:
		if ((csr_read(sstatus) & SSTATUS_FS) == 0) {
			fp_trap_switch();	/* maybe an FP instruction: retry */
			return;
		}
		kind = FAULT_KIND_ILLEGAL;
		access = FAULT_EXEC;
		addr = t->regs.x[R_PC];
		break;
	case EXC_INST_MISALIGNED:
	case EXC_LOAD_MISALIGNED:
	case EXC_STORE_MISALIGNED:
		kind = FAULT_KIND_MISALIGNED;
		access = cause == EXC_INST_MISALIGNED ? FAULT_EXEC :
			 cause == EXC_STORE_MISALIGNED ? FAULT_WRITE : FAULT_READ;
		break;
	case EXC_BREAKPOINT:
		kind = FAULT_KIND_BREAKPOINT;
		access = FAULT_EXEC;
		addr = t->regs.x[R_PC];
		break;
	default:
		kind = FAULT_KIND_ILLEGAL;
		break;
	}
	ipc_fault(t, addr, access, kind, cause);
}

static __attribute__((noinline)) void interrupt(uint64_t cause)
{
	if ((cause & 0xff) == IRQ_S_TIMER)
		sched_timer_tick();
	else if ((cause & 0xff) == IRQ_S_EXTERNAL)
		irq_handle();
}

/*
 * Every syscall, fault and interrupt from user mode lands here (from
 * trap_entry, on the kernel stack); trap_entry then resumes the thread
 * whose registers we return. The hot cases go to fastpath.c first.
 */
struct regs *trap_handler(struct regs *r)
{
	struct thread *t = container_of(r, struct thread, regs);
	uint64_t cause = csr_read(scause);

	if (likely(cause == EXC_ECALL_U)) {
		uint64_t nr = r->x[R_T0];
		r->x[R_PC] += 4;
		if (nr == SYS_IPC_CALL && fastpath_call(t))
			return &current->regs;
		if (nr == SYS_IPC_REPLY_RECV && fastpath_reply_recv(t))
			return &current->regs;
		if (nr == SYS_IPC_REPLY_TO_RECV && fastpath_reply_to_recv(t))
			return &current->regs;
		syscall_dispatch(t);
	} else if (cause & CAUSE_INTERRUPT) {
		interrupt(cause);
	} else if ((cause == EXC_STORE_PAGE || cause == EXC_LOAD_PAGE ||
		    cause == EXC_INST_PAGE) && fastpath_fault(t, cause)) {
		return &current->regs;
	} else {
		user_exception(t, cause);
	}
	if (unlikely(!current))
		schedule();
	return &current->regs;
}

static const char *const reg_names[32] = {
	"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
	"a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
	"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

_Noreturn void kernel_trap(struct regs *r)
{
	kprintf("\nkernel trap: scause %lx sepc %lx stval %lx\n",
		csr_read(scause), csr_read(sepc), csr_read(stval));
	for (int i = 0; i < 32; i++)
		kprintf("%4s %016lx%s", reg_names[i], r->x[i], i % 4 == 3 ? "\n" : "  ");
	panic("trap in kernel mode");
}
